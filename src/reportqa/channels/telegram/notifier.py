"""Notifications for subscriptions on Telegram: the newsroom (``conversations/news.py``) composes and
queues them for every messenger; this outlet sends the Telegram chats' share one at a time within
Telegram's flood limits. The newsroom it opens is the one a process running several messengers
shares (``reportqa.launch`` adds the other outlets to it).
"""

from __future__ import annotations

import asyncio
import logging
import time

from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from reportqa.channels.telegram.guarded_bot import retry_after_seconds, single_try
from reportqa.conversations.access import AccessPolicy
from reportqa.conversations.news import Delivery, Newsroom
from reportqa.conversations.state import BotState
from reportqa.conversations.subscriptions import Queued, SubscriptionStore
from reportqa.retrieval.serving import IndexHolder
from reportqa.settings import Settings

log = logging.getLogger(__name__)
SEND_ATTEMPTS = 5  # flood-control waits for one message before it is left for the next round


class Notifier:
    """The Telegram outlet of a newsroom, and the newsroom's handle for the Telegram handlers."""

    platform = "telegram"

    def __init__(self, settings: Settings, holder: IndexHolder, state: BotState, store: SubscriptionStore,
                 access: AccessPolicy, bot: Bot) -> None:
        self.settings = settings
        self.bot = bot
        self.newsroom = Newsroom(settings, holder, state, store, {"telegram": access})
        self.newsroom.add_outlet(self)
        self._last_sent: dict[int, float] = {}
        self._last_any = 0.0

    def start(self) -> None:
        self.newsroom.start()

    async def close(self) -> None:
        await self.newsroom.close()

    def wake(self) -> None:
        self.newsroom.wake()

    async def settle(self) -> None:
        await self.newsroom.settle()

    async def check(self) -> int:
        return await self.newsroom.check()

    async def drain(self) -> None:
        await self.newsroom.drain()

    async def _pace(self, chat_id: int) -> None:
        """Telegram's limits: about 30 messages a second in all, 20 a minute in one group."""
        now = time.monotonic()
        wait = max(self._last_any + self.settings.notify_interval_seconds - now,
                   self._last_sent.get(chat_id, -1e9) + self.settings.notify_chat_interval_seconds - now, 0.0)
        if wait:
            await asyncio.sleep(wait)

    async def deliver(self, queued: Queued) -> Delivery:
        """Send one queued message."""
        note = queued.notification
        markup = InlineKeyboardMarkup.de_json(note.markup, self.bot) if note.markup else None
        for _ in range(SEND_ATTEMPTS):
            await self._pace(note.chat_id)
            try:
                with single_try():  # the outbox is this message's retry: the next round sends it again
                    await self.bot.send_message(note.chat_id, note.text, parse_mode=ParseMode.HTML,
                                                reply_markup=markup, disable_web_page_preview=True,
                                                message_thread_id=note.thread_id)
            except RetryAfter as exc:
                await asyncio.sleep(retry_after_seconds(exc))
                continue
            except Forbidden as exc:  # blocked, or removed from the group
                return Delivery("gone", str(exc))
            except BadRequest as exc:
                return Delivery("refused", str(exc))
            except TelegramError as exc:  # the network or Telegram itself: try again next round
                log.warning("notification %d not sent, kept for later: %s", queued.id, exc)
                return Delivery("later", str(exc))
            finally:
                self._last_sent[note.chat_id] = self._last_any = time.monotonic()
            return Delivery("sent")
        return Delivery("later", "flood control")
