"""A build's CPU a report against jieba's own on the same text, in one process (no worker contention).

    .venv/bin/python -m benchmarks.build_cpu --reports DIR [--files 300] [--offset 0] [--rounds 5] [--json]

What a parse worker does for each file (``indexer.parse_and_tokenize``: read, clean, metadata, sections,
tokens with the report's unit names added, clause keys) is timed against ``Tokenizer.tokens`` alone on
the text the index holds for that file: each passage, and each passage's headings that its text does not
repeat (a heading is in the bag of every passage below it), cut by a tokenizer that never saw the file;
and against jieba's bare ``cut_for_search`` of that text (the words before they are made tokens).
CPU time (``time.process_time``). This machine's speed drifts by 10-30% within minutes, so the two are
timed file by file, side by side (which goes first alternates), and each file's figure is its least over
the rounds: a slow spell lands on both sides of a pair instead of on one side of a whole round. What
parsing and tokenising remember from text to text is emptied at each round's start, so a file is
parsed after the files before it, as in a build, and never after itself. Printed:
the sums of each file's least CPU, their ratio, and the ratio of each round's sums (median, range).
The scale benchmark measures the same at 100k passages with two workers, where the two workers and the
process storing their rows share two cores and every CPU figure grows.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from reportqa.domain import text as text_module
from reportqa.domain import unit_names
from reportqa.domain.model import PREAMBLE, SECTION_SEPARATOR
from reportqa.domain.text import Tokenizer, get_index_tokenizer, get_tokenizer, normalise
from reportqa.index.builder import parse_and_tokenize, parse_options
from reportqa.ingest.pipeline import parse_report
from reportqa.settings import Settings


def _cpu(run: Callable[[], object]) -> float:
    started = time.process_time()
    run()
    return time.process_time() - started


def _indexed_text(path: Path, reports_dir: Path, settings: Settings) -> tuple[list[str], list[str]]:
    """One file's passages and, for each passage, the headings above it that its text does not repeat."""
    report = parse_report(path, reports_dir, parse_options(settings), None)
    passages = [p.norm_text for p in report.passages]
    headings = [normalise(h) for p in report.passages if p.section != PREAMBLE
                for h in p.section.split(SECTION_SEPARATOR) if normalise(h) not in p.norm_text]
    return passages, headings


def _forget(tokenizers: list[Tokenizer]) -> None:
    """Empty what parsing and tokenising remember from text to text (unit names read, heads, short
    texts normalised, jieba words as tokens), so that a file meets what the files before it in the
    round left, as in a build, and not what it left itself a round before."""
    unit_names.parse_unit_name.cache_clear()
    unit_names._read_whole_head.cache_clear()
    text_module._normalise_short.cache_clear()
    for tokenizer in tokenizers:
        tokenizer._token_memo.clear()


def _cut_all(tokenizer: Tokenizer, texts: list[str]) -> None:
    for one in texts:
        tokenizer.tokens(one)


def _cut_bare(tokenizer: Tokenizer, texts: list[str]) -> None:
    """jieba's search-mode cut alone, without the lower-casing and the punctuation and stopword
    filter that make its words tokens."""
    cut = tokenizer._jieba.cut_for_search
    for one in texts:
        for _ in cut(one):
            pass


COMPARED = {"jieba_same_text": "jieba on the same text", "jieba_passages": "jieba on the passages only",
            "jieba_bare_same_text": "jieba's bare cut of the same text (no token filter)"}


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
    texts = [_indexed_text(f, args.reports, settings) for f in files]
    parse_and_tokenize(files[0], args.reports, options, None)  # the index tokenizer's dictionary loaded

    names = ("build", *COMPARED)
    per_file: dict[str, list[list[float]]] = {name: [[] for _ in files] for name in names}  # → file → rounds
    for round_ in range(args.rounds):
        _forget([tokenizer, get_index_tokenizer(settings.config_dir)])
        for i, (path, (passages, headings)) in enumerate(zip(files, texts, strict=True)):
            def build(path: Path = path) -> dict[str, float]:
                return {"build": _cpu(lambda: parse_and_tokenize(path, args.reports, options, None))}

            def jieba(passages: list[str] = passages, headings: list[str] = headings) -> dict[str, float]:
                cut_passages = _cpu(lambda: _cut_all(tokenizer, passages))
                cut_headings = _cpu(lambda: _cut_all(tokenizer, headings))
                bare = _cpu(lambda: (_cut_bare(tokenizer, passages), _cut_bare(tokenizer, headings)))
                return {"jieba_passages": cut_passages, "jieba_same_text": cut_passages + cut_headings,
                        "jieba_bare_same_text": bare}

            times = {**build(), **jieba()} if (round_ + i) % 2 else {**jieba(), **build()}
            for name, seconds in times.items():
                per_file[name][i].append(seconds)

    least = {name: sum(min(times) for times in per_file[name]) for name in names}
    rounds = {name: [sum(times[r] for times in per_file[name]) for r in range(args.rounds)] for name in names}
    result: dict[str, object] = {
        "files": len(files), "passages": sum(len(p) for p, _ in texts),
        "chars": sum(len(t) for p, _ in texts for t in p), "rounds": args.rounds,
        "least_s": least, "round_s": rounds,
    }
    for other in COMPARED:
        per_round = [b / o for b, o in zip(rounds["build"], rounds[other], strict=True)]
        result[f"build_over_{other}"] = {"least": least["build"] / least[other],
                                         "round_median": statistics.median(per_round),
                                         "round_range": [min(per_round), max(per_round)]}
    if args.json:
        print(json.dumps(result))
        return
    print(f"{len(files)} files, {result['passages']} passages, {args.rounds} rounds; CPU s, the sum of each "
          "file's least (each round's sum):")
    for name in names:
        print(f"  {name:20} {least[name]:.2f}  ({' '.join(f'{s:.2f}' for s in rounds[name])})")
    for other, label in COMPARED.items():
        ratio = result[f"build_over_{other}"]
        assert isinstance(ratio, dict)
        print(f"  build / {label}: {ratio['least']:.3f}  (rounds: median {ratio['round_median']:.3f}, "
              f"{ratio['round_range'][0]:.3f}-{ratio['round_range'][1]:.3f})")


if __name__ == "__main__":
    main()
