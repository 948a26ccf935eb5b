"""A build's CPU a report against jieba's own on the same text, in one process (no worker contention).

    .venv/bin/python -m benchmarks.build_cpu --reports DIR [--files 300] [--offset 0] [--rounds 5]

What a parse worker does for each file (``indexer.parse_and_tokenize``: read, clean, metadata, sections,
tokens with the report's unit names added, clause keys) is timed against ``Tokenizer.tokens`` alone on
the same passages, and on the same text the build tokenises (each passage with the headings above it),
in interleaved rounds; CPU time (``time.process_time``), median and minimum of the rounds. The scale
benchmark measures the same at 100k passages with two workers, where the two workers and the process
storing their rows share two cores and every CPU figure grows.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from reportqa.indexer import parse_and_tokenize, parse_options
from reportqa.ingest.pipeline import parse_report
from reportqa.model import PREAMBLE, SECTION_SEPARATOR
from reportqa.settings import Settings
from reportqa.text import get_tokenizer, normalise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=Path, required=True)
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--offset", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    settings = Settings(_env_file=None)
    options = parse_options(settings)
    files = sorted(args.reports.rglob("*.txt"))[args.offset:args.offset + args.files]
    tokenizer = get_tokenizer(settings.config_dir)
    tokenizer.tokens("预热")
    reports = [parse_report(f, args.reports, options, None) for f in files]
    passages = [(p.section, p.norm_text) for r in reports for p in r.passages]
    headings = [normalise(h) for section, text in passages if section != PREAMBLE
                for h in section.split(SECTION_SEPARATOR) if normalise(h) not in text]
    parse_and_tokenize(files[0], args.reports, options, None)  # the index tokenizer's dictionary loaded

    def build() -> None:
        for f in files:
            parse_and_tokenize(f, args.reports, options, None)

    def jieba_passages() -> None:
        for _, text in passages:
            tokenizer.tokens(text)

    def jieba_same_text() -> None:
        jieba_passages()
        for heading in headings:
            tokenizer.tokens(heading)

    runs: dict[str, Callable[[], None]] = {"build": build, "jieba_passages": jieba_passages,
                                           "jieba_same_text": jieba_same_text}
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.rounds):
        for name, run in runs.items():
            started = time.process_time()
            run()
            seconds[name].append(time.process_time() - started)
    median = {name: statistics.median(v) for name, v in seconds.items()}
    least = {name: min(v) for name, v in seconds.items()}
    result = {"files": len(files), "passages": len(passages), "chars": sum(len(t) for _, t in passages),
              "median_s": median, "min_s": least,
              "build_over_jieba_same_text": {"median": median["build"] / median["jieba_same_text"],
                                             "min": least["build"] / least["jieba_same_text"]},
              "build_over_jieba_passages": {"median": median["build"] / median["jieba_passages"],
                                            "min": least["build"] / least["jieba_passages"]}}
    if args.json:
        print(json.dumps(result))
        return
    print(f"{len(files)} files, {len(passages)} passages, CPU s over {args.rounds} rounds (median / min):")
    for name in runs:
        print(f"  {name:16} {median[name]:.2f} / {least[name]:.2f}")
    print(f"  build / jieba on the same text {result['build_over_jieba_same_text']['median']:.2f} / "
          f"{result['build_over_jieba_same_text']['min']:.2f}; / jieba on the passages only "
          f"{result['build_over_jieba_passages']['median']:.2f} / {result['build_over_jieba_passages']['min']:.2f}")


if __name__ == "__main__":
    main()
