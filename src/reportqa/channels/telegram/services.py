"""What every handler shares: the services in ``bot_data``, who is let in, which language to answer in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from reportqa.channels.telegram.texts import say
from reportqa.conversations.access import AccessPolicy, InFlight, RateLimiter
from reportqa.conversations.access_log import RefusalLog, refusal_now
from reportqa.conversations.asking import reply_english as asking_reply_english
from reportqa.conversations.followup_store import ConversationStore
from reportqa.conversations.monitor import Monitor
from reportqa.conversations.state import BotState
from reportqa.conversations.subscriptions import SubscriptionStore
from reportqa.retrieval.serving import IndexHolder
from reportqa.settings import Settings


class NewsRounds(Protocol):
    """What the handlers ask of the notifier (``notifier.py``, which reads the services from here):
    look for news now, wake its round, let its round finish, stop."""

    async def check(self) -> int: ...

    def wake(self) -> None: ...

    async def settle(self) -> None: ...

    async def close(self) -> None: ...


@dataclass
class Services:
    settings: Settings
    holder: IndexHolder
    state: BotState
    access: AccessPolicy
    limiter: RateLimiter
    subscriptions: SubscriptionStore
    notifier: NewsRounds
    conversations: ConversationStore
    exports: InFlight = field(default_factory=InFlight)  # one export at a time per user
    refusals: RefusalLog | None = None  # outsiders' attempts, for /stats
    monitor: Monitor | None = None  # metrics, health and the one log line per question


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.bot_data["services"]


def wants_english(update: Update) -> bool:
    """The user's own language (Telegram's language_code): buttons, help and replies to no words."""
    user = update.effective_user
    return bool(user and user.language_code and user.language_code.lower().startswith("en"))


def reply_english(update: Update, question: str) -> bool:
    """Replies follow the user's language unless the question is clearly in the other one: a
    zh-hans user asking "which units hired legal advisers" is answered in English, an English user
    asking 执法培训 in Chinese; 😀🎉 or 2021 in the user's own language (Chinese with no code)."""
    return asking_reply_english(question, wants_english(update))


def insider(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Whether the allowlist admits the update's user or chat."""
    user, chat = update.effective_user, update.effective_chat
    return services(context).access.allows(user.id if user else None, chat.id if chat else None)


def id_lines(update: Update, english: bool) -> list[str]:
    """您的用户 ID：…, and 本群 ID：… in a group: what an administrator needs to let someone in."""
    user, chat = update.effective_user, update.effective_chat
    lines = [say("id_user", english, user_id=user.id)] if user is not None else []
    if chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP, ChatType.CHANNEL):
        lines.append(say("id_chat", english, chat_id=chat.id))
    return lines


def refusal_text(update: Update, english: bool) -> str:
    """The one refusal an outsider gets, carrying their own ids to send to an administrator."""
    return "\n".join([say("refused", english), say("refused_ids", english), *id_lines(update, english)])


def attempt_kind(update: Update) -> str:
    """What an outsider tried, in a word for the log and /stats (never the text itself)."""
    if update.callback_query is not None:
        return "button"
    if update.inline_query is not None or update.chosen_inline_result is not None:
        return "inline"
    message = update.effective_message
    if message is not None and message.document is not None:
        return "document"
    text = (message.text or "") if message is not None else ""
    if text.startswith("/"):
        command = text[1:].split(maxsplit=1)[0].split("@", 1)[0] if len(text) > 1 else ""
        return f"command:{command[:32]}"
    return "message"


async def record_refusal(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An outsider's attempt, logged with their ids and kept for the administrators' /stats."""
    user, chat = update.effective_user, update.effective_chat
    if user is None:
        return
    svc = services(context)
    name = f"@{user.username}" if user.username else user.full_name
    refusal = refusal_now(user.id, chat.id if chat is not None else user.id,
                          chat.type if chat is not None else "inline", attempt_kind(update), name)
    if svc.monitor is not None:
        svc.monitor.refused("telegram")
    if svc.refusals is not None:
        await svc.refusals.record(refusal)


async def allowed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """True for an insider; an outsider gets one short refusal with their own ids, the same for every
    command, document and button, and nothing else; the attempt is logged for the administrators."""
    if insider(update, context):
        return True
    english = wants_english(update)
    await record_refusal(update, context)
    if update.callback_query:  # an alert holds 200 characters: the refusal with ids is well under
        await update.callback_query.answer(refusal_text(update, english), show_alert=True)
    elif update.effective_message:
        await update.effective_message.reply_text(refusal_text(update, english))
    return False


def is_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    user = update.effective_user
    return services(context).access.is_admin(user.id if user else None)
