"""Build the python-telegram-bot Application from settings, and run it (``python bot.py``)."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChosenInlineResultHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest

from reportqa.answers.reading import prepare as prepare_reading
from reportqa.channels.telegram import admin, handlers, inline, library_views, scopes, subscribe
from reportqa.channels.telegram.bounds import screen_update
from reportqa.channels.telegram.guarded_bot import GuardedBot
from reportqa.channels.telegram.inline import InlineService
from reportqa.channels.telegram.liveness import start_watch, stop_watch
from reportqa.channels.telegram.notifier import Notifier
from reportqa.channels.telegram.services import Services
from reportqa.channels.telegram.texts import COMMANDS
from reportqa.conversations.access import AccessPolicy, RateLimiter
from reportqa.conversations.access_log import RefusalLog
from reportqa.conversations.followup_store import ConversationStore
from reportqa.conversations.monitor import Monitor, question_log_to
from reportqa.conversations.state import STATE_DB, BotState
from reportqa.conversations.state_db import AnotherBot, claim
from reportqa.conversations.subscriptions import SubscriptionStore
from reportqa.errors import IndexDamaged
from reportqa.interrupts import interruptible
from reportqa.retrieval.serving import IndexHolder
from reportqa.settings import Settings, get_settings

log = logging.getLogger("reportqa.channels.telegram")
CHANNEL = "telegram"  # this channel's name in the metrics and the question log


async def _post_init(application: Application) -> None:
    """Claim the bot's database (one bot per database), open it and the index, register the command menu."""
    settings: Settings = application.bot_data["settings"]
    state_path = settings.bot_state_db or settings.index_dir / STATE_DB
    application.bot_data["claim"] = claim(state_path)  # AnotherBot: refused before anything is touched
    access = AccessPolicy(settings.allowed_users, settings.allowed_chats, settings.admins)
    if access.open_to_everyone:
        log.warning("no REPORTQA_ALLOWED_USERS or REPORTQA_ALLOWED_CHATS set: the bot answers everyone")
    holder = IndexHolder(settings, prepare=prepare_reading)
    try:
        searcher = await holder.get()
        log.info("index %s: %d reports, %d passages", searcher.generation.name, len(searcher.reports),
                 searcher.passage_count)
    except IndexDamaged as exc:  # start anyway: questions are told, an administrator can /reindex
        log.error("no sound index to serve: %s", exc)
    state = await BotState.open(state_path, busy_seconds=settings.state_busy_seconds, recover=True)
    admin.clear_incoming(settings)
    inline_service = InlineService(state, settings.inline_rate_limit_per_minute, settings.inline_cache_seconds,
                                   settings.inline_burst_seconds)
    await inline_service.open()
    subscriptions = await SubscriptionStore.open(state.database)
    notifier = Notifier(settings, holder, state, subscriptions, access, application.bot)
    conversations = await ConversationStore.open(state.database, settings.conversation_minutes * 60)
    refusals = await RefusalLog.open(state.database)
    monitor = Monitor(holder, settings.health_stale_seconds)
    monitor.watch(CHANNEL)
    heard, trouble = functools.partial(monitor.heard, CHANNEL), functools.partial(monitor.trouble, CHANNEL)
    if isinstance(application.bot, GuardedBot):
        application.bot.report_link(heard, trouble)
    inline_service.monitor = monitor
    application.bot_data[inline.SERVICE] = inline_service
    application.bot_data["services"] = Services(
        settings, holder, state, access, RateLimiter(settings.rate_limit_per_minute),
        subscriptions, notifier, conversations, refusals=refusals, monitor=monitor,
    )
    if settings.metrics_port is not None:  # the port taken: start-up fails, python bot.py exits 1
        application.bot_data["metrics_server"] = monitor.serve(settings.metrics_listen, settings.metrics_port)
    notifier.start()
    if settings.webhook_url and settings.webhook_secret is not None:  # Telegram may stop posting: look
        application.bot_data["webhook_watch"] = start_watch(application.bot, webhook_options(settings),
                                                            settings.webhook_check_seconds, heard, trouble)
    await application.bot.set_my_commands(COMMANDS["zh"])
    await application.bot.set_my_commands(COMMANDS["en"], language_code="en")


async def _post_shutdown(application: Application) -> None:
    await stop_watch(application.bot_data.pop("webhook_watch", None))
    metrics_server = application.bot_data.pop("metrics_server", None)
    if metrics_server is not None:
        metrics_server.stop()
    services = application.bot_data.pop("services", None)
    if services is not None:
        await services.notifier.close()
        await inline.service(application).close()
        await services.holder.close()
        await services.state.close()
    held = application.bot_data.pop("claim", None)
    if held is not None:
        held.release()


def build_application(settings: Settings) -> Application:
    """The Application with every handler; ``settings.bot_api_url`` may point at a local Bot API
    server or a test fake."""
    if settings.bot_token is None:
        raise ValueError("REPORTQA_BOT_TOKEN is not set")
    bot = GuardedBot(
        settings.bot_token.get_secret_value(),
        base_url=settings.bot_api_url,
        base_file_url=settings.bot_file_url,
        # a small pool: httpcore scans every pooled connection and queued request per request
        request=HTTPXRequest(connection_pool_size=8, pool_timeout=30.0, media_write_timeout=60.0),
        get_updates_request=HTTPXRequest(connection_pool_size=1, read_timeout=30.0),
    )
    application = (
        ApplicationBuilder()
        .bot(bot)
        # 32 updates handled at once (a slow question holds one slot, not the bot) and 8 pooled
        # connections: the defaults (256 and 256) cost more than they give under a burst
        # (benchmarks/bot_roundtrip.py: 76 questions/s with them, 107-116 with these)
        .concurrent_updates(32)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    application.bot_data["settings"] = settings
    bot.guard(settings.bot_request_seconds, settings.reply_retry_seconds, functools.partial(_fatal, application))
    new_text = filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND  # edits are not asked again
    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS
    application.add_handler(TypeHandler(Update, heard_from_telegram), group=-2)  # an update came: the link lives
    application.add_handler(TypeHandler(Update, screen_update), group=-1)  # bounds first (bot/bounds.py)
    application.add_handler(CommandHandler(["start", "help"], handlers.cmd_help))
    application.add_handler(CommandHandler("ask", handlers.cmd_ask))
    application.add_handler(CommandHandler("units", library_views.cmd_units))
    application.add_handler(CommandHandler("years", library_views.cmd_years))
    application.add_handler(CommandHandler("unit", library_views.cmd_unit))
    application.add_handler(CommandHandler("scope", scopes.cmd_scope))
    application.add_handler(CommandHandler("subscribe", subscribe.cmd_subscribe))
    application.add_handler(CommandHandler("subscriptions", subscribe.cmd_subscriptions))
    application.add_handler(CommandHandler("unsubscribe", subscribe.cmd_unsubscribe))
    application.add_handler(CommandHandler("stats", handlers.cmd_stats))
    application.add_handler(CommandHandler("reindex", admin.cmd_reindex))
    application.add_handler(CommandHandler("remove", admin.cmd_remove))
    application.add_handler(CommandHandler("whoami", handlers.cmd_whoami))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.COMMAND,  # after every command
                                           handlers.on_unknown_command))
    application.add_handler(MessageHandler(private & filters.Document.ALL, admin.on_document))
    application.add_handler(MessageHandler(private & new_text, handlers.on_private_text))
    application.add_handler(MessageHandler(groups & new_text, handlers.on_group_text))
    application.add_handler(CallbackQueryHandler(handlers.on_button))
    application.add_handler(InlineQueryHandler(inline.on_inline_query))
    application.add_handler(ChosenInlineResultHandler(inline.on_chosen_inline_result))
    application.add_error_handler(handlers.on_error)
    return application


async def heard_from_telegram(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every update, polled or posted to the webhook, is word from Telegram (/health)."""
    svc = context.bot_data.get("services")
    if svc is not None and svc.monitor is not None:
        svc.monitor.heard(CHANNEL)


def _fatal(application: Application, reason: str) -> None:
    """The bot cannot go on taking updates (Telegram refused its token): logged, and — when it runs
    as ``python bot.py`` — stopped, so that ``main`` exits non-zero and a supervisor restarts it."""
    if "fatal" in application.bot_data:
        return
    application.bot_data["fatal"] = reason
    log.critical("the bot cannot take updates: %s", reason)
    if application.bot_data.get("stop_on_fatal"):
        application.stop_running()


def webhook_options(settings: Settings) -> dict[str, Any]:
    """``Updater.start_webhook`` / ``Application.run_webhook`` arguments for ``REPORTQA_WEBHOOK_URL``:
    listen on the configured address and port at the URL's path, Telegram told to post to the URL
    with the secret, every update type. Requests without the secret are refused by the webhook
    server (403) before anything reads them."""
    if not settings.webhook_url:
        raise ValueError("REPORTQA_WEBHOOK_URL is not set")
    if settings.webhook_secret is None:
        raise ValueError("REPORTQA_WEBHOOK_SECRET is not set (Telegram sends it with every update; "
                         "without it anyone who finds the URL could post updates)")
    return {
        "listen": settings.webhook_listen,
        "port": settings.webhook_port,
        "url_path": urlsplit(settings.webhook_url).path.lstrip("/"),
        "webhook_url": settings.webhook_url,
        "secret_token": settings.webhook_secret.get_secret_value(),
        "allowed_updates": Update.ALL_TYPES,
    }


def main(extend: Callable[[Application], None] | None = None) -> int:
    """Run the bot until interrupted (polling, or a webhook server with ``REPORTQA_WEBHOOK_URL``):
    exit code 0 when stopped by a signal, 2 when the token (or a webhook's secret) is missing, 1 with
    a CRITICAL log line whenever the bot cannot (or can no longer) take updates — another bot holds
    its state database, Telegram refuses its token, the webhook server cannot listen — never a
    process that lives on deaf. ``extend``: given the Application before it runs (``reportqa.launch``
    starts the other messengers in its start-up)."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("tornado.access").setLevel(logging.WARNING)  # a Prometheus scrape is no news
    question_log_to(sys.stderr)  # one bare JSON line per question (conversations/monitor.py)
    settings = get_settings()
    if settings.bot_token is None or not settings.bot_token.get_secret_value().strip():
        print("error: REPORTQA_BOT_TOKEN is not set (the Telegram bot token; see config/settings.example.env)",
              file=sys.stderr)
        return 2
    if settings.webhook_url:
        try:
            options = webhook_options(settings)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    else:
        options = {}
    application = build_application(settings)
    application.bot_data["stop_on_fatal"] = True
    if extend is not None:
        extend(application)
    try:
        with interruptible():  # running, a signal stops the bot gracefully (exit 0)
            if settings.webhook_url:
                application.run_webhook(**options)
            else:
                application.run_polling(allowed_updates=Update.ALL_TYPES)
    except AnotherBot as exc:
        log.critical("not started: %s", exc)
        return 1
    except Exception as exc:  # Telegram unreachable at start, the webhook port taken, …
        log.critical("the bot stopped: %s: %s", type(exc).__name__, exc)
        return 1
    if "fatal" in application.bot_data:
        log.critical("the bot stopped: %s", application.bot_data["fatal"])
        return 1
    return 0
