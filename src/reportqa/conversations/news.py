"""News for subscriptions, for every messenger at once: when the served index holds report versions
the bot has not seen, every subscription those reports answer gets one message with the new passages
(from the new reports only), queued in SQLite; each running channel (an ``Outlet``) sends the queued
messages of its own chats, within its platform's limits.

The bot notices a new index however it came: an upload or ``/reindex`` wakes the newsroom at once, a
``reportqa index`` run by cron is seen on the next look (every ``notify_check_seconds``). The first
index the bot ever serves is its baseline: reports already there are not news. What is queued is sent
after a restart (and a chat of a messenger that is not running now keeps its messages until it runs);
what was sent is never composed again (``subscriptions.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Literal, Protocol

from reportqa.answers.compose import answer_within
from reportqa.conversations.access import AccessPolicy
from reportqa.conversations.identity import Identities, id_range, platform_of
from reportqa.conversations.scopes import usable_scope
from reportqa.conversations.state import BotState
from reportqa.conversations.state_db import StateUnavailable
from reportqa.conversations.subscriptions import Notification, Queued, Subscription, SubscriptionStore
from reportqa.domain.lang import lang_of
from reportqa.errors import IndexDamaged
from reportqa.present.actions import notification_buttons, rows_markup
from reportqa.present.render import esc, render_answer_html, short
from reportqa.retrieval.searcher import SearchIndex
from reportqa.retrieval.serving import IndexHolder
from reportqa.settings import Settings

log = logging.getLogger(__name__)


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
    markup = rows_markup(notification_buttons(answer, subscription.id, lang_of(subscription.english)))
    return Notification(subscription.id, subscription.chat_id, text, markup, subscription.thread_id)


@dataclass(frozen=True)
class Delivery:
    """What became of one queued message: sent; to be tried again later (the messenger unreachable);
    its chat gone (its subscriptions end); refused as it is (never tried again)."""

    kind: Literal["sent", "later", "gone", "refused"]
    reason: str = ""


class Outlet(Protocol):
    """A running channel that sends its own chats' queued messages."""

    platform: str

    async def deliver(self, queued: Queued) -> Delivery: ...


class Newsroom:
    """Looks for new report versions, queues what they bring, and has each outlet send its share, in
    a background task."""

    def __init__(self, settings: Settings, holder: IndexHolder, state: BotState, store: SubscriptionStore,
                 policies: dict[str, AccessPolicy], identities: Identities | None = None) -> None:
        self.settings = settings
        self.holder = holder
        self.state = state
        self.store = store
        self.policies = policies
        self.identities = identities
        self.outlets: dict[str, Outlet] = {}
        self._checked: str | None = None  # the generation whose reports were last compared
        self._check_lock = asyncio.Lock()
        self._send_lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None

    def add_outlet(self, outlet: Outlet) -> None:
        self.outlets[outlet.platform] = outlet

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="reportqa-news")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def wake(self) -> None:
        """Look now (a library change from a chat has just published an index)."""
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

    async def admits(self, subscription: Subscription) -> bool:
        """Whether the allowlist of the subscription's messenger still admits who asked (by the ids
        that messenger gives)."""
        platform = platform_of(subscription.chat_id) or "telegram"
        policy = self.policies.get(platform)
        if policy is None:
            return True
        if platform == "telegram":
            return policy.allows(subscription.user_id, subscription.chat_id)
        if self.identities is None or subscription.user_id is None:
            return policy.open_to_everyone
        user = await self.identities.native(subscription.user_id)
        return policy.allows(user.native if user else None)

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
                    if not await self.admits(subscription):
                        continue  # the allowlist no longer admits who asked
                    note = await compose(searcher, subscription, new_reports, self.settings.page_size,
                                         await self.state.scope(subscription.chat_id))
                    if note is not None:
                        notes.append(note)
                await self.store.record_round(fresh.items(), notes)
                log.info("notifications: %d new report versions, %d messages queued", len(fresh), len(notes))
            self._checked = searcher.generation.name
            return len(notes)

    async def drain(self) -> None:
        """Every running outlet sends its chats' queued messages, oldest first, one at a time."""
        async with self._send_lock:
            for outlet in list(self.outlets.values()):
                await self._drain(outlet)

    async def _drain(self, outlet: Outlet) -> None:
        chats = id_range(outlet.platform)
        while batch := await self.store.pending(chats=chats):
            for queued in batch:
                delivery = await outlet.deliver(queued)
                if delivery.kind == "later":
                    return  # the messenger unreachable: the rest waits for the next round
                if delivery.kind == "gone":  # blocked, or removed from the group: its subscriptions go
                    removed = await self.store.remove_chat(queued.notification.chat_id)
                    log.info("%s chat %s cannot be written to (%s): %d subscriptions removed", outlet.platform,
                             queued.notification.chat_id, delivery.reason, removed)
                elif delivery.kind == "refused":  # this message can never be sent as it is
                    log.warning("notification %d refused: %s", queued.id, delivery.reason)
                    await self.store.mark_sent(queued.id, failure=delivery.reason[:300] or "refused")
                else:
                    await self.store.mark_sent(queued.id)
