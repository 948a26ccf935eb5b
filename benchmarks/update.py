"""One changed report, indexed again: ``reportqa index`` in a fresh process, as cron or the bot runs it.

    .venv/bin/python -m benchmarks.update --reports DIR --index-dir DIR [--rounds 5] [--json]

The folder and index are an existing corpus and its built index (``python -m benchmarks.peers
--passages 1000000 --keep DIR`` leaves both: ``DIR/reports``, and ``reportqa index DIR/reports
--index-dir I`` builds the index). Each round appends a paragraph to a different report and times
the whole command (interpreter start, imports, scan of every file, the update, the checks, the
switch), then reads the build's own split from its ``--json`` summary. Every round must parse exactly
the changed file; at the end the files get their own text back and one more (untimed) update
leaves the index as it was found. From ``REPORTQA_OVERLAY_MIN_PASSAGES`` passages an update is an
overlay over the last full build (``overlay.py``); below, a copy of the database and every weight.

bm25s and rank-bm25 have no update: a change is a full index of the corpus again (bm25s-numba at
1M passages: ``benchmarks/RESULTS.md``, the peers' build time).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_index(reports: Path, index_dir: Path) -> tuple[float, dict]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "reportqa", "index", str(reports), "--index-dir", str(index_dir),
                           "--json"], check=True, capture_output=True, cwd=ROOT, text=True)
    return time.perf_counter() - started, json.loads(done.stdout)


def overlaid(index_dir: Path) -> bool:
    generation = index_dir / (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    return "base" in json.loads((generation / "MANIFEST.json").read_text(encoding="utf-8"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=Path, required=True)
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    files = sorted(args.reports.rglob("*.txt"))
    if not files or not (args.index_dir / "CURRENT").is_file():
        parser.error("--reports must hold .txt reports and --index-dir their built index")
    originals: dict[Path, str] = {}
    rounds = []
    try:
        for i in range(args.rounds):
            changed = files[(i + 1) * len(files) // (args.rounds + 1)]
            originals.setdefault(changed, changed.read_text(encoding="utf-8"))
            changed.write_text(originals[changed] + f"\n（十）新增内容第{i + 1}段。组织行政执法培训{i + 3}次。\n",
                               encoding="utf-8")
            wall, summary = run_index(args.reports, args.index_dir)
            source = changed.relative_to(args.reports).as_posix()
            if summary.get("parsed") != [source]:
                print(f"round {i + 1}: parsed {summary.get('parsed')}, expected [{source}]", file=sys.stderr)
                return 1
            rounds.append({"wall_s": round(wall, 3), "build_s": round(summary["seconds"], 3),
                           "overlay": overlaid(args.index_dir), "passages": summary["passages"],
                           "timings": {k: round(v, 3) for k, v in summary["timings"].items()}})
    finally:
        for path, text in originals.items():
            path.write_text(text, encoding="utf-8")
        if originals:
            run_index(args.reports, args.index_dir)
    walls = [r["wall_s"] for r in rounds]
    result = {"passages": rounds[-1]["passages"], "rounds": rounds, "wall_p50_s": statistics.median(walls),
              "wall_min_s": min(walls), "wall_max_s": max(walls)}
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    print(f"{result['passages']:,} passages, {len(rounds)} rounds: `reportqa index` after one changed report "
          f"p50 {result['wall_p50_s']:.2f} s (min {result['wall_min_s']:.2f}, max {result['wall_max_s']:.2f})")
    for i, r in enumerate(rounds, start=1):
        split = ", ".join(f"{k} {v:.2f}" for k, v in r["timings"].items() if v >= 0.01)
        print(f"  round {i}: {r['wall_s']:.2f} s wall, build {r['build_s']:.2f} s "
              f"({'overlay' if r['overlay'] else 'full copy'}): {split}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
