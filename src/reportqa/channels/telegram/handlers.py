"""Handlers: questions in private chats and groups, buttons, commands, errors (inline mode: inline.py).

Each handler reads the shared services from ``context.bot_data`` and never blocks the event loop:
parsing and ranking run in worker threads (``SearchIndex.answer``), SQLite through aiosqlite.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time

from telegram import CallbackQuery, Message, MessageEntity, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import CommandHandler, ContextTypes

from reportqa.answers.unit_page import unit_of
from reportqa.channels.telegram import feedback, followups
from reportqa.channels.telegram.files import in_library, send_report_file
from reportqa.channels.telegram.keyboards import (
    REASON_LABELS,
    Callback,
    answer_keyboard,
    file_keyboard,
    parse_callback,
)
from reportqa.channels.telegram.library_views import send_unit_page
from reportqa.channels.telegram.ownership import chat_session
from reportqa.channels.telegram.replies import chunk_lines, send_pieces
from reportqa.channels.telegram.services import (
    Services,
    allowed,
    id_lines,
    insider,
    is_admin,
    record_refusal,
    reply_english,
    services,
    wants_english,
)
from reportqa.channels.telegram.subscribe import on_unsubscribe_button
from reportqa.channels.telegram.texts import HELP, say
from reportqa.conversations import asking
from reportqa.conversations.asking import Asker
from reportqa.conversations.service import nearest_command
from reportqa.conversations.state_db import StateUnavailable, state_health_lines
from reportqa.errors import IndexDamaged
from reportqa.present.catalog import MESSAGES
from reportqa.present.render import (
    TELEGRAM_LIMIT,
    esc,
    render_answer_html,
    render_outline_html,
    render_passage_html,
    telegram_length,
)

log = logging.getLogger(__name__)
CHANNEL = "telegram"


# -- questions ---------------------------------------------------------------------------------


async def answer_question(update: Update, context: ContextTypes.DEFAULT_TYPE, raw: str) -> None:
    """Search (the turn every channel runs: conversations/asking.py), reply with the first page and its
    buttons, log the question."""
    message = update.effective_message
    if message is None or not await allowed(update, context):
        return
    svc = services(context)
    user = update.effective_user
    group = message.chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)
    asker = Asker(message.chat_id, user.id if user else None, group, str(message.chat.type), wants_english(update),
                  CHANNEL)
    asked = await asking.ask(svc, asker, raw)
    english = asked.english
    if asked.limited is not None:
        await message.reply_text(say("rate_limited", english, seconds=asked.limited), do_quote=group)
        return
    if asked.empty or asked.turn is None:
        await message.reply_text(say("empty_question", english), do_quote=group)
        return
    turn = asked.turn
    if turn.answer is None:  # 第二条详细说说: one result of the last answer in full, or a note
        await followups.send_turn_part(message, turn, english)
        return
    answer = turn.answer
    text = render_answer_html(answer, english, lead=followups.lead_html(turn, english))
    if asked.cut:
        note = esc(say("cut", english, n=asked.cut))
        if telegram_length(text) + telegram_length(note) + 1 <= TELEGRAM_LIMIT:
            text = f"{note}\n{text}"
    await message.reply_html(
        text,
        reply_markup=answer_keyboard(answer, asked.sid or "", svc.settings.page_size, english),
        do_quote=group,
        disable_web_page_preview=True,
    )
    await asking.asked_sent(svc, asker, asked)


async def on_private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In a private chat every text is a question."""
    if update.effective_message and update.effective_message.text:
        await answer_question(update, context, update.effective_message.text)


def _addressed_to_bot(message: Message, bot_id: int, username: str | None) -> str | None:
    """The question in a group message that mentions or replies to the bot; None otherwise."""
    text = message.text or ""
    mention = f"@{username}".lower() if username else None
    mentioned = False
    if mention:
        try:  # every @name, wherever it stands, is an address, never a search word
            values = list(message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION]).values())
        except (IndexError, UnicodeError, ValueError):  # an entity that splits a character: read the text
            values = re.findall(r"@[A-Za-z0-9_]{3,32}", text)
        for value in sorted(values, key=len, reverse=True):
            mentioned = mentioned or value.lower() == mention
            text = text.replace(value, " ")
    replied = bool(message.reply_to_message and message.reply_to_message.from_user
                   and message.reply_to_message.from_user.id == bot_id)
    return text if mentioned or replied else None


async def on_group_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In groups only a mention of the bot or a reply to it is a question; other chatter is ignored."""
    message = update.effective_message
    if message is None or not message.text:
        return
    question = _addressed_to_bot(message, context.bot.id, context.bot.username)
    if question is not None:
        await answer_question(update, context, question)


async def cmd_ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    question = " ".join(context.args or [])
    if not question.strip():
        message = update.effective_message
        if message is not None and await allowed(update, context):
            await message.reply_text(say("ask_usage", wants_english(update)))
        return
    await answer_question(update, context, question)


# -- buttons ----------------------------------------------------------------------------------


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or not await allowed(update, context):
        return
    english = wants_english(update)
    action = parse_callback(query.data)
    message = query.message if isinstance(query.message, Message) else None
    if action is None or message is None:
        await query.answer(say("bad_button", english))
        return
    svc = services(context)
    if action.kind == "fb":
        await feedback.on_vote(svc, query, message, action, english)
        return
    if action.kind == "fr":
        await feedback.on_reason(svc, query, message, action, english)
        return
    if action.kind == "fw":
        await feedback.on_target(svc, query, message, action, english)
        return
    if action.kind == "un":
        await on_unsubscribe_button(update, context, query, message, action.number)
        return
    searcher = await svc.holder.get()
    if action.kind == "ex":
        await send_export(svc, update, query, message, action)
        return
    if action.kind == "pg":
        session = await chat_session(svc, action.sid, message)
        if session is None:
            await query.answer(say("expired", english), show_alert=True)
            return
        answer = await asking.page(svc, session, action.number)  # a page keeps the scope it was asked in
        english = reply_english(update, session.question)
        if answer is None:
            await query.answer(say("no_more", english))
            return
        await query.answer()
        await query.edit_message_text(
            render_answer_html(answer, english),
            parse_mode=ParseMode.HTML,
            reply_markup=answer_keyboard(answer, session.sid, svc.settings.page_size, english),
            disable_web_page_preview=True,
        )
    elif action.kind == "fs":
        result = await searcher.passage(action.number)
        if result is None:
            await query.answer(say("gone", english), show_alert=True)
            return
        if not in_library(svc.settings.reports_dir, result.report):
            await query.answer(say("file_missing", english), show_alert=True)
            return
        await query.answer()
        await send_pieces(message, render_passage_html(result), file_keyboard(result.report.id, english))
    elif action.kind == "up":
        reports = unit_of(searcher, action.number)
        if not reports:
            await query.answer(say("gone", english), show_alert=True)
            return
        await query.answer()
        await send_unit_page(message, searcher, reports, english)
    elif action.kind == "sf":
        report = searcher.reports.get(action.number)
        if report is None:
            await query.answer(say("gone", english), show_alert=True)
            return
        await send_report_file(svc, query, message, report, english)
    else:
        report = searcher.reports.get(action.number)
        if report is None:
            await query.answer(say("gone", english), show_alert=True)
            return
        if not in_library(svc.settings.reports_dir, report):
            await query.answer(say("file_missing", english), show_alert=True)
            return
        await query.answer()
        sections = [p.section for p in await searcher.report_sections(report.id)]
        await message.reply_html(render_outline_html(report, sections), do_quote=False)


async def send_export(svc: Services, update: Update, query: CallbackQuery, message: Message, action: Callback) -> None:
    """📊 / 📝: the session's whole answer as a file (conversations/asking.export)."""
    session = await chat_session(svc, action.sid, message)
    if session is None:
        await query.answer(say("expired", wants_english(update)), show_alert=True)
        return
    english = reply_english(update, session.question)
    user_id = query.from_user.id
    if not svc.limiter.allow(user_id):  # an export is a question asked again, at its full length
        await query.answer(say("rate_limited", english, seconds=svc.limiter.retry_after(user_id)), show_alert=True)
        return
    if not svc.exports.begin(user_id):
        await query.answer(say("exporting", english))
        return
    try:
        await query.answer(say("exporting", english))
        made = await asking.export(svc, session, action.export_format or "xlsx", english)
        try:
            await message.reply_document(made.data, filename=made.name,
                                         caption=say("export_caption", english, n=made.results), do_quote=False)
        except TelegramError as exc:
            log.warning("could not send an export: %s", exc)
            await message.reply_text(say("file_failed", english), do_quote=False)
    finally:
        svc.exports.end(user_id)


# -- commands ---------------------------------------------------------------------------------


async def cmd_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or not await allowed(update, context):
        return  # an outsider learns nothing of what the bot is for
    text = HELP["en" if wants_english(update) else "zh"].format(bot=context.bot.username or "bot")
    await message.reply_html(text, disable_web_page_preview=True)


async def cmd_whoami(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/whoami, for everyone: the user's id (and the group's), and whether they may use the bot, so
    that an administrator can be sent the ids the allowlist needs. An outsider's is logged like any
    other attempt of theirs (the administrators see the ids in /stats)."""
    message = update.effective_message
    if message is None:
        return
    english = wants_english(update)
    svc = services(context)
    user, chat = update.effective_user, update.effective_chat
    lines = id_lines(update, english)
    if svc.access.is_admin(user.id if user else None):
        lines += [say("whoami_admin", english), say("whoami_how", english)]
    elif svc.access.open_to_everyone:
        lines.append(say("whoami_open", english))
    elif insider(update, context):
        group_let_in = chat is not None and chat.id in svc.access.allowed_chats and chat.type != ChatType.PRIVATE
        lines.append(say("whoami_group_allowed" if group_let_in else "whoami_allowed", english))
    else:
        await record_refusal(update, context)
        lines.append(say("whoami_refused", english))
    await message.reply_text("\n".join(lines), do_quote=chat is not None and chat.type != ChatType.PRIVATE)


def registered_commands(context: ContextTypes.DEFAULT_TYPE) -> list[str]:
    """Every command the application answers (its CommandHandlers): one list, never a copy of it."""
    names: set[str] = set()
    for group in context.application.handlers.values():
        for handler in group:
            if isinstance(handler, CommandHandler):
                names |= set(handler.commands)
    return sorted(names)


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command no handler knows (/unti 应急, /foo): a short reply with the nearest one and /help,
    never silence. In a group, only a command addressed to this bot (or to no bot in particular)."""
    message = update.effective_message
    if message is None or not message.text or not message.text.startswith("/"):
        return
    word = message.text[1:].split(maxsplit=1)[0] if len(message.text) > 1 else ""
    name, _, addressee = word.partition("@")
    if addressee and context.bot.username and addressee.lower() != context.bot.username.lower():
        return  # another bot's command
    if not await allowed(update, context):
        return
    english = wants_english(update)
    nearest = nearest_command(name, registered_commands(context))
    shown = name[:32] or "?"
    text = (say("unknown_command", english, command=shown, nearest=nearest) if nearest
            else say("unknown_command_plain", english, command=shown))
    await message.reply_text(text, do_quote=message.chat.type != ChatType.PRIVATE)


async def admin_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> tuple[Message, bool] | None:
    """(message, english) for an administrator's command; anyone else is told it is not for them."""
    message = update.effective_message
    if message is None or not await allowed(update, context):
        return None  # an outsider gets the one refusal, not a word about administrators
    english = wants_english(update)
    if not is_admin(update, context):
        await message.reply_text(say("admins_only", english))
        return None
    return message, english


async def cmd_stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if (command := await admin_command(update, context)) is None:
        return
    message, english = command
    svc = services(context)
    stats = await svc.state.stats()
    lines = [f"<b>{'Questions' if english else '提问统计'}</b>（{'total' if english else '共'} {stats.total}）"]
    lines += [f"• {day}: {n}" for day, n in stats.per_day]
    lines.append(f"\n<b>{'Top questions' if english else '常见问题'}</b>")
    lines += [f"• {esc(q[:80])} ×{n}" for q, n in stats.top] or ["-"]
    lines.append(f"\n<b>{'No answer' if english else '没有答案的问题'}</b>")
    lines += [f"• {esc(q[:80])} ×{n}" for q, n in stats.unanswered] or ["-"]
    votes = "votes" if english else "投票"
    lines.append(f"\n<b>{'Helpful share per week' if english else '每周有用率'}</b>（👍/{votes}）")
    lines += [f"• {week}: {up}/{n} = {up / n:.0%}" for week, up, n in stats.helpful_by_week] or ["-"]
    lines.append(f"\n<b>{'Latest 👎' if english else '最近的 👎'}</b>")
    lines += [f"• {esc(q[:80])}" + (f" — {esc(REASON_LABELS[r][1 if english else 0])}" if r in REASON_LABELS else "")
              for q, r in stats.latest_unhelpful] or ["-"]
    lines += await refusal_lines(svc, english)
    lines += state_health_lines(svc.state.database, english)
    await send_pieces(message, chunk_lines(lines))


REFUSALS_LISTED = 10


async def refusal_lines(svc: Services, english: bool) -> list[str]:
    """/stats: the latest refused attempts with the ids an allowlist needs (none: nothing)."""
    if svc.refusals is None:
        return []
    try:
        refusals = await svc.refusals.latest(REFUSALS_LISTED)
    except StateUnavailable:
        return []
    if not refusals:
        return []
    lines = [f"\n<b>{esc(say('stats_refusals', english))}</b>"]
    for r in refusals:
        kind, _, command = r.what.partition(":")
        what = say(f"refusal_{kind}", english, command=command) if f"refusal_{kind}" in MESSAGES else kind
        chat = say("stats_refusal_chat", english, chat_id=r.chat_id) if r.in_group else ""
        when = time.strftime("%m-%d %H:%M", time.localtime(r.at))
        line = say("stats_refusal", english, when=when, user_id=r.user_id, chat=chat, what=what)
        name = f" {r.name}" if r.name else ""
        lines.append(f"• {esc(line)}{esc(name)}" + (f" ×{r.count}" if r.count > 1 else ""))
    return lines


# -- errors -----------------------------------------------------------------------------------


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log, and tell the user something went wrong. 'Message is not modified' and users who blocked
    the bot are expected, not errors."""
    error = context.error
    if isinstance(error, BadRequest) and "not modified" in str(error).lower():
        return
    if isinstance(error, Forbidden):
        log.info("cannot reach a user: %s", error)
        return
    damaged = isinstance(error, IndexDamaged)
    busy = isinstance(error, StateUnavailable)
    refused = isinstance(error, TelegramError)  # a reply Telegram refused, or that timed out past retries
    if damaged:
        log.error("no sound index to answer from: %s", error)
    elif busy:
        log.warning("could not save: %s", error)
    elif refused:
        log.warning("a reply was not sent: %s: %s", type(error).__name__, error)
    else:
        log.error("error while handling an update", exc_info=error)
    if isinstance(update, Update) and update.effective_message is not None and insider(update, context):
        key = "index_damaged" if damaged else "state_busy" if busy else "reply_failed" if refused else "error"
        text = say(key, wants_english(update))
        try:
            if update.callback_query is not None:  # a button: its own answer (the spinner stops)
                with contextlib.suppress(TelegramError):
                    await update.callback_query.answer(text, show_alert=True)
                    return
            await update.effective_message.reply_text(text)
        except Exception:  # the reply itself may be what fails
            log.warning("could not send the error message", exc_info=True)
