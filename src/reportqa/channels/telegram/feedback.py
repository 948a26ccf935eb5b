"""👍 / 👎 under every answer: one vote per user per answer (a second press of the other button
changes it), stored with the question, its scope and filters and the passages the page showed. The
first 👎 of a user on an answer asks once, optionally, what was wrong (four buttons)."""

from __future__ import annotations

from telegram import CallbackQuery, InlineKeyboardMarkup, Message

from reportqa.channels.telegram.keyboards import ALL_RESULTS, REASON_LABELS, Callback, reason_keyboard, target_keyboard
from reportqa.channels.telegram.ownership import chat_session
from reportqa.channels.telegram.services import Services
from reportqa.channels.telegram.texts import say
from reportqa.conversations.state import REASONS

TARGETED_REASONS = frozenset({"unit", "year"})  # about one result of the page, not the answer as a whole


async def on_vote(svc: Services, query: CallbackQuery, message: Message, action: Callback, english: bool) -> None:
    session = await chat_session(svc, action.sid, message)
    if session is None:
        await query.answer(say("expired", english), show_alert=True)
        return
    vote = await svc.state.vote(session.sid, query.from_user.id, action.helpful, action.number)
    if not vote.changed:
        await query.answer(say("vote_same", english))
        return
    if svc.monitor is not None:
        svc.monitor.vote("telegram", action.helpful)
    await query.answer(say("vote_up" if action.helpful else "vote_down", english))
    if not action.helpful and not vote.asked_reason:
        await svc.state.mark_reason_asked(session.sid, query.from_user.id)
        await message.reply_text(say("ask_reason", english), reply_markup=reason_keyboard(session.sid, english),
                                 do_quote=message.chat.type != "private")


async def on_reason(svc: Services, query: CallbackQuery, message: Message, action: Callback, english: bool) -> None:
    session = await chat_session(svc, action.sid, message)
    if session is None:
        await query.answer(say("expired", english), show_alert=True)
        return
    reason = REASONS[action.number]
    if not await svc.state.set_reason(session.sid, query.from_user.id, reason):
        await query.answer(say("vote_first", english), show_alert=True)
        return
    label = REASON_LABELS[reason][1 if english else 0]
    if reason in TARGETED_REASONS:  # a wrong unit or year is about a result: which one (issue 32)
        page = await svc.state.voted_page(session.sid, query.from_user.id)
        shown = page[1] if page else []
        if len(shown) > 1:
            await query.answer()
            ranks = [page[0] + i + 1 for i in range(len(shown))] if page else []
            await _ask_or_edit(query, message, say("reason_which", english, reason=label),
                               target_keyboard(session.sid, ranks, english))
            return
        if shown:  # one result shown: it is the one
            await svc.state.set_targets(session.sid, query.from_user.id, [shown[0].passage_id])
    await query.answer(say("reason_saved", english, reason=label))
    if message.chat.type == "private":  # in a group the buttons stay for the others
        await query.edit_message_text(say("reason_saved", english, reason=label))


async def _ask_or_edit(query: CallbackQuery, message: Message, text: str, markup: InlineKeyboardMarkup) -> None:
    """In a private chat the reason buttons become the result buttons; in a group (where others may
    still vote) the question goes to the voter as a reply."""
    if message.chat.type == "private":
        await query.edit_message_text(text, reply_markup=markup)
    else:
        await message.reply_text(text, reply_markup=markup, do_quote=True)


async def on_target(svc: Services, query: CallbackQuery, message: Message, action: Callback, english: bool) -> None:
    """The result a wrong unit or year is about (or all of them): stored with the vote, so the export
    excludes only that result's report."""
    session = await chat_session(svc, action.sid, message)
    if session is None:
        await query.answer(say("expired", english), show_alert=True)
        return
    page = await svc.state.voted_page(session.sid, query.from_user.id)
    shown = page[1] if page else []
    if page is None or not (action.number == ALL_RESULTS or 0 <= action.number < len(shown)):
        await query.answer(say("vote_first", english), show_alert=True)
        return
    chosen = shown if action.number == ALL_RESULTS else [shown[action.number]]
    if not await svc.state.set_targets(session.sid, query.from_user.id, [p.passage_id for p in chosen]):
        await query.answer(say("vote_first", english), show_alert=True)
        return
    reason = await svc.state.vote_reason(session.sid, query.from_user.id)
    label = REASON_LABELS.get(reason or "", ("", ""))[1 if english else 0]
    if action.number == ALL_RESULTS:
        text = say("reason_saved", english, reason=f"{say('reason_all', english)} · {label}")
    else:
        text = say("reason_saved_one", english, rank=page[0] + action.number + 1, reason=label)
    await query.answer(text)
    if message.chat.type == "private":
        await query.edit_message_text(text)
