"""Time to export a long answer (issue 15): the answer itself and each file format.

    .venv/bin/python -m benchmarks.export --index-dir DIR [--question 哪些单位开展了执法培训] [--rounds 3]

Loads the index once, answers the question with every result up to ``EXPORT_LIMIT`` (1,000), then
writes the .xlsx, .docx and .csv in memory; prints the median of ``rounds`` for each, with the
number of results and the file sizes. Build a large index first, e.g. with the corpus of
``benchmarks/corpus.py`` (``python -m benchmarks.scale`` leaves none behind; ``reportqa index`` of a
generated folder does).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

from reportqa.answers.compose import answer_question
from reportqa.present.export import EXPORT_LIMIT, FORMATS, export_bytes
from reportqa.retrieval.searcher import SearchIndex
from reportqa.settings import Settings


async def measure(index_dir: Path, question: str, rounds: int) -> None:
    index = await SearchIndex.load(index_dir, Settings(_env_file=None))
    try:
        times: dict[str, list[float]] = {"answer": [], **{fmt: [] for fmt in FORMATS}}
        sizes: dict[str, int] = {}
        results = 0
        for _ in range(rounds):
            started = time.perf_counter()
            answer = await answer_question(index, question, EXPORT_LIMIT)
            times["answer"].append(time.perf_counter() - started)
            results = len(answer.results)
            for fmt in FORMATS:
                started = time.perf_counter()
                sizes[fmt] = len(export_bytes(answer, fmt))
                times[fmt].append(time.perf_counter() - started)
    finally:
        await index.close()
    print(f"{question}: {results} results ({index.postings.n_docs:,} passages, {len(index.reports):,} reports), "
          f"median of {rounds}")
    for name, values in times.items():
        size = f"  {sizes[name] / 1024:,.0f} KB" if name in sizes else ""
        print(f"  {name:7} {statistics.median(values):6.2f} s{size}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--question", default="哪些单位开展了执法培训")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(measure(args.index_dir, args.question, args.rounds))


if __name__ == "__main__":
    main()
