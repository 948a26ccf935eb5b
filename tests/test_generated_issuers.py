"""Who wrote it, on 2,400 generated reports: every way a unit names itself × every kind of place.

The shared real reports sample a few provinces and kinds of unit; ``generated_reports.py`` writes the
same evidence for every province and level (and towns with invented names, zones, ministries). A unit
is right when its citation ends with the unit's own place (or town) and kind and it is placed in the
unit's own division — another city's 鼓楼区 is wrong. Scored overall, by kind of evidence and by
province, so a rule that fits only the shared files fails here.
"""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from reportqa.domain.model import ReportMeta
from reportqa.ingest.pipeline import ParseOptions, parse_report
from reportqa.settings import BUNDLED_CONFIG_DIR
from tests.generated_reports import GeneratedReport, generate

OPTIONS = ParseOptions(BUNDLED_CONFIG_DIR)


def is_right(meta: ReportMeta, report: GeneratedReport) -> bool:
    if meta.unit is None or not meta.unit.endswith(report.tail):
        return False
    if report.code is None:
        return meta.national
    return meta.place_code == report.code


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[GeneratedReport, ReportMeta]]:
    folder = tmp_path_factory.mktemp("generated")
    out = []
    for report in generate():
        path = folder / report.name
        path.write_text(report.text, encoding="utf-8")
        out.append((report, parse_report(path, folder, OPTIONS).meta))
    return out


def _rates(scored: list[tuple[GeneratedReport, ReportMeta]], key) -> dict[str, tuple[int, int]]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for report, meta in scored:
        counts[key(report)][0] += is_right(meta, report)
        counts[key(report)][1] += 1
    return {k: (v[0], v[1]) for k, v in counts.items()}


def _misses(scored: list[tuple[GeneratedReport, ReportMeta]], keep, limit: int = 12) -> str:
    wrong = [f"{r.name} [{r.evidence}, {r.province}] {meta.unit!r} @{meta.place_code} != {r.unit} @{r.code}"
             for r, meta in scored if keep(r) and not is_right(meta, r)]
    return "\n".join(wrong[:limit])


def test_there_are_enough_of_every_kind(scored: list[tuple[GeneratedReport, ReportMeta]]) -> None:
    assert len(scored) >= 2000
    assert min(n for _, n in _rates(scored, lambda r: r.evidence).values()) >= 100
    assert len(_rates(scored, lambda r: r.province)) == 32  # 31 provinces and the ministries


def test_overall(scored: list[tuple[GeneratedReport, ReportMeta]]) -> None:
    right = sum(is_right(meta, report) for report, meta in scored)
    assert right / len(scored) >= 0.97, _misses(scored, lambda r: True, 30)


def test_every_kind_of_evidence(scored: list[tuple[GeneratedReport, ReportMeta]]) -> None:
    rates = _rates(scored, lambda r: r.evidence)
    low = {k: f"{a}/{n}" for k, (a, n) in rates.items() if a / n < 0.9}
    assert not low, f"{low}\n" + _misses(scored, lambda r: r.evidence in low)


def test_every_province(scored: list[tuple[GeneratedReport, ReportMeta]]) -> None:
    rates = _rates(scored, lambda r: r.province)
    low = {k: f"{a}/{n}" for k, (a, n) in rates.items() if a / n < 0.9}
    assert not low, f"{low}\n" + _misses(scored, lambda r: r.province in low)


def _kind_part(unit: str, meta: ReportMeta) -> str:
    """A citation without its places and town: what the report must have written (or abbreviated)."""
    from reportqa.domain.places import load_gazetteer

    gazetteer = load_gazetteer(BUNDLED_CONFIG_DIR)
    rest = unit.split("、")[-1]
    names = []
    if meta.place_code:
        for place in gazetteer.chain(meta.place_code):
            names += [place.name, *(f for f, codes in gazetteer.by_short.items() if place.code in codes)]
    for name in sorted(names, key=len, reverse=True):
        rest = rest.replace(name, "")
    if meta.locality:
        rest = rest.replace(meta.locality, "")
    return re.sub(r"^[^局委厅部办署]*?(?:经济技术开发区|高新技术产业开发区|新技术开发区|经开区|高新区|开发区|新片区|新区|"
                  r"工业园区|园区|合作区|科学城)", "", rest)


# a place (or town, street, zone) stands for its government: naming the place is naming it
GOVERNMENTS = ("人民政府", "办事处", "街道办事处", "管理委员会")


def test_no_citation_names_what_the_report_did_not_write(scored: list[tuple[GeneratedReport, ReportMeta]]) -> None:
    """Apart from places added from evidence, a citation's words are the report's own: a kind it wrote,
    or the full form of an abbreviation it wrote (市场监管局 → 市场监督管理局); a unit known only by
    what it calls itself (我局 and its work) is the one exception, and says so in ``unit_written``."""
    from reportqa.domain.text import normalise
    from reportqa.domain.unit_names import load_unit_kinds

    kinds = load_unit_kinds(BUNDLED_CONFIG_DIR)
    invented = []
    for report, meta in scored:
        if meta.unit is None or (meta.unit_written or "").startswith("我"):
            continue
        text = normalise(report.text + report.name)
        kind = _kind_part(meta.unit, meta)
        written = {kinds.cited_of(form) for form in kinds.canonical if form in text}
        if kind and kind not in text and kind not in written and kind not in GOVERNMENTS:
            invented.append(f"{report.name}: {meta.unit} ({kind!r} is not in the text)")
    assert not invented, "\n".join(invented[:10])
