"""Who wrote it, where and when, in one process: ``metadata_score.py``'s figures in seconds.

    python -m benchmarks.issuer_eval [--eval-dir ../shared/eval] [--set real2] [--verbose]

Each labelled set (``real`` → ``corpus/real`` + ``real_metadata.tsv``) is parsed file by file as
``reportqa inspect`` parses it (the file's folder as the reports folder) and scored with the shared
scorer's own ``same_unit``, so the figures are the ones ``metadata_score.py`` prints; it only saves
the 200 process starts. ``metadata_score.py`` stays the reference.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from reportqa.domain.model import ReportMeta
from reportqa.errors import UnreadableFile
from reportqa.ingest.pipeline import ParseOptions, parse_report, read_overrides, source_name
from reportqa.settings import Settings

SETS = {"real": ("real", "real_metadata.tsv"), "real2": ("real2", "real2_metadata.tsv")}


@dataclass(frozen=True)
class Labelled:
    file: Path
    unit: str | None  # None: undeterminable
    year: str | None
    date: str | None
    row: dict[str, str]


def shared_scorer(eval_dir: Path) -> ModuleType:
    """``metadata_score.py`` as a module (its ``same_unit`` is the definition of a right unit)."""
    spec = importlib.util.spec_from_file_location("metadata_score", eval_dir / "metadata_score.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"no metadata_score.py in {eval_dir}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def labelled_reports(eval_dir: Path, name: str) -> list[Labelled]:
    folder, gold = SETS[name]
    reports = eval_dir.parent / "corpus" / folder
    lines = (eval_dir / gold).read_text(encoding="utf-8").splitlines()
    head = lines[0].split("\t")
    out = []
    for line in lines[1:]:
        row = dict(zip(head, line.split("\t"), strict=False))
        if row.get("kind", "report") != "report":
            continue

        def value(key: str, row: dict[str, str] = row) -> str | None:
            text = row.get(key, "-").strip()
            return None if text in ("", "-") else text

        out.append(Labelled(reports / row["file"], value("unit"), value("year"), value("date"), row))
    return out


def meta_of(path: Path, options: ParseOptions) -> ReportMeta | None:
    reports_dir = path.parent
    override = read_overrides(reports_dir).get(source_name(path, reports_dir))
    try:
        return parse_report(path, reports_dir, options, override).meta
    except UnreadableFile:
        return None


def score_set(reports: list[Labelled], scorer: ModuleType, options: ParseOptions,
              verbose: bool = False) -> dict[str, float | int]:
    units = ok_units = missing = wrong = none_n = none_ok = years = ok_years = dates = ok_dates = 0
    for report in reports:
        meta = meta_of(report.file, options) or ReportMeta()
        if report.unit is None:
            none_n += 1
            none_ok += meta.unit is None
            if meta.unit is not None and verbose:
                print(f"  {report.file.name}: gold undeterminable, says {meta.unit}")
        else:
            units += 1
            if scorer.same_unit(meta.unit, report.unit):
                ok_units += 1
            else:
                missing += meta.unit is None
                wrong += meta.unit is not None
                if verbose:
                    print(f"  {report.file.name}: unit {meta.unit!r} != {report.unit}   [{meta.evidence.get('unit')}]")
        if report.year is not None:
            years += 1
            ok_years += str(meta.year) == report.year
            if verbose and str(meta.year) != report.year:
                print(f"  {report.file.name}: year {meta.year} != {report.year}")
        if report.date is not None:
            dates += 1
            ok_dates += meta.date == report.date
            if verbose and meta.date != report.date:
                print(f"  {report.file.name}: date {meta.date} != {report.date}")
    return {"reports": len(reports), "unit": ok_units / max(units, 1), "units": units, "ok_units": ok_units,
            "missing": missing, "wrong": wrong, "unknown_kept": none_ok, "undeterminable": none_n,
            "year": ok_years, "years": years, "date": ok_dates, "dates": dates}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=Path("../shared/eval"))
    parser.add_argument("--set", choices=sorted(SETS), action="append")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    scorer = shared_scorer(args.eval_dir)
    settings = Settings()
    options = ParseOptions(settings.config_dir)
    for name in args.set or sorted(SETS):
        if args.verbose:
            print(name)
        r = score_set(labelled_reports(args.eval_dir, name), scorer, options, args.verbose)
        print(f"metadata {name:<5} reports={r['reports']} unit={r['unit']:.3f} ({r['ok_units']}/{r['units']}; "
              f"missing {r['missing']}, wrong {r['wrong']}) undeterminable_kept_unknown="
              f"{r['unknown_kept']}/{r['undeterminable']} year={r['year']}/{r['years']} date={r['date']}/{r['dates']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
