"""👍 / 👎 under every answer: one vote per user per answer (a second press of the other button
changes it), stored with the question, its scope and filters and the passages the page showed. The
first 👎 of a user on an answer asks once, optionally, what was wrong (four buttons)."""

from __future__ import annotations

from telegram import CallbackQuery, Message

from reportqa.bot.keyboards import REASON_LABELS, Callback, reason_keyboard
from reportqa.bot.ownership import chat_session
from reportqa.bot.services import Services
from reportqa.bot.state import REASONS, ShownPassage
from reportqa.bot.texts import say
from reportqa.search import Result

PHRASE_CHARS = 30


def shown_passages(results: list[Result]) -> list[ShownPassage]:
    """What a page showed, as the export needs it: each result's source and a phrase of its text
    (white space taken out, as score.py compares)."""
    out = []
    for r in results:
        phrase = "".join(r.text.split())[:PHRASE_CHARS]
        out.append(ShownPassage(r.passage_id, r.report.source, phrase))
    return out


async def on_vote(svc: Services, query: CallbackQuery, message: Message, action: Callback, english: bool) -> None:
    session = await chat_session(svc, action.sid, message)
    if session is None:
        await query.answer(say("expired", english), show_alert=True)
        return
    vote = await svc.state.vote(session.sid, query.from_user.id, action.helpful, action.number)
    if not vote.changed:
        await query.answer(say("vote_same", english))
        return
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
    await query.answer(say("reason_saved", english, reason=label))
    if message.chat.type == "private":  # in a group the buttons stay for the others
        await query.edit_message_text(say("reason_saved", english, reason=label))
