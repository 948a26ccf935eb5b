"""``python bot.py``: every messenger whose credentials are set, in one process, on one core.

Telegram (``REPORTQA_BOT_TOKEN``), WeCom (``REPORTQA_WECOM_BOT_ID`` + ``REPORTQA_WECOM_SECRET``) and
DingTalk (``REPORTQA_DINGTALK_CLIENT_ID`` + ``REPORTQA_DINGTALK_CLIENT_SECRET``) share the index, the
state database (one bot per database), the question budget, the newsroom of subscription notices and
/metrics and /health. With Telegram among them its Application runs the process as before and the
others start in its start-up; without it the others run on their own. With none set: one line, exit 2.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from dataclasses import dataclass, field
from typing import Any

from reportqa.answers.reading import prepare as prepare_reading
from reportqa.conversations.access import AccessPolicy, RateLimiter
from reportqa.conversations.access_log import RefusalLog
from reportqa.conversations.followup_store import ConversationStore
from reportqa.conversations.identity import Identities
from reportqa.conversations.monitor import Monitor, question_log_to
from reportqa.conversations.news import Newsroom
from reportqa.conversations.service import ChatService
from reportqa.conversations.state import STATE_DB, BotState
from reportqa.conversations.state_db import AnotherBot, Claim, claim
from reportqa.conversations.subscriptions import SubscriptionStore
from reportqa.errors import IndexDamaged
from reportqa.retrieval.serving import IndexHolder
from reportqa.settings import Settings, get_settings

log = logging.getLogger("reportqa.launch")
NO_MESSENGER = ("error: no messenger is configured: set REPORTQA_BOT_TOKEN (Telegram), REPORTQA_WECOM_BOT_ID and "
                "REPORTQA_WECOM_SECRET (WeCom), or REPORTQA_DINGTALK_CLIENT_ID and REPORTQA_DINGTALK_CLIENT_SECRET "
                "(DingTalk); see config/settings.example.env")


def policies(settings: Settings) -> dict[str, AccessPolicy]:
    """Each messenger's allowlist and administrators, by the ids it gives."""
    return {
        "telegram": AccessPolicy(settings.allowed_users, settings.allowed_chats, settings.admins),
        "wecom": AccessPolicy(settings.wecom_allowed_users, frozenset(), settings.wecom_admins),
        "dingtalk": AccessPolicy(settings.dingtalk_allowed_users, frozenset(), settings.dingtalk_admins),
        # a WeCom app's users are the same company's userids as the bot's
        "wecom-app": AccessPolicy(settings.wecom_allowed_users, frozenset(), settings.wecom_admins),
    }


@dataclass
class Messengers:
    """The WeCom and DingTalk channels running on a core, and what must be closed after them."""

    service: ChatService
    channels: list[Any]
    tasks: list[asyncio.Task] = field(default_factory=list)
    owned: list[Any] = field(default_factory=list)  # what this process opened for them alone (no Telegram)
    held: Claim | None = None
    metrics_server: Any = None

    def channel(self, platform: str) -> Any:
        return next(c for c in self.channels if c.platform == platform)

    async def stop(self) -> None:
        for channel in self.channels:
            await channel.stop()
        for task in self.tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.metrics_server is not None:
            self.metrics_server.stop()
        for thing in self.owned:
            await thing.close()
        if self.held is not None:
            self.held.release()


async def start_messengers(settings: Settings, names: list[str], telegram: Any = None) -> Messengers:
    """Start the WeCom (long connection, app callback) and DingTalk channels among ``names``.
    ``telegram``: the running Telegram bot's services, whose core they share; without it a core is
    opened here (the database claimed first)."""
    from reportqa.channels.dingtalk.stream import DingTalkChannel
    from reportqa.channels.wecom.aibot import WeComChannel
    from reportqa.channels.wecom.callback import WeComAppChannel

    held = None
    owned: list[Any] = []
    if telegram is not None:
        holder, state, subscriptions = telegram.holder, telegram.state, telegram.subscriptions
        conversations, refusals, monitor, limiter = (telegram.conversations, telegram.refusals, telegram.monitor,
                                                     telegram.limiter)
        newsroom: Newsroom = telegram.notifier.newsroom
    else:
        state_path = settings.bot_state_db or settings.index_dir / STATE_DB
        held = claim(state_path)  # AnotherBot: refused before anything is touched
        holder = IndexHolder(settings, prepare=prepare_reading)
        try:
            searcher = await holder.get()
            log.info("index %s: %d reports", searcher.generation.name, len(searcher.reports))
        except IndexDamaged as exc:  # start anyway: questions are told
            log.error("no sound index to serve: %s", exc)
        state = await BotState.open(state_path, busy_seconds=settings.state_busy_seconds, recover=True)
        owned = [holder, state]
        subscriptions = await SubscriptionStore.open(state.database)
        conversations = await ConversationStore.open(state.database, settings.conversation_minutes * 60)
        refusals = await RefusalLog.open(state.database)
        monitor = Monitor(holder, settings.health_stale_seconds)
        limiter = RateLimiter(settings.rate_limit_per_minute)
        newsroom = Newsroom(settings, holder, state, subscriptions, {})
        owned.insert(0, newsroom)
    identities = await Identities.open(state.database)
    newsroom.identities = identities
    newsroom.policies.update(policies(settings))
    for platform in names:
        if platform != "telegram" and newsroom.policies[platform].open_to_everyone:
            variable = platform.split("-")[0].upper()
            log.warning("no REPORTQA_%s_ALLOWED_USERS set: the %s bot answers everyone", variable, platform)
    service = ChatService(settings, holder, state, conversations, subscriptions, identities, newsroom,
                          newsroom.policies, limiter, refusals=refusals, monitor=monitor)
    channels: list[Any] = []
    if "wecom" in names:
        channels.append(WeComChannel(settings, service, monitor))
    if "wecom-app" in names:
        channels.append(WeComAppChannel(settings, service, monitor))
    if "dingtalk" in names:
        channels.append(DingTalkChannel(settings, service, monitor))
    running = Messengers(service, channels, owned=owned, held=held)
    for channel in channels:
        if monitor is not None and channel.platform != "wecom-app":  # a callback server has no link to watch
            monitor.watch(channel.platform)
        newsroom.add_outlet(channel)
        running.tasks.append(asyncio.create_task(channel.run(), name=f"reportqa-{channel.platform}"))
    if telegram is None:
        newsroom.start()
        if settings.metrics_port is not None and monitor is not None:
            running.metrics_server = monitor.serve(settings.metrics_listen, settings.metrics_port)
    return running


async def run_without_telegram(settings: Settings, names: list[str]) -> int:
    """WeCom and/or DingTalk until a signal (exit 0), or until every channel has ended for good."""
    try:
        running = await start_messengers(settings, names)
    except AnotherBot as exc:
        log.critical("not started: %s", exc)
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    ended = asyncio.ensure_future(asyncio.gather(*running.tasks, return_exceptions=True))
    waiting = asyncio.ensure_future(stop.wait())
    await asyncio.wait([ended, waiting], return_when=asyncio.FIRST_COMPLETED)
    waiting.cancel()
    await running.stop()
    return 0 if stop.is_set() else 1


def main() -> int:
    """Run every messenger whose credentials are set (exit 2 when none is)."""
    settings = get_settings()
    names = settings.messenger_names()
    if not names:
        print(NO_MESSENGER, file=sys.stderr)
        return 2
    others = [n for n in names if n != "telegram"]
    if "telegram" in names:
        from reportqa.channels.telegram.app import main as telegram_main

        return telegram_main(extend=lambda application: _with_others(application, settings, others) if others else None)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    logging.getLogger("tornado.access").setLevel(logging.WARNING)
    question_log_to(sys.stderr)
    from reportqa.interrupts import interruptible

    with interruptible():
        return asyncio.run(run_without_telegram(settings, others))


def _with_others(application: Any, settings: Settings, others: list[str]) -> None:
    """The other messengers start after Telegram's start-up (on its core) and stop before its shutdown."""
    started, stopping = application.post_init, application.post_shutdown

    async def post_init(app: Any) -> None:
        await started(app)
        app.bot_data["messengers"] = await start_messengers(settings, others, app.bot_data["services"])

    async def post_shutdown(app: Any) -> None:
        running = app.bot_data.pop("messengers", None)
        if running is not None:
            await running.stop()
        await stopping(app)

    application.post_init, application.post_shutdown = post_init, post_shutdown
