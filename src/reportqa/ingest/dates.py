"""Dates: the forms reports and web pages write them in, and which one is a report's date.

A report's own date is its signing date (the signature at the end, or the line below the title that
says when it was delivered: ``2025年3月17日在…常务委员会…会议上``). Failing that, the date the web page
states for the document (成文日期, 发文日期, 发布时间 … by ``[dates]`` in ``config/cleaning.toml``, the
most trusted label first), kept as a publication date and shown as such. A site's clock
(``今天是:2019年10月31日``, ``2019年12月3日星期二``) is never a date.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from reportqa.domain.numbers import CN_YEAR_CHARS, cn_number, year_value
from reportqa.domain.rules import DateLabels

DateKind = Literal["signed", "published"]


DATE_PATTERNS = (
    re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?"),
    re.compile(r"((?:19|20)\d{2})\s*[.\-/．]\s*(\d{1,2})\s*[.\-/．]\s*(\d{1,2})(?!\d)"),
    re.compile(rf"([{CN_YEAR_CHARS}]{{4}})\s*年\s*([一二三四五六七八九十]{{1,3}})\s*月\s*([一二三四五六七八九十]{{1,3}})\s*日"),
)
_DELIVERED = re.compile(r"^\W{0,3}(?P<date>.{6,24}?日)\s*在.{2,60}(?:会议|大会)")


@dataclass(frozen=True)
class DateFinding:
    iso: str
    kind: DateKind
    source: str  # signature, delivery line, or the page's label (成文日期, 发布时间 …, page time)
    text: str  # the line it was read from


def parse_date(text: str) -> str | None:
    """The first date in ``text`` as ISO yyyy-mm-dd, in any of the forms reports use."""
    for pattern in DATE_PATTERNS:
        for match in pattern.finditer(text):
            year_s, month_s, day_s = match.groups()
            try:
                year = year_value(year_s)
                month = int(month_s) if month_s.isdigit() else cn_number(month_s)
                day = int(day_s) if day_s.isdigit() else cn_number(day_s)
                return dt.date(year, month, day).isoformat()
            except (KeyError, ValueError):
                continue
    return None


def only_date(text: str) -> str | None:
    """The date when a line is nothing but a date (with brackets or spaces around it)."""
    compact = re.sub(r"[\s（）()]", "", text)
    date = parse_date(compact)
    if not date:
        return None
    rest = compact
    for pattern in DATE_PATTERNS:
        rest = pattern.sub("", rest)
    return date if len(rest) <= 1 else None


def delivered_on(text: str) -> str | None:
    """``2025年3月17日在…常务委员会第二十四次会议上``: the date a report was delivered."""
    match = _DELIVERED.match(text)
    return parse_date(match.group("date")) if match else None


def page_date(lines: list[str], labels: DateLabels) -> DateFinding | None:
    """The date a web page states for its document, from the page lines taken out of the text:
    the most trusted label found wins; a line that is only a date and time (the page's own stamp)
    comes after every label; a site clock is never taken."""
    rank_of = {label: rank for rank, group in enumerate(labels.groups) for label in group}
    pattern = _label_pattern(tuple(sorted(rank_of, key=len, reverse=True)))
    best: tuple[int, DateFinding] | None = None
    stamp_rank = len(labels.groups)
    for index, line in enumerate(lines):
        if labels.never.search(line):
            continue
        for match in pattern.finditer(line):
            label = re.sub(r"\s+", "", match.group("label"))
            rank = rank_of.get(label, stamp_rank)
            if best is not None and best[0] <= rank:
                continue
            iso = parse_date(line[match.end(): match.end() + 24])
            text = line.strip()
            if iso is None and not line[match.end():].strip() and index + 1 < len(lines):
                iso = parse_date(lines[index + 1][:24])  # the label alone, its value on the next line
                text = f"{text} {lines[index + 1].strip()}"
            if iso is not None:
                best = (rank, DateFinding(iso, "published", label, text))
        if best is None or best[0] > stamp_rank:
            stamp = re.sub(r"^\W+", "", line)
            if stamp[:2] in ("19", "20") and (iso := parse_date(stamp[:20])):
                best = (stamp_rank, DateFinding(iso, "published", "page time", line.strip()))
    return best[1] if best else None


@cache
def _label_pattern(labels: tuple[str, ...]) -> re.Pattern[str]:
    """All labels in one pattern, longest first (发布时间 is read as itself, not as 时间)."""
    spaced = [r"\s*".join(map(re.escape, label)) for label in labels]
    return re.compile(rf"(?P<label>{'|'.join(spaced)})\s*[\]】|：:]?\s*")
