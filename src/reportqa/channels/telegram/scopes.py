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

from reportqa.answers.question import clean_question
from reportqa.answers.scope import MAX_SCOPE_CHARS, OFF_WORDS, Scope, ScopeProblem
from reportqa.channels.telegram.services import Services, allowed, is_admin, services, wants_english
from reportqa.channels.telegram.texts import say
from reportqa.conversations.scopes import scope_of, scope_reports, usable_scope
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
    english = wants_english(update)
    svc = services(context)
    chat_id = message.chat_id
    group = message.chat.type != ChatType.PRIVATE
    text = clean_question(" ".join(context.args or []))
    if not text:
        current = await svc.state.scope(chat_id)
        if current is None:
            await message.reply_text(say("scope_none", english), do_quote=group)
            return
        searcher = await svc.holder.get()
        scope = await scope_of(searcher, current)
        label = scope.label if isinstance(scope, Scope) else current
        await message.reply_text(say("scope_is", english, scope=label), do_quote=group)
        return
    if not await may_change_chat(update, context):
        await message.reply_text(say("scope_admins", english), do_quote=group)
        return
    user = update.effective_user
    if text.lower() in OFF_WORDS:
        await svc.state.set_scope(chat_id, None, user.id if user else None)
        await message.reply_text(say("scope_off", english), do_quote=group)
        return
    text = text[:MAX_SCOPE_CHARS]
    searcher = await svc.holder.get()
    scope = await scope_of(searcher, text)
    if isinstance(scope, ScopeProblem):
        await message.reply_text(scope.en if english else scope.zh, do_quote=group)
        return
    await svc.state.set_scope(chat_id, text, user.id if user else None)
    await message.reply_text(say("scope_set", english, scope=scope.label, n=scope_reports(searcher, scope)),
                             do_quote=group)
