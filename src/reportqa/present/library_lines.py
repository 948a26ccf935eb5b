"""What the library holds, as every channel lists it (Telegram HTML lines): /units by region, /years,
and the units a /unit name fits."""

from __future__ import annotations

from collections import Counter

from reportqa.answers.reading import reading
from reportqa.domain.lang import Lang, lang_of
from reportqa.present.actions import UNITS_LISTED
from reportqa.present.catalog import say
from reportqa.present.render import TELEGRAM_LIMIT, UNKNOWN_UNIT, esc, html_to_text, short, telegram_length
from reportqa.retrieval.searcher import ReportInfo, SearchIndex


def units_by_region_lines(searcher: SearchIndex, english: bool) -> list[str]:
    """/units: the indexed units grouped by province (全国 for ministries, then 地区不详), each with
    its years."""
    unknown = say("place_unknown", lang_of(english))
    regions: dict[str, dict[str, Counter[int]]] = {}
    for report in searcher.reports.values():
        region = reading(searcher).catalog.province_of(report.id) or unknown
        regions.setdefault(region, {}).setdefault(report.unit or UNKNOWN_UNIT, Counter())[report.year or 0] += 1
    total = sum(len(units) for units in regions.values())
    lines = [f"<b>{say('units_held', lang_of(english))}（{total}）</b>"]
    order = sorted(regions, key=lambda r: (r == unknown, r != "全国", r))
    for region in order:
        lines.append(f"\n<b>{esc(region)}</b>（{len(regions[region])}）")
        for unit in sorted(regions[region]):
            counts = regions[region][unit]
            years = "、".join(f"{y or '?'}" + (f"（{n}份）" if n > 1 else "") for y, n in sorted(counts.items()))
            lines.append(f"• {esc(unit)} — {years}")
    return lines


def years_html(searcher: SearchIndex, english: bool) -> str:
    """/years: how many reports each year has."""
    counts = Counter(r.year for r in searcher.reports.values() if r.year)
    body = "\n".join(f"• {year}: " + say("n_reports", lang_of(english), n=n) for year, n in sorted(counts.items()))
    return f"<b>{say('years_held', lang_of(english))}</b>\n{body or '-'}"


def units_named_lines(units: list[list[ReportInfo]], name: str, lang: Lang) -> list[str]:
    """/unit naming several units: a numbered line per unit (its page is the button of that number)."""
    lines = [f"<b>{esc(say('units_named', lang, name=name, n=len(units)))}</b>"]
    for i, unit in enumerate(units[:UNITS_LISTED], start=1):
        years = "、".join(sorted({str(r.year) for r in unit if r.year})) or "?"
        region = f"（{esc(unit[0].region)}）" if unit[0].region else ""
        lines.append(f"{i}. {esc(unit[0].unit or UNKNOWN_UNIT)}{region} — {years}")
    if len(units) > UNITS_LISTED:
        lines.append(esc(say("units_more", lang, n=len(units) - UNITS_LISTED)))
    return lines


def chunk_lines(lines: list[str], limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Join lines into messages under the limit, breaking only between lines."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        if telegram_length(line) > limit - 1:  # never cut inside a tag or an entity: cut its text
            line = esc(short(html_to_text(line), limit - 2))
        if current and len(current) + 1 + len(line) > limit:
            chunks.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return chunks
