"""How much of each file format the readers get: the share of a manifest's expected phrases found in
what ``reportqa inspect --json`` extracts from their own file (title, metadata, the page's metadata
lines, evidence, passages), per format; and whether ``reportqa index`` of the folder succeeds, with
each file read or skipped with its reason.

    .venv/bin/python -m benchmarks.formats ../shared/corpus/formats [--json] [--min 0.9]

The folder holds ``manifest.tsv`` with the columns ``file``, ``format`` and ``expected_phrases``
(``|``-separated). A phrase counts when it is in the extracted text with all white space taken out
of both (a PDF's or an OCR'd page's line breaks and spaces are layout, not words); a remark the
manifest puts in brackets after a phrase (``… (text-box only: optional/hard)``) is not part of it. Exit 1 when the
share over all phrases is below ``--min`` or the index build fails.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPORTQA = Path(sys.executable).with_name("reportqa")
_SPACE = re.compile(r"\s+")
_NOTE = re.compile(r"\s+\([^()]*\)\s*$")  # a manifest's remark after a phrase: "… (text-box only: optional/hard)"


def extracted_text(inspected: dict) -> str:
    """Everything ``inspect --json`` shows a reader took from the file, as one string."""
    meta = inspected.get("meta") or {}
    parts = [str(v) for v in meta.values() if v is not None]
    parts += [line for lines in (inspected.get("evidence") or {}).values() for line in lines]
    parts += inspected.get("page") or []
    parts += [p["text"] for p in inspected.get("passages") or []]
    return _SPACE.sub("", "\n".join(parts))


def inspect_file(path: Path) -> tuple[dict, float]:
    started = time.perf_counter()
    done = subprocess.run([str(REPORTQA), "inspect", str(path), "--json"], capture_output=True, text=True,
                          check=False)
    seconds = time.perf_counter() - started
    try:
        return json.loads(done.stdout), seconds
    except json.JSONDecodeError:
        return {"error": (done.stderr.strip().splitlines() or ["no output"])[-1]}, seconds


def index_folder(folder: Path) -> dict:
    """``reportqa index`` of a copy of the folder (the manifest and README left out) into a fresh index."""
    with tempfile.TemporaryDirectory(prefix="reportqa-formats-") as scratch:
        reports = Path(scratch, "reports")
        reports.mkdir()
        for path in folder.iterdir():
            if path.is_file() and path.suffix.lower() not in (".tsv", ".md"):
                shutil.copy(path, reports / path.name)
        done = subprocess.run([str(REPORTQA), "index", str(reports), "--index-dir", str(Path(scratch, "idx")),
                               "--json"], capture_output=True, text=True, check=False)
        try:
            summary = json.loads(done.stdout)
        except json.JSONDecodeError:
            summary = {"error": done.stderr.strip()[-300:]}
        summary["exit_code"] = done.returncode
        return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--min", type=float, default=0.9, help="the share of phrases that must be found")
    args = parser.parse_args(argv)
    with (args.folder / "manifest.tsv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    per_format: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    files = []
    for row in rows:
        kind = Path(row["file"]).suffix.lower().lstrip(".")
        phrases = [_NOTE.sub("", p).strip() for p in row["expected_phrases"].split("|") if p.strip()]
        inspected, seconds = inspect_file(args.folder / row["file"])
        text = extracted_text(inspected)
        found = [p for p in phrases if _SPACE.sub("", p) in text]
        per_format[kind][0] += len(found)
        per_format[kind][1] += len(phrases)
        files.append({"file": row["file"], "format": kind, "found": len(found), "phrases": len(phrases),
                      "missing": [p for p in phrases if p not in found], "error": inspected.get("error"),
                      "ocr": inspected.get("ocr"), "seconds": round(seconds, 1)})
    index = index_folder(args.folder)
    found_all = sum(v[0] for v in per_format.values())
    total = sum(v[1] for v in per_format.values())
    share = found_all / total if total else 0.0
    ok = share >= args.min and index.get("exit_code") == 0
    if args.json:
        print(json.dumps({"share": round(share, 3), "found": found_all, "phrases": total,
                          "per_format": {k: {"found": v[0], "phrases": v[1]} for k, v in sorted(per_format.items())},
                          "files": files, "index": index, "ok": ok}, ensure_ascii=False))
        return 0 if ok else 1
    print(f"{'format':<7} {'found':>5} / {'phrases':<7} share")
    for kind, (found, phrases) in sorted(per_format.items()):
        print(f"{kind:<7} {found:>5} / {phrases:<7} {found / phrases:.2f}")
    print(f"{'all':<7} {found_all:>5} / {total:<7} {share:.3f}")
    for entry in files:
        notes = [f"missing: {' | '.join(entry['missing'])}"] if entry["missing"] else []
        if entry["error"]:
            notes.append(f"error: {entry['error']}")
        if entry["ocr"]:
            notes.append(f"ocr mean {entry['ocr'].get('mean_confidence')}")
        print(f"  {entry['file']}: {entry['found']}/{entry['phrases']} ({entry['seconds']} s) {'; '.join(notes)}")
    skipped = index.get("skipped") or []
    print(f"index: exit {index.get('exit_code')}, {index.get('reports', index.get('error'))} reports, "
          f"{index.get('passages')} passages, {len(skipped)} skipped, parse peak {index.get('parse_peak_mb')} MB")
    for item in skipped:
        print(f"  skipped {item}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
