"""Notifications for subscriptions: when the served index holds report versions the bot has not seen,
every subscription those reports answer gets one message with the new passages (from the new reports
only), queued in SQLite and sent one at a time within Telegram's flood limits.

The bot notices a new index however it came: an upload or ``/reindex`` wakes the notifier at once, a
``reportqa index`` run by cron is seen on the next look (every ``notify_check_seconds``). The first
index the bot ever serves is its baseline: reports already there are not news. What is queued is sent
after a restart; what was sent is never composed again (``subscription_store``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from reportqa.answers.compose import answer_within
from reportqa.channels.telegram.guarded_bot import retry_after_seconds, single_try
from reportqa.channels.telegram.keyboards import notification_keyboard
from reportqa.channels.telegram.scopes import usable_scope
from reportqa.conversations.access import AccessPolicy
from reportqa.conversations.state import BotState
from reportqa.conversations.state_db import StateUnavailable
from reportqa.conversations.subscriptions import Notification, Queued, Subscription, SubscriptionStore
from reportqa.errors import IndexDamaged
from reportqa.present.render import esc, render_answer_html, short
from reportqa.retrieval.searcher import SearchIndex
from reportqa.retrieval.serving import IndexHolder
from reportqa.settings import Settings

log = logging.getLogger(__name__)
SEND_ATTEMPTS = 5  # flood-control waits for one message before it is left for the next round


def notification_lead(subscription: Subscription, reports: int, english: bool) -> str:
    """The first line of a notification: which subscription, how many new reports it comes from."""
    question = esc(short(subscription.question, 60))
    if english:
        return f"🔔 <b>Subscription #{subscription.id}</b> «{question}»: new in {reports} newly indexed report(s)"
    return f"🔔 <b>订阅 #{subscription.id}</b>「{question}」：新收录的 {reports} 份报告中有相关内容"


async def compose(searcher: SearchIndex, subscription: Subscription, new_reports: set[int], page_size: int,
                  scope_text: str | None) -> Notification | None:
    """The message for one subscription about these new reports, or None when they hold nothing
    for it (inside the chat's scope, as its questions are answered)."""
    scope = await usable_scope(searcher, scope_text)
    answer = await answer_within(searcher, subscription.question, new_reports, page_size, scope)
    if answer is None:
        return None
    reports = len({r.report.id for r in answer.results})
    lead = notification_lead(subscription, reports, subscription.english)
    text = render_answer_html(answer, subscription.english, lead=lead)
    markup = notification_keyboard(answer, subscription.id, subscription.english)
    return Notification(subscription.id, subscription.chat_id, text, markup.to_dict(), subscription.thread_id)


class Notifier:
    """Looks for new report versions and sends what they bring, in a background task."""

    def __init__(self, settings: Settings, holder: IndexHolder, state: BotState, store: SubscriptionStore,
                 access: AccessPolicy, bot: Bot) -> None:
        self.settings = settings
        self.holder = holder
        self.state = state
        self.store = store
        self.access = access
        self.bot = bot
        self._checked: str | None = None  # the generation whose reports were last compared
        self._check_lock = asyncio.Lock()
        self._send_lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._last_sent: dict[int, float] = {}
        self._last_any = 0.0

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="reportqa-notifier")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def wake(self) -> None:
        """Look now (a library change from the chat has just published an index)."""
        self._wake.set()

    async def settle(self) -> None:
        """One look and everything queued sent (what the background task does each time)."""
        await self.check()
        await self.drain()

    async def _run(self) -> None:
        while True:
            try:
                await self.settle()
            except asyncio.CancelledError:
                raise
            except StateUnavailable as exc:  # busy or being made afresh: the next round tries again
                log.warning("notifications wait for the state database: %s", exc)
            except Exception:  # a fault of one round must not end notifications for good
                log.exception("notifications failed this round")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.notify_check_seconds)
            self._wake.clear()

    # -- composing --------------------------------------------------------------------------------

    async def check(self) -> int:
        """Compare the served index's report versions with those known; queue a round for the new
        ones. How many notifications were queued."""
        async with self._check_lock:
            try:
                searcher = await self.holder.get()
            except IndexDamaged:
                return 0  # nothing sound to read news from; the bot says so to whoever asks
            if searcher.generation.name == self._checked:
                return 0
            versions = {r.sha256: r.source for r in searcher.reports.values() if r.sha256}
            if not await self.store.has_baseline():
                await self.store.record_round(versions.items(), [])
                log.info("notifications: %d reports known at start", len(versions))
                self._checked = searcher.generation.name
                return 0
            known = await self.store.known()
            fresh = {sha: source for sha, source in versions.items() if sha not in known}
            notes: list[Notification] = []
            if fresh:
                new_reports = {r.id for r in searcher.reports.values() if r.sha256 in fresh}
                for subscription in await self.store.every():
                    if not self.access.allows(subscription.user_id, subscription.chat_id):
                        continue  # the allowlist no longer admits who asked
                    note = await compose(searcher, subscription, new_reports, self.settings.page_size,
                                         await self.state.scope(subscription.chat_id))
                    if note is not None:
                        notes.append(note)
                await self.store.record_round(fresh.items(), notes)
                log.info("notifications: %d new report versions, %d messages queued", len(fresh), len(notes))
            self._checked = searcher.generation.name
            return len(notes)

    # -- sending ----------------------------------------------------------------------------------

    async def drain(self) -> None:
        """Send every queued message, oldest first, one at a time."""
        async with self._send_lock:
            while batch := await self.store.pending():
                for queued in batch:
                    if not await self._send(queued):
                        return  # Telegram unreachable: the rest waits for the next round

    async def _pace(self, chat_id: int) -> None:
        """Telegram's limits: about 30 messages a second in all, 20 a minute in one group."""
        now = time.monotonic()
        wait = max(self._last_any + self.settings.notify_interval_seconds - now,
                   self._last_sent.get(chat_id, -1e9) + self.settings.notify_chat_interval_seconds - now, 0.0)
        if wait:
            await asyncio.sleep(wait)

    async def _send(self, queued: Queued) -> bool:
        """Send one queued message; False when it should be tried again later."""
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
            except Forbidden as exc:  # blocked, or removed from the group: its subscriptions go
                removed = await self.store.remove_chat(note.chat_id)
                log.info("chat %s cannot be written to (%s): %d subscriptions removed", note.chat_id, exc, removed)
                return True
            except BadRequest as exc:  # this message can never be sent as it is
                log.warning("notification %d refused: %s", queued.id, exc)
                await self.store.mark_sent(queued.id, failure=str(exc)[:300])
                return True
            except TelegramError as exc:  # the network or Telegram itself: try again next round
                log.warning("notification %d not sent, kept for later: %s", queued.id, exc)
                return False
            finally:
                self._last_sent[note.chat_id] = self._last_any = time.monotonic()
            await self.store.mark_sent(queued.id)
            return True
        return False
