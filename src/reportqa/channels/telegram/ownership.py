"""Every answer belongs to its chat.

A button under an answer names its session (``pg:<sid>:3``, ``ex:<sid>:x``, ``fb:…``, ``fr:…``); the
session knows the chat it was asked in. Pressed anywhere else — the callback data copied into
another chat, or guessed — it gets the same refusal as an expired button, and nothing of that
chat's answer (its question, its scope, its export) reaches the other chat. Who may press at all
(the allowlist, by user or by chat) is checked before, for every button (``services.allowed``).
"""

from __future__ import annotations

from telegram import Message

from reportqa.channels.telegram.services import Services
from reportqa.conversations import asking
from reportqa.conversations.state import Session


async def chat_session(svc: Services, sid: str | None, message: Message) -> Session | None:
    """The session a button names when it was answered in the chat the button is in; None when it
    is unknown, expired or another chat's."""
    return await asking.chat_session(svc, sid, message.chat_id)
