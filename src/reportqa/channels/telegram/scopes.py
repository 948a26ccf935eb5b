"""``/scope``: a chat's standing units, places and years (``/scope 大足区``, ``/scope 应急管理局 2021-2023``,
``/scope off``), stored per chat; in a private chat it is the user's own, and holds for their
inline queries too. In a group only a bot administrator or one of the group's administrators
may change it; anyone may see it.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from reportqa.answers.scope import Scope
from reportqa.channels.telegram.services import Services, allowed, is_admin, services, wants_english
from reportqa.conversations.chat_settings import scope_reply
from reportqa.conversations.scopes import scope_of, usable_scope
from reportqa.domain.lang import lang_of
from reportqa.retrieval.searcher import SearchIndex

log = logging.getLogger(__name__)
__all__ = ["chat_scope", "cmd_scope", "may_change_chat", "scope_of", "usable_scope"]


async def chat_scope(svc: Services, searcher: SearchIndex, chat_id: int | None) -> Scope | None:
    """The scope questions in this chat are answered in (see ``usable_scope``)."""
    return await usable_scope(searcher, await svc.state.scope(chat_id)) if chat_id is not None else None


async def may_change_chat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """What a chat is set to (its scope, its subscriptions) is changed in a private chat by its user,
    in a group by a bot administrator or one of the group's administrators."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return False
    if chat.type == ChatType.PRIVATE or is_admin(update, context):
        return True
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError as exc:
        log.info("could not ask who administers chat %s: %s", chat.id, exc)
        return False
    return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


async def cmd_scope(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or not await allowed(update, context):
        return
    svc = services(context)
    user = update.effective_user
    text = await scope_reply(svc.settings, svc.holder, svc.state, message.chat_id, user.id if user else None,
                             " ".join(context.args or []), lambda: may_change_chat(update, context),
                             lang_of(wants_english(update)))
    await message.reply_text(text, do_quote=message.chat.type != ChatType.PRIVATE)
