"""Conversations in the bot: each chat's last question (each user's own in a group) kept in the
bot's database, and a message answered as a follow-up of it where it is one (conversations/).

The handlers answer a message through ``conversations/asking.ask`` (which keeps the conversation), and
call ``send_turn_part`` for a turn that is one result in full or a note rather than an answer with buttons.
"""

from __future__ import annotations

from telegram import Message

from reportqa.channels.telegram.keyboards import file_keyboard
from reportqa.channels.telegram.replies import send_pieces
from reportqa.conversations.turns import Turn, turn_messages
from reportqa.present.render import esc


def lead_html(turn: Turn, english: bool) -> str:
    """接上一个问题：普法宣传 · 2023年 — the line above a follow-up's answer."""
    return f"<i>{esc(turn.followup.lead(english))}</i>" if turn.followup is not None else ""


async def send_turn_part(message: Message, turn: Turn, english: bool) -> None:
    """A turn that is no answer of its own: one result of the last answer in full (with its 📎), or a
    note (no such result)."""
    markup = file_keyboard(turn.passage.report.id, english) if turn.passage is not None else None
    await send_pieces(message, turn_messages(turn, english), markup)
