"""The whole answer a user waits for, beside the ranking inside it, at a library's size.

    .venv/bin/python -m benchmarks.answer --passages 100000 [--questions 300] [--rounds 3] [--json] [--keep DIR]
        [--seed-reports FOLDER ...]

It generates a corpus (benchmarks/corpus.py), builds reportqa's index of it, loads it as ``reportqa ask``
and the bot do (``SearchIndex.load`` with the answers' reading; the ranking compiled as the bot has it
where the ``fast`` extra is installed), and times for each of the benchmark's
questions:

- ``answer``: ``answer_question`` — the same function ``ask`` and the bot call: parse (in a worker thread),
  rank, filters, checking the candidates against their text, the page's passages and their excerpts;
- ``ranking``: ``SearchIndex.rank`` alone on the already-parsed question (the BM25 top candidates with the
  question's filters) — what ``benchmarks.peers`` compares with bm25s and tantivy, plus the filters.

Each round asks every question once (answers first, then rankings, so neither warms the other's
caches question by question); a question's time is its median over rounds. Printed: p50 / p90 / p99
of each; ``--json`` prints one object ``{"answer": {...}, "ranking": {...}, ...}``. With ``--keep DIR``
the corpus and its index are built there once and reused by the next run with the same size.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.corpus import generate, questions
from reportqa.answers.compose import answer_question
from reportqa.answers.reading import parse
from reportqa.answers.reading import prepare as prepare_reading
from reportqa.index import database as store
from reportqa.index.boilerplate import clause_key, clauses
from reportqa.index.builder import build_index
from reportqa.retrieval.searcher import SearchIndex
from reportqa.settings import Settings


def percentiles(values: np.ndarray) -> dict[str, float]:
    return {f"p{q}_ms": round(float(np.percentile(values, q)), 3) for q in (50, 90, 99)}


async def built_index(size: int, work: Path, seed_folders: tuple[Path, ...] = ()) -> tuple[Settings, float | None]:
    """An index of a generated corpus of about ``size`` passages in ``work`` (kept from an earlier run
    of the same size and seeds when there is one): its settings, and the build time when built now."""
    grown = "-".join(f.name for f in seed_folders)
    name = f"{size}-{grown}" if grown else str(size)
    index_dir = work / f"index-{name}"
    settings = Settings(index_dir=index_dir, _env_file=None)
    if store.current_generation(index_dir) is not None:
        return settings, None
    reports = work / f"reports-{name}"
    if not reports.exists():
        generate(reports, size, seed_folders=seed_folders)
    started = time.perf_counter()
    await build_index(reports, index_dir, settings)
    return settings, time.perf_counter() - started


async def measure(settings: Settings, n_questions: int, rounds: int) -> dict:
    """Per-question medians over ``rounds`` of the whole answer and of the ranking alone."""
    index = await SearchIndex.load(settings.index_dir, settings, prepare_reading)
    # as the bot serves it (retrieval/serving.py): a large index's common-word questions added up by the
    # compiled loop where the fast extra is installed (compiled here before timing, not in a thread)
    compiled = (settings.compiled_ranking and index.postings.n_docs >= settings.compiled_ranking_min_passages
                and index.postings.accelerate())
    try:
        asked = questions(n_questions, index.units)
        parsed = [parse(index, q) for q in asked]
        for question in asked[:20]:  # warm-up: first-touch page faults, jieba's and the caches' first use
            await answer_question(index, question)
        answer_ms = np.zeros((rounds, len(asked)))
        ranking_ms = np.zeros((rounds, len(asked)))
        found = 0
        for round_ in range(rounds):
            for i, question in enumerate(asked):
                started = time.perf_counter()
                answer = await answer_question(index, question)
                answer_ms[round_, i] = (time.perf_counter() - started) * 1000
                found += round_ == 0 and bool(answer.results)
            for i, query in enumerate(parsed):
                started = time.perf_counter()
                index.rank(query)
                ranking_ms[round_, i] = (time.perf_counter() - started) * 1000
        return {"passages": index.passage_count, "questions": len(asked), "rounds": rounds,
                "answered": found, "compiled_ranking": bool(compiled),
                "boilerplate_share": await boilerplate_share(index),
                "answer": percentiles(np.median(answer_ms, axis=0)),
                "ranking": percentiles(np.median(ranking_ms, axis=0))}
    finally:
        await index.close()


async def boilerplate_share(index: SearchIndex, sample: int = 3000) -> float:
    """The share of clauses that are boilerplate in an even sample of the index's passages: what the
    check against the text strips (a corpus grown from five samples: most; a real library: a few %)."""
    ids = [int(i) for i in index.passage_ids[:: max(1, len(index.passage_ids) // sample)]]
    rows = await index.passage_rows(ids)
    keys = [clause_key(c) for row in rows.values() for c in clauses(row.norm_text)]
    return round(sum(k in index.boilerplate for k in keys) / max(len(keys), 1), 3)


def table(result: dict) -> str:
    lines = [f"{result['passages']:,} passages, {result['questions']} questions × {result['rounds']} rounds "
             f"(a question's time: its median over rounds); {result['answered']} answered with results; "
             f"compiled ranking: {'yes' if result['compiled_ranking'] else 'no'}; boilerplate "
             f"{result['boilerplate_share']:.0%} of clauses", "",
             "| path | p50 ms | p90 ms | p99 ms |", "|---|---|---|---|"]
    for name in ("answer", "ranking"):
        row = result[name]
        lines.append(f"| {name} | {row['p50_ms']:.3f} | {row['p90_ms']:.3f} | {row['p99_ms']:.3f} |")
    if result.get("build_s") is not None:
        lines.append(f"\nindex built in {result['build_s']:.1f} s")
    return "\n".join(lines)


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--seed-reports", type=Path, action="append", default=[],
                        help="grow the corpus from the .txt reports in this folder (repeatable) instead of the "
                             "five bundled samples, whose few hundred sentences make most clauses boilerplate")
    parser.add_argument("--keep", type=Path, default=None,
                        help="build the corpus and its index here and keep them: the next run with the same "
                             "--passages reuses them")
    args = parser.parse_args(argv)
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        settings, build_s = await built_index(args.passages, args.keep, tuple(args.seed_reports))
        result = await measure(settings, args.questions, args.rounds)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            settings, build_s = await built_index(args.passages, Path(tmp), tuple(args.seed_reports))
            result = await measure(settings, args.questions, args.rounds)
    result["build_s"] = None if build_s is None else round(build_s, 1)
    print(json.dumps(result) if args.json else table(result))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
