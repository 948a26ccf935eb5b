"""Metadata: title, unit, year, date and region, read from where reports put them.

Unit, in order: a line of its own above the title, the title itself (``XX局2021年…报告``), the
signature block at the end. Year: the title, else the opening of the body, else the date. Date: the
signing date at the end, else a publication date from the page the report was saved from. Lines that
are metadata (title, unit line, addressee, signature, date, cc) are taken out of the body.
Nothing is guessed: what is not stated stays ``None``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from reportqa.ingest.readers import Line
from reportqa.model import ReportMeta
from reportqa.text import to_simplified

_CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_CN_YEAR = "〇零○Ｏ一二三四五六七八九"

_DATE_PATTERNS = (
    re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?"),
    re.compile(r"((?:19|20)\d{2})\s*[.\-/．]\s*(\d{1,2})\s*[.\-/．]\s*(\d{1,2})(?!\d)"),
    re.compile(rf"([{_CN_YEAR}]{{4}})\s*年\s*([一二三四五六七八九十]{{1,3}})\s*月\s*([一二三四五六七八九十]{{1,3}})\s*日"),
)
_YEAR_IN_TEXT = re.compile(rf"((?:19|20)\d{{2}}|[{_CN_YEAR}]{{4}})\s*年")

UNIT_SUFFIXES = (
    "人民政府", "政府", "管理委员会", "管委会", "委员会", "办公室", "街道办事处", "办事处", "街道", "局", "委",
    "办", "中心", "法院", "检察院", "研究院", "院", "司法所", "所", "站", "支队", "大队", "队", "厅", "部",
    "处", "镇", "乡", "社区", "公司", "集团", "总工会", "联合会", "协会", "会",
)
_UNIT_NAME = re.compile(
    r"^[\u4e00-\u9fffA-Za-z0-9×＊*（）()·]{1,40}(?:" + "|".join(UNIT_SUFFIXES) + r")$"
)
_TITLE_WORDS = re.compile(r"报告|总结|汇报|情况|工作要点|自查|述职")
_HEADING_START = re.compile(
    r"^\s*(?:[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十\d]{1,3}[)）]|\d{1,2}[.、．])"
)
_ADDRESSEE = re.compile(r"^[\u4e00-\u9fff、，,（）()]{2,30}[：:]$")
_CC = re.compile(r"^\s*(?:抄送|抄报|分送|印发)\s*[：:]")
_NAME_CHAR = r"(?:(?![省市区县旗])[\u4e00-\u9fff])"
_REGION = re.compile(
    rf"^(?:{_NAME_CHAR}{{2,7}}?(?:省|自治区))?(?:{_NAME_CHAR}{{2,4}}市)?{_NAME_CHAR}{{1,6}}(?:区|县|旗)"
)
_TITLE_UNIT_BEFORE_YEAR = re.compile(rf"^(?:关于)?(.+?)(?:(?:19|20)\d{{2}}|[{_CN_YEAR}]{{4}})\s*年")
_TITLE_UNIT_AFTER_YEAR = re.compile(
    r"年度?(.{2,30}?(?:" + "|".join(UNIT_SUFFIXES) + r"))(?:关于|法治|依法|推进|年度|工作|上半年)"
)


def _cn_number(text: str) -> int:
    """十一 → 11, 二十三 → 23, 三十 → 30 (numbers up to 99)."""
    if "十" not in text:
        return _CN_DIGITS[text]
    tens, _, units = text.partition("十")
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[units] if units else 0)


def _year_value(text: str) -> int:
    if text.isdigit():
        return int(text)
    return int("".join(str(_CN_DIGITS[ch]) for ch in text))


def parse_date(text: str) -> str | None:
    """The first date in ``text`` as ISO yyyy-mm-dd, in any of the forms reports use."""
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            year_s, month_s, day_s = match.groups()
            try:
                year = _year_value(year_s)
                month = int(month_s) if month_s.isdigit() else _cn_number(month_s)
                day = int(day_s) if day_s.isdigit() else _cn_number(day_s)
                return dt.date(year, month, day).isoformat()
            except (KeyError, ValueError):
                continue
    return None


def _only_date(text: str) -> str | None:
    """The date when the line is nothing but a date (with brackets or spaces around it)."""
    compact = re.sub(r"[\s（）()]", "", text)
    date = parse_date(compact)
    if not date:
        return None
    rest = compact
    for pattern in _DATE_PATTERNS:
        rest = pattern.sub("", rest)
    return date if len(rest) <= 1 else None


def is_unit_name(text: str) -> bool:
    """Whether a short text reads as the name of an issuing unit (局, 委, 政府, 镇 …)."""
    simple = to_simplified(re.sub(r"\s+", "", text))
    if not 2 <= len(simple) <= 42 or _YEAR_IN_TEXT.search(simple):
        return False
    return bool(_UNIT_NAME.match(simple))


def _original_slice(original: str, simplified_part: str, start: int = 0) -> str:
    """``simplified_part`` as it is written in ``original`` (t2s keeps lengths, so slice)."""
    if len(to_simplified(original)) == len(original):
        return original[start : start + len(simplified_part)]
    return simplified_part


def find_title(
    lines: list[str], within: int = 12, skip: Callable[[str], bool] = lambda text: False
) -> int | None:
    """Index of the title line: an early short line naming a report (报告, 总结, 情况 …); lines
    for which ``skip`` is true (site navigation) are never the title."""
    for index, raw in enumerate(lines[:within]):
        if skip(raw):
            continue
        text = to_simplified(raw.strip())
        if not 6 <= len(text) <= 80 or text.endswith(("：", ":")) or text.startswith(("根据", "按照", "为")):
            continue
        if _HEADING_START.match(text) or "。" in text:
            continue
        if _TITLE_WORDS.search(text):
            return index
    return None


def _unit_from_title(title: str) -> str | None:
    simple = to_simplified(title.strip())
    match = _TITLE_UNIT_BEFORE_YEAR.match(simple)
    if match:
        candidate = re.sub(r"(?:关于|在|的)$", "", match.group(1))
        if is_unit_name(candidate):
            return _original_slice(title.strip(), candidate, match.start(1))
    match = _TITLE_UNIT_AFTER_YEAR.search(simple)
    if match and is_unit_name(match.group(1)):
        return _original_slice(title.strip(), match.group(1), match.start(1))
    return None


def _year_from(text: str) -> int | None:
    years = [_year_value(m.group(1)) for m in _YEAR_IN_TEXT.finditer(text)]
    years = [y for y in years if 1990 <= y <= 2100]
    return years[-1] if years else None


def region_of(unit: str | None) -> str | None:
    """The district or county a unit belongs to, when its name says so (重庆市大足区…)."""
    if not unit:
        return None
    simple = to_simplified(unit)
    match = _REGION.match(simple)
    if not match or len(match.group(0)) >= len(simple):
        return None
    return _original_slice(unit, match.group(0))


@dataclass
class MetadataResult:
    meta: ReportMeta
    body: list[Line]
    warnings: list[str]


def extract_metadata(lines: list[Line], publication_date: str | None = None) -> MetadataResult:
    """Read the metadata of a cleaned report and return the body without the metadata lines."""
    texts = [line.text.strip() for line in lines]
    taken: set[int] = set()
    warnings: list[str] = []

    title_index = find_title(texts)
    title = texts[title_index] if title_index is not None else None
    unit: str | None = None
    date: str | None = None

    if title_index is not None:
        taken.add(title_index)
        # lines above the title: the unit on a line of its own, document numbers, 附件 labels
        for index in range(title_index):
            if len(texts[index]) <= 40:
                taken.add(index)
        above = title_index - 1
        if above >= 0 and is_unit_name(texts[above]):
            unit = texts[above]
        below = title_index + 1
        if below < len(texts) and re.fullmatch(r"[（(].{2,42}[)）]", texts[below]):
            inner = texts[below][1:-1].strip()
            if is_unit_name(inner):
                unit = unit or inner
                taken.add(below)
            elif _only_date(inner):
                date = _only_date(inner)
                taken.add(below)
        if unit is None:
            unit = _unit_from_title(title or "")

    # addressee: a short "区政府：" line before the first heading
    for index, text in enumerate(texts[:12]):
        if index in taken or _HEADING_START.match(text):
            continue
        if _ADDRESSEE.match(text):
            taken.add(index)
            addressee = text.rstrip("：:")
            break
    else:
        addressee = None

    # the end: cc lines, the signing date, the signature
    cc_lines = [i for i in range(max(0, len(texts) - 8), len(texts)) if _CC.match(texts[i])]
    cc = "；".join(texts[i] for i in cc_lines) or None
    taken.update(cc_lines)
    tail = [i for i in range(max(0, len(texts) - 8), len(texts)) if i not in taken]
    date_index = next((i for i in reversed(tail) if _only_date(texts[i])), None)
    signature_unit = None
    if date_index is not None and date_index not in taken:
        date = date or _only_date(texts[date_index])
        taken.add(date_index)
        for i in (date_index - 1, date_index - 2):
            if i >= 0 and i not in taken and is_unit_name(texts[i]):
                signature_unit = texts[i]
                taken.add(i)
                break
    else:
        # "重庆市大足区应急管理局  2021年11月23日" on one line, or a signature without a date
        for i in reversed(tail[-3:]):
            parts = texts[i].split()
            if len(parts) >= 2 and is_unit_name("".join(parts[:-1])) and _only_date(parts[-1]):
                signature_unit, date = "".join(parts[:-1]), _only_date(parts[-1])
                taken.add(i)
                break
            if is_unit_name(texts[i]) and i == tail[-1]:
                signature_unit = texts[i]
                taken.add(i)
                break
    unit = unit or signature_unit
    if date is None and publication_date:
        date = parse_date(publication_date)
        if date:
            warnings.append("date taken from the publication line, not a signature")

    body = [line for i, line in enumerate(lines) if i not in taken]
    year = _year_from(to_simplified(title)) if title else None
    if year is None:
        opening = "".join(line.text for line in body[:5])[:600]
        counts = Counter(_year_value(m.group(1)) for m in _YEAR_IN_TEXT.finditer(opening))
        year = counts.most_common(1)[0][0] if counts else None
    if year is None and date:
        year = int(date[:4])

    if title is None:
        warnings.append("no title found")
    if unit is None:
        warnings.append("unit unknown (not stated; name it in metadata.csv)")
    if year is None:
        warnings.append("year unknown")
    if date is None:
        warnings.append("no signing date found")
    meta = ReportMeta(title=title, unit=unit, year=year, date=date, region=region_of(unit),
                      addressee=addressee, cc=cc)
    return MetadataResult(meta, body, warnings)
