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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reportqa.ingest.dates import (
    CN_YEAR_CHARS,
    DateFinding,
    delivered_on,
    only_date,
    page_date,
    parse_date,
    year_value,
)
from reportqa.ingest.issuer import Candidate, Evidence, ReportEvidence, identify_issuer
from reportqa.ingest.readers import Line
from reportqa.model import ReportMeta
from reportqa.resources import DateLabels
from reportqa.text import normalise, to_simplified
from reportqa.unit_names import UnitName, parse_unit_name

__all__ = ["MetadataResult", "extract_metadata", "find_title", "parse_date", "unit_in_title"]

_YEAR = rf"(?:(?:19|20)\d{{2}}|[{CN_YEAR_CHARS}]{{4}})"
_YEAR_IN_TEXT = re.compile(rf"({_YEAR})\s*年")
_YEAR_RANGE = re.compile(rf"{_YEAR}\s*年?\s*[-—–~～至到]+\s*{_YEAR}\s*年?")
_DOC_TITLE = re.compile(r"《[^《》]*》")
_TITLE_WORDS = re.compile(r"报告|总结|汇报|情况|工作要点|自查|述职")
_HEADING_START = re.compile(
    r"^\s*(?:[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十\d]{1,3}[)）]|\d{1,2}[.、．])"
)
_ADDRESSEE = re.compile(r"^[\u4e00-\u9fff、，,（）()]{2,30}[：:]$")
_CC = re.compile(r"^\s*(?:抄送|抄报|分送|印发)\s*[：:]")
_SITE_TAG = re.compile(r"^[^\w【]*(?:【[^】]{1,12}】)?\s*")
_FILE_SUFFIX = re.compile(r"\.(?:docx?|pdf|txt|wps)$", re.IGNORECASE)
_TITLE_UNIT = (
    re.compile(r"^(?P<name>.{2,40}?)关于"),  # X关于2021年度…的报告
    re.compile(rf"^(?P<name>.{{2,40}}?)\s*{_YEAR}\s*年?"),  # X2021年…报告, 沅江路街道2024法治…
    re.compile(rf"{_YEAR}\s*年度?(?P<name>.{{2,30}}?)(?:关于|法治|依法|推进|年度|工作|上半年|下半年)"),  # 2020年教育局…
    re.compile(r"^(?P<name>.{2,40}?)(?:法治政府|依法行政)"),  # X法治政府建设情况报告
)


def is_unit_name(text: str, config_dir: Path) -> bool:
    """Whether a short text reads as the name of an issuing unit (局, 委, 政府, 镇 …)."""
    simple = to_simplified(re.sub(r"\s+", "", text))
    if not 2 <= len(simple) <= 42 or _YEAR_IN_TEXT.search(simple):
        return False
    return parse_unit_name(simple, config_dir, place_only=False) is not None


def find_title(lines: list[str], within: int = 12, skip: Callable[[str], bool] = lambda text: False) -> int | None:
    """Index of the title line: among the first ``within`` lines that are not site furniture (for
    which ``skip`` is true), a short line naming a report (报告, 总结, 情况 …)."""
    counted = 0
    for index, raw in enumerate(lines[: within * 4]):
        if skip(raw):
            continue
        counted += 1
        if counted > within:
            break
        text = to_simplified(raw.strip())
        if not 6 <= len(text) <= 80 or text.endswith(("：", ":")) or text.startswith(("根据", "按照", "为")):
            continue
        if _HEADING_START.match(text) or "。" in text:
            continue
        if _TITLE_WORDS.search(text):
            return index
    return None


def clean_title(title: str) -> str:
    """A title without a site's tag (【2022年】) or a file suffix (.docx)."""
    return _FILE_SUFFIX.sub("", _SITE_TAG.sub("", title.strip())).strip()


def unit_in_title(title: str, config_dir: Path) -> UnitName | None:
    """The unit a title names: before 关于 or the year, after the year, or before 法治政府…; a title
    that names only a place names its government (静海区2023年度… → 静海区人民政府)."""
    simple = normalise(clean_title(title)).removeprefix("关于")
    for pattern in _TITLE_UNIT:
        match = pattern.search(simple)
        if not match:
            continue
        name = re.sub(r"(?:关于|在|的|\s)+$", "", match.group("name"))
        unit = parse_unit_name(name, config_dir)
        if unit is not None:
            return unit
    return None


def report_year(title: str | None, body: list[str], date: str | None) -> tuple[int | None, Evidence | None]:
    """The year a report covers: its title's; else the year its opening sentence starts with; else
    the commonest year in the opening (ranges like 2021—2025年 and document titles left out, unless
    nothing else names one); else its date's."""
    if title:
        years = [year_value(m.group(1)) for m in _YEAR_IN_TEXT.finditer(_YEAR_RANGE.sub(" ", normalise(title)))]
        years = [y for y in years if 1990 <= y <= 2100]
        if years:
            return years[-1], Evidence("year", "title", title)
    opening = normalise("".join(body[:5]))[:800]
    first = re.match(rf"\W*({_YEAR})\s*年", opening)
    if first:
        return year_value(first.group(1)), Evidence("year", "opening", opening[:30])
    for text in (_DOC_TITLE.sub(" ", _YEAR_RANGE.sub(" ", opening)), _YEAR_RANGE.sub(" ", opening)):
        counts = Counter(year_value(m.group(1)) for m in _YEAR_IN_TEXT.finditer(text))
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


def extract_metadata(
    lines: list[Line],
    config_dir: Path,
    page_lines: list[str] | None = None,
    date_labels: DateLabels | None = None,
    source: str = "",
    override_unit: str | None = None,
) -> MetadataResult:
    """Read the metadata of a cleaned report and return the body without the metadata lines.

    ``page_lines`` are the web page's lines cleaning took out (where a page states its date);
    ``source`` is the file's path in the reports folder (its folders and name are evidence).
    """
    texts = [line.text.strip() for line in lines]
    taken: set[int] = set()
    warnings: list[str] = []
    stated: list[Candidate] = []
    date: DateFinding | None = None

    title_index = find_title(texts)
    title = clean_title(texts[title_index]) if title_index is not None else None
    if title_index is not None:
        taken.add(title_index)
        # lines above the title: the unit on a line of its own, document numbers, 附件 labels
        for index in range(title_index):
            if len(texts[index]) <= 40:
                taken.add(index)
        above = title_index - 1
        if above >= 0 and (unit := _unit_line(texts[above], config_dir)):
            stated.append(Candidate(unit, "unit line", texts[above]))
        below = title_index + 1
        if below < len(texts) and re.fullmatch(r"[（(].{2,42}[)）]", texts[below]):
            inner = texts[below][1:-1].strip()
            if (unit := _unit_line(inner, config_dir)):
                stated.append(Candidate(unit, "unit line", inner))
                taken.add(below)
            elif only_date(inner):
                date = DateFinding(only_date(inner) or "", "signed", "date line", inner)
                taken.add(below)
        for index in (below, below + 1):  # 2025年3月17日在…常务委员会…会议上
            if index < len(texts) and index not in taken and (delivered := delivered_on(texts[index])):
                date = date or DateFinding(delivered, "signed", "delivery line", texts[index])
                taken.add(index)
                if index + 1 < len(texts) and len(texts[index + 1]) <= 30 and "会议" in texts[index + 1]:
                    taken.add(index + 1)  # the meeting's name running on to the next line
        unit = unit_in_title(title or "", config_dir)
        if unit is not None:
            # a title that names its unit outranks the line above it (which may be the site's
            # owner: 大足区人民政府 over 大足区卫生健康委员会's report); one naming only a place does not
            named = Candidate(unit, "title", title or "")
            stated.insert(0 if unit.kind_written else len(stated), named)
    else:
        # a page with no title: the unit's name alone on the first line
        for index, text in enumerate(texts[:2]):
            if (unit := _unit_line(text, config_dir)):
                stated.append(Candidate(unit, "unit line", text))
                taken.add(index)
                break

    # addressee: a short "区政府：" line before the first heading
    addressee = None
    for index, text in enumerate(texts[:12]):
        if index in taken or _HEADING_START.match(text):
            continue
        if _ADDRESSEE.match(text):
            taken.add(index)
            addressee = text.rstrip("：:")
            break

    # the end: cc lines, the signing date, the signature
    cc_lines = [i for i in range(max(0, len(texts) - 8), len(texts)) if _CC.match(texts[i])]
    cc = "；".join(texts[i] for i in cc_lines) or None
    taken.update(cc_lines)
    tail = [i for i in range(max(0, len(texts) - 8), len(texts)) if i not in taken]
    date_index = next((i for i in reversed(tail) if only_date(texts[i])), None)
    signature: Candidate | None = None
    if date_index is not None and date_index not in taken:
        date = DateFinding(only_date(texts[date_index]) or "", "signed", "signature", texts[date_index])
        taken.add(date_index)
        for i in (date_index - 1, date_index - 2):
            if i >= 0 and i not in taken and (unit := _unit_line(texts[i], config_dir)):
                signature = Candidate(unit, "signature", texts[i])
                taken.add(i)
                break
    else:
        # "重庆市大足区应急管理局  2021年11月23日" on one line, or a signature without a date
        for i in reversed(tail[-3:]):
            parts = texts[i].split()
            if len(parts) >= 2 and only_date(parts[-1]) and (unit := _unit_line("".join(parts[:-1]), config_dir)):
                signature = Candidate(unit, "signature", texts[i])
                date = DateFinding(only_date(parts[-1]) or "", "signed", "signature", texts[i])
                taken.add(i)
                break
            if i == tail[-1] and (unit := _unit_line(texts[i], config_dir)):
                signature = Candidate(unit, "signature", texts[i])
                taken.add(i)
                break
    if signature is not None:
        stated.append(signature)
    if date is None and page_lines and date_labels is not None:
        date = page_date(page_lines, date_labels)

    body = [line for i, line in enumerate(lines) if i not in taken]
    body_texts = [line.text for line in body]
    issuer = identify_issuer(ReportEvidence(
        stated=tuple(stated),
        body=normalise("\n".join(body_texts)),
        title=normalise(title) if title else None,
        addressee=normalise(addressee) if addressee else None,
        source=source,
        override=override_unit,
    ), config_dir)
    year, year_evidence = report_year(title, body_texts, date.iso if date else None)

    evidence: dict[str, list[str]] = {}
    for item in issuer.evidence:
        evidence.setdefault(item.field, []).append(str(item))
    if year_evidence is not None:
        evidence["year"] = [str(year_evidence)]
    if date is not None:
        evidence["date"] = [f"{date.source} 「{date.text}」"]

    if title is None:
        warnings.append("no title found")
    if issuer.unit is None:
        warnings.append("unit unknown (not stated; name it in metadata.csv)")
    if year is None:
        warnings.append("year unknown")
    if date is None:
        warnings.append("no signing date found")
    elif date.kind == "published":
        warnings.append("date taken from the publication line, not a signature")
    meta = ReportMeta(
        title=title, unit=issuer.unit, year=year, date=date.iso if date else None, region=issuer.region,
        addressee=addressee, cc=cc, unit_written=issuer.written, unit_kind=issuer.kind,
        place_code=issuer.place_code, locality=issuer.locality, national=issuer.national,
        place_exact=issuer.place_exact,
        date_kind=date.kind if date else None, evidence=evidence,
    )
    return MetadataResult(meta, body, warnings)


def _unit_line(text: str, config_dir: Path) -> UnitName | None:
    """A line that is only a unit's name (not a date, not a sentence)."""
    if not 2 <= len(text) <= 42 or _YEAR_IN_TEXT.search(text) or re.search(r"[。：:，,]", text):
        return None
    return parse_unit_name(text, config_dir, place_only=False)
