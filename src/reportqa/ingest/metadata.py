"""Metadata: title, unit and place, year, date, read from where reports put them, with the evidence.

The layout is read here: the title (skipping a web page's furniture above it), a unit on a line of
its own above the title (or alone at the top of a page with no title), the addressee (``区政府：``),
the signature and signing date at the end, a cc line. Lines that are metadata are taken out of the
body. Who wrote the report is then decided from all of it, and from the body, by ``issuer.py``; the
date by ``dates.py``. Nothing is guessed: what is not stated stays ``None``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from reportqa.domain.model import ReportMeta
from reportqa.domain.numbers import year_value
from reportqa.domain.rules import DateLabels
from reportqa.domain.text import normalise, to_simplified
from reportqa.domain.unit_names import UnitName, parse_unit_name
from reportqa.ingest.dates import (
    DateFinding,
    delivered_on,
    only_date,
    page_date,
    parse_date,
)
from reportqa.ingest.issuer import Evidence, Issuer, identify_issuer
from reportqa.ingest.readers import Line
from reportqa.ingest.titles import (
    HEADING_START,
    YEAR,
    YEAR_IN_TEXT,
    clean_title,
    find_title,
    is_unit_name,
    unit_in_title,
)
from reportqa.ingest.unit_sightings import ReportEvidence, Sighting

__all__ = ["MetadataResult", "extract_metadata", "find_title", "is_unit_name", "parse_date", "unit_in_title"]

_YEAR_RANGE = re.compile(rf"{YEAR}\s*年?\s*[-—–~～至到]+\s*{YEAR}\s*年?")
_DOC_TITLE = re.compile(r"《[^《》]*》")
_ADDRESSEE = re.compile(r"^[\u4e00-\u9fff、，,（）()]{2,30}[：:]$")
_CC = re.compile(r"^\s*(?:抄送|抄报|分送|印发)\s*[：:]")


def report_year(title: str | None, body: list[str], date: str | None) -> tuple[int | None, Evidence | None]:
    """The year a report covers: its title's; else the year its opening sentence starts with; else
    the commonest year in the opening (ranges like 2021—2025年 and document titles left out, unless
    nothing else names one); else its date's."""
    if title:
        years = [year_value(m.group(1)) for m in YEAR_IN_TEXT.finditer(_YEAR_RANGE.sub(" ", normalise(title)))]
        years = [y for y in years if 1990 <= y <= 2100]
        if years:
            return years[-1], Evidence("year", "title", title)
    opening = normalise("".join(body[:5]))[:800]
    first = re.match(rf"\W*({YEAR})\s*年", opening)
    if first:
        return year_value(first.group(1)), Evidence("year", "opening", opening[:30])
    for text in (_DOC_TITLE.sub(" ", _YEAR_RANGE.sub(" ", opening)), _YEAR_RANGE.sub(" ", opening)):
        counts = Counter(year_value(m.group(1)) for m in YEAR_IN_TEXT.finditer(text))
        counts = Counter({y: n for y, n in counts.items() if 1990 <= y <= 2100})
        if counts:
            year = counts.most_common(1)[0][0]
            return year, Evidence("year", "body", f"{year}年 ×{counts[year]}")
    if date:
        return int(date[:4]), Evidence("year", "date", date)
    return None, None


@dataclass
class MetadataResult:
    meta: ReportMeta
    body: list[Line]
    warnings: list[str]


@dataclass
class Layout:
    """Where a report puts its metadata: the lines that are metadata, taken out of the body."""

    texts: list[str]
    taken: set[int] = field(default_factory=set)
    title: str | None = None
    stated: list[Sighting] = field(default_factory=list)  # title, unit lines, signature
    addressee: str | None = None
    cc: str | None = None
    date: DateFinding | None = None


def read_layout(lines: list[Line], config_dir: Path, page_lines: list[str] | None = None,
                date_labels: DateLabels | None = None) -> Layout:
    """The title and what stands around it, the addressee, the signature and the date."""
    layout = Layout([line.text.strip() for line in lines])
    _read_head(layout, config_dir)
    _read_addressee(layout)
    _read_tail(layout, config_dir)
    if layout.date is None and page_lines and date_labels is not None:
        layout.date = page_date([to_simplified(line) for line in page_lines], date_labels)
    return layout


def _read_head(layout: Layout, config_dir: Path) -> None:
    """The title; a unit on a line of its own above it (or alone on a page with no title), or in
    brackets below it; a date or delivery line below it."""
    texts, taken, stated = layout.texts, layout.taken, layout.stated
    title_index = find_title(texts)
    if title_index is None:
        for index, text in enumerate(texts[:2]):  # a page with no title: the unit's name alone on a line
            if (unit := _unit_line(text, config_dir)):
                stated.append(Sighting(unit, "unit line", text))
                taken.add(index)
                break
        return
    layout.title = title = clean_title(texts[title_index])
    taken.add(title_index)
    # lines above the title: the unit on a line of its own, document numbers, 附件 labels
    taken.update(index for index in range(title_index) if len(texts[index]) <= 40)
    for above in (title_index - 1, title_index - 2):  # a joint report's two names on two lines
        if above >= 0 and (unit := _unit_line(texts[above], config_dir)):
            stated.append(Sighting(unit, "unit line", texts[above]))
    below = title_index + 1
    if below < len(texts) and re.fullmatch(r"[（(].{2,42}[)）]", texts[below]):
        inner = texts[below][1:-1].strip()
        if (unit := _unit_line(inner, config_dir)):
            stated.append(Sighting(unit, "unit line", inner))
            taken.add(below)
        elif only_date(inner):
            layout.date = DateFinding(only_date(inner) or "", "signed", "date line", inner)
            taken.add(below)
    for index in (below, below + 1):  # 2025年3月17日在…常务委员会…会议上
        if index < len(texts) and index not in taken and (delivered := delivered_on(texts[index])):
            layout.date = layout.date or DateFinding(delivered, "signed", "delivery line", texts[index])
            taken.add(index)
            if index + 1 < len(texts) and len(texts[index + 1]) <= 30 and "会议" in texts[index + 1]:
                taken.add(index + 1)  # the meeting's name running on to the next line
    unit = unit_in_title(texts[title_index], config_dir)  # as on the page: 【X局】 may name the unit
    if unit is not None:
        stated.insert(0, Sighting(unit, "title" if unit.kind_written else "title place", title))


def _read_addressee(layout: Layout) -> None:
    """A short ``区政府：`` line before the first heading."""
    for index, text in enumerate(layout.texts[:12]):
        if index in layout.taken or HEADING_START.match(text):
            continue
        if _ADDRESSEE.match(text):
            layout.taken.add(index)
            layout.addressee = text.rstrip("：:")
            return


def _read_tail(layout: Layout, config_dir: Path) -> None:
    """The end: cc lines, the signing date and the signature above it (or beside it on one line)."""
    texts, taken = layout.texts, layout.taken
    cc_lines = [i for i in range(max(0, len(texts) - 8), len(texts)) if _CC.match(texts[i])]
    layout.cc = "；".join(texts[i] for i in cc_lines) or None
    taken.update(cc_lines)
    tail = [i for i in range(max(0, len(texts) - 8), len(texts)) if i not in taken]
    date_index = next((i for i in reversed(tail) if only_date(texts[i])), None)
    signature: Sighting | None = None
    if date_index is not None:
        layout.date = DateFinding(only_date(texts[date_index]) or "", "signed", "signature", texts[date_index])
        taken.add(date_index)
        for i in (date_index - 1, date_index - 2):
            if i >= 0 and i not in taken and (unit := _unit_line(texts[i], config_dir)):
                signature = Sighting(unit, "signature", texts[i], at=1.0)
                taken.add(i)
                break
    else:
        # "重庆市大足区应急管理局  2021年11月23日" on one line, or a signature without a date
        for i in reversed(tail[-3:]):
            parts = texts[i].split()
            if len(parts) >= 2 and only_date(parts[-1]) and (unit := _unit_line("".join(parts[:-1]), config_dir)):
                signature = Sighting(unit, "signature", texts[i], at=1.0)
                layout.date = DateFinding(only_date(parts[-1]) or "", "signed", "signature", texts[i])
                taken.add(i)
                break
            if i == tail[-1] and (unit := _unit_line(texts[i], config_dir)):
                signature = Sighting(unit, "signature", texts[i], at=1.0)
                taken.add(i)
                break
    if signature is not None:
        layout.stated.append(signature)


def read_report(lines: list[Line], config_dir: Path, page_lines: list[str] | None = None,
                date_labels: DateLabels | None = None, source: str = "",
                override_unit: str | None = None) -> tuple[Layout, list[Line], ReportEvidence]:
    """The layout, the body without its metadata lines, and what the issuer is decided from."""
    layout = read_layout(lines, config_dir, page_lines, date_labels)
    body = [line for i, line in enumerate(lines) if i not in layout.taken]
    return layout, body, ReportEvidence(
        stated=tuple(layout.stated),
        body=normalise("\n".join(line.text for line in body)),
        title=normalise(layout.title) if layout.title else None,
        addressee=normalise(layout.addressee) if layout.addressee else None,
        source=source,
        override=override_unit,
        page_lines=tuple(normalise(line) for line in page_lines or ()),
    )


def extract_metadata(
    lines: list[Line],
    config_dir: Path,
    page_lines: list[str] | None = None,
    date_labels: DateLabels | None = None,
    source: str = "",
    override_unit: str | None = None,
) -> MetadataResult:
    """Read the metadata of a cleaned report and return the body without the metadata lines.

    ``page_lines`` are the web page's lines cleaning took out (where a page states its date and
    publisher); ``source`` is the file's path in the reports folder (its folders and name are evidence).
    """
    layout, body, report = read_report(lines, config_dir, page_lines, date_labels, source, override_unit)
    body_texts = [line.text for line in body]
    issuer = identify_issuer(report, config_dir)
    date = layout.date
    year, year_evidence = report_year(layout.title, body_texts, date.iso if date else None)

    evidence: dict[str, list[str]] = {}
    for item in issuer.evidence:
        evidence.setdefault(item.field, []).append(str(item))
    if year_evidence is not None:
        evidence["year"] = [str(year_evidence)]
    if date is not None:
        evidence["date"] = [f"{date.source} 「{date.text}」"]
    meta = ReportMeta(
        title=layout.title, unit=issuer.unit, year=year, date=date.iso if date else None, region=issuer.region,
        addressee=layout.addressee, cc=layout.cc, unit_written=issuer.written, unit_kind=issuer.kind,
        place_code=issuer.place_code, locality=issuer.locality, national=issuer.national,
        place_exact=issuer.place_exact,
        date_kind=date.kind if date else None, evidence=evidence,
    )
    return MetadataResult(meta, body, _warnings(meta, issuer))


def _warnings(meta: ReportMeta, issuer: Issuer) -> list[str]:
    warnings = []
    if meta.title is None:
        warnings.append("no title found")
    if issuer.unit is None:
        warnings.append("unit unknown (not stated; name it in metadata.csv)")
    elif issuer.place_unknown:
        warnings.append(f"place of {issuer.unit} unknown (metadata.csv names a unit no gazetteer place fits; "
                        "add its region there)")
    if meta.year is None:
        warnings.append("year unknown")
    if meta.date is None:
        warnings.append("no signing date found")
    elif meta.date_kind == "published":
        warnings.append("date taken from the publication line, not a signature")
    return warnings


def _unit_line(text: str, config_dir: Path) -> UnitName | None:
    """A line that is only a unit's name (not a date, not a sentence)."""
    if not 2 <= len(text) <= 42 or YEAR_IN_TEXT.search(text) or re.search(r"[。：:，,]", text):
        return None
    return parse_unit_name(text, config_dir, place_only=False)
