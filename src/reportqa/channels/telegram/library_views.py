"""What the library holds, as staff browse it: /units by region, /years, and /unit 名称 — one unit's page
(its reports by year with outlines, the topics it reports most) or, for a name several units fit, a
numbered list with a page button each."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import ContextTypes

from reportqa.answers.question import clean_question
from reportqa.answers.reading import reading
from reportqa.answers.unit_page import unit_page, units_among
from reportqa.channels.telegram.keyboards import unit_page_keyboard, units_keyboard
from reportqa.channels.telegram.replies import chunk_lines, send_pieces
from reportqa.channels.telegram.services import allowed, services, wants_english
from reportqa.channels.telegram.texts import say
from reportqa.domain.lang import lang_of
from reportqa.domain.text import normalise
from reportqa.present.library_lines import units_by_region_lines, units_named_lines, years_html
from reportqa.present.render import TELEGRAM_LIMIT, render_unit_page_html
from reportqa.retrieval.searcher import ReportInfo, SearchIndex


async def cmd_units(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or not await allowed(update, context):
        return
    searcher = await services(context).holder.get()
    english = wants_english(update)
    await send_pieces(message, chunk_lines(units_by_region_lines(searcher, english)))


async def cmd_years(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or not await allowed(update, context):
        return
    searcher = await services(context).holder.get()
    await message.reply_html(years_html(searcher, wants_english(update)))


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
    pieces = chunk_lines(units_named_lines(units, name, lang_of(english)))
    await send_pieces(message, pieces, units_keyboard(units))


async def send_unit_page(message: Message, searcher: SearchIndex, reports: list[ReportInfo], english: bool) -> None:
    page = await unit_page(searcher, reports)
    await message.reply_html(render_unit_page_html(page, english), reply_markup=unit_page_keyboard(page, english),
                             do_quote=False, disable_web_page_preview=True)
