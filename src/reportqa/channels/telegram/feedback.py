"""👍 / 👎 under every answer: one vote per user per answer (a second press of the other button
changes it), stored with the question, its scope and filters and the passages the page showed. The
first 👎 of a user on an answer asks once, optionally, what was wrong (four buttons)."""

from __future__ import annotations

from telegram import CallbackQuery, InlineKeyboardMarkup, Message

from reportqa.channels.telegram.keyboards import Callback, reason_keyboard, target_keyboard
from reportqa.channels.telegram.ownership import chat_session
from reportqa.channels.telegram.services import Services
from reportqa.channels.telegram.texts import say
from reportqa.conversations.state import REASONS
from reportqa.conversations.votes import cast_vote, give_reason, pick_target
from reportqa.domain.lang import lang_of


async def on_vote(svc: Services, query: CallbackQuery, message: Message, action: Callback, english: bool) -> None:
    session = await chat_session(svc, action.sid, message)
    if session is None:
        await query.answer(say("expired", english), show_alert=True)
        return
    voted = await cast_vote(svc.state, session.sid, query.from_user.id, action.helpful, action.number,
                            lang_of(english))
    if voted.changed and svc.monitor is not None:
        svc.monitor.vote("telegram", action.helpful)
    await query.answer(voted.text)
    if voted.ask_reason:
        await message.reply_text(say("ask_reason", english), reply_markup=reason_keyboard(session.sid, english),
                                 do_quote=message.chat.type != "private")


async def on_reason(svc: Services, query: CallbackQuery, message: Message, action: Callback, english: bool) -> None:
    session = await chat_session(svc, action.sid, message)
    if session is None:
        await query.answer(say("expired", english), show_alert=True)
        return
    reasoned = await give_reason(svc.state, session.sid, query.from_user.id, REASONS[action.number],
                                 lang_of(english))
    if reasoned.refused:
        await query.answer(reasoned.text, show_alert=True)
        return
    if reasoned.ranks:  # which result of the page
        await query.answer()
        await _ask_or_edit(query, message, reasoned.text, target_keyboard(session.sid, reasoned.ranks, english))
        return
    await query.answer(reasoned.text)
    if message.chat.type == "private":  # in a group the buttons stay for the others
        await query.edit_message_text(reasoned.text)


async def _ask_or_edit(query: CallbackQuery, message: Message, text: str, markup: InlineKeyboardMarkup) -> None:
    """In a private chat the reason buttons become the result buttons; in a group (where others may
    still vote) the question goes to the voter as a reply."""
    if message.chat.type == "private":
        await query.edit_message_text(text, reply_markup=markup)
    else:
        await message.reply_text(text, reply_markup=markup, do_quote=True)


async def on_target(svc: Services, query: CallbackQuery, message: Message, action: Callback, english: bool) -> None:
    """The result a wrong unit or year is about (or all of them)."""
    session = await chat_session(svc, action.sid, message)
    if session is None:
        await query.answer(say("expired", english), show_alert=True)
        return
    picked = await pick_target(svc.state, session.sid, query.from_user.id, action.number, lang_of(english))
    if picked.refused:
        await query.answer(picked.text, show_alert=True)
        return
    await query.answer(picked.text)
    if message.chat.type == "private":
        await query.edit_message_text(picked.text)
