"""What the library holds, as staff browse it: /units by region, /years, and /unit 名称 — one unit's page
(its reports by year with outlines, the topics it reports most) or, for a name several units fit, a
numbered list with a page button each."""

from __future__ import annotations

from collections import Counter

from telegram import Message, Update
from telegram.ext import ContextTypes

from reportqa.answers.question import clean_question
from reportqa.answers.reading import reading
from reportqa.answers.unit_page import unit_page, units_among
from reportqa.channels.telegram.keyboards import UNITS_LISTED, unit_page_keyboard, units_keyboard
from reportqa.channels.telegram.replies import chunk_lines, send_pieces
from reportqa.channels.telegram.services import allowed, services, wants_english
from reportqa.channels.telegram.texts import say
from reportqa.domain.text import normalise
from reportqa.present.render import TELEGRAM_LIMIT, UNKNOWN_UNIT, esc, render_unit_page_html
from reportqa.retrieval.searcher import ReportInfo, SearchIndex


async def cmd_units(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or not await allowed(update, context):
        return
    searcher = await services(context).holder.get()
    english = wants_english(update)
    await send_pieces(message, chunk_lines(units_by_region_lines(searcher, english)))


def units_by_region_lines(searcher: SearchIndex, english: bool) -> list[str]:
    """/units: the indexed units grouped by province (全国 for ministries, then 地区不详), each with
    its years."""
    unknown = "Place unknown" if english else "地区不详"
    regions: dict[str, dict[str, Counter[int]]] = {}
    for report in searcher.reports.values():
        region = reading(searcher).catalog.province_of(report.id) or unknown
        regions.setdefault(region, {}).setdefault(report.unit or UNKNOWN_UNIT, Counter())[report.year or 0] += 1
    total = sum(len(units) for units in regions.values())
    lines = [f"<b>{'Units' if english else '已收录的单位'}（{total}）</b>"]
    order = sorted(regions, key=lambda r: (r == unknown, r != "全国", r))
    for region in order:
        lines.append(f"\n<b>{esc(region)}</b>（{len(regions[region])}）")
        for unit in sorted(regions[region]):
            counts = regions[region][unit]
            years = "、".join(f"{y or '?'}" + (f"（{n}份）" if n > 1 else "") for y, n in sorted(counts.items()))
            lines.append(f"• {esc(unit)} — {years}")
    return lines


async def cmd_years(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or not await allowed(update, context):
        return
    searcher = await services(context).holder.get()
    counts = Counter(r.year for r in searcher.reports.values() if r.year)
    english = wants_english(update)
    body = "\n".join(f"• {year}: {n}" + (" reports" if english else " 份报告") for year, n in sorted(counts.items()))
    await message.reply_html(f"<b>{'Years' if english else '已收录的年度'}</b>\n{body or '-'}")


async def cmd_unit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/unit 名称: one unit's page; several units named alike, a numbered list with a page button each."""
    message = update.effective_message
    if message is None or not await allowed(update, context):
        return
    english = wants_english(update)
    name = clean_question(" ".join(context.args or []))[:50]
    if not name:
        await message.reply_text(say("unit_usage", english))
        return
    searcher = await services(context).holder.get()
    wanted = normalise(name)
    # what the catalog reads (a place, a kind, a short form) and whose names hold the text; where both
    # find something in common (大足区应急: the place's reports, one of them named so), only that
    read = reading(searcher).catalog.find(wanted)
    named = {r.id for r in searcher.reports.values() if r.unit and wanted in normalise(r.unit)}
    ids = (read & named) or read | named
    units = units_among(searcher, ids)
    if not units:
        names = "、".join(searcher.units) or "-"
        await message.reply_text(say("no_unit", english, name=name, units=names)[:TELEGRAM_LIMIT])
        return
    if len(units) == 1:
        await send_unit_page(message, searcher, units[0], english)
        return
    lines = [f"<b>{esc(say('units_named', english, name=name, n=len(units)))}</b>"]
    for i, unit in enumerate(units[:UNITS_LISTED], start=1):
        years = "、".join(sorted({str(r.year) for r in unit if r.year})) or "?"
        region = f"（{esc(unit[0].region)}）" if unit[0].region else ""
        lines.append(f"{i}. {esc(unit[0].unit or UNKNOWN_UNIT)}{region} — {years}")
    if len(units) > UNITS_LISTED:
        lines.append(esc(say("units_more", english, n=len(units) - UNITS_LISTED)))
    pieces = chunk_lines(lines)
    await send_pieces(message, pieces, units_keyboard(units))


async def send_unit_page(message: Message, searcher: SearchIndex, reports: list[ReportInfo], english: bool) -> None:
    page = await unit_page(searcher, reports)
    await message.reply_html(render_unit_page_html(page, english), reply_markup=unit_page_keyboard(page, english),
                             do_quote=False, disable_web_page_preview=True)
