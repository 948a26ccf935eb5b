"""Conversations in the bot: each chat's last question (each user's own in a group) kept in the
bot's database, and a message answered as a follow-up of it where it is one (conversations/).

The handlers call ``turn_in_chat`` instead of answering a message on its own, and ``send_turn_part``
for a turn that is one result in full or a note rather than an answer with buttons.
"""

from __future__ import annotations

from telegram import Message, User
from telegram.constants import ChatType

from reportqa.answers.scope import Scope
from reportqa.channels.telegram.keyboards import file_keyboard
from reportqa.channels.telegram.replies import send_pieces
from reportqa.channels.telegram.services import Services
from reportqa.conversations.turns import Turn, answer_turn, turn_messages
from reportqa.present.render import esc
from reportqa.retrieval.searcher import SearchIndex


def conversation_key(message: Message, user: User | None) -> tuple[int, int]:
    """A private chat is one conversation; in a group each member's is their own (0: no user)."""
    group = message.chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)
    return message.chat_id, (user.id if group and user is not None else 0)


async def turn_in_chat(svc: Services, searcher: SearchIndex, message: Message, user: User | None, question: str,
                       scope: Scope | None) -> Turn:
    """The message answered within its conversation, whose new last question is remembered."""
    chat_id, user_key = conversation_key(message, user)
    context = await svc.conversations.get(chat_id, user_key)
    turn = await answer_turn(searcher, question, context, svc.settings.page_size, scope=scope,
                             ttl=svc.conversations.ttl)
    if turn.context is not None and turn.context != context:
        await svc.conversations.put(chat_id, user_key, turn.context)
    return turn


def lead_html(turn: Turn, english: bool) -> str:
    """接上一个问题：普法宣传 · 2023年 — the line above a follow-up's answer."""
    return f"<i>{esc(turn.followup.lead(english))}</i>" if turn.followup is not None else ""


async def send_turn_part(message: Message, turn: Turn, english: bool) -> None:
    """A turn that is no answer of its own: one result of the last answer in full (with its 📎), or a
    note (no such result)."""
    markup = file_keyboard(turn.passage.report.id, english) if turn.passage is not None else None
    await send_pieces(message, turn_messages(turn, english), markup)
