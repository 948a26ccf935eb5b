"""The webhook never goes deaf without a word.

Polling cannot stop silently any more (``guarded_bot``: every poll ends, a refused token stops the
process). A webhook can: Telegram simply stops posting when someone deletes or replaces it — a
``deleteWebhook`` by hand, a copy of the bot started in polling mode with the same token — and the
server waits for ever. So every ``webhook_check_seconds`` the bot asks Telegram where it posts
(``getWebhookInfo``); when it is not here, the bot logs it and sets its own again, and it logs the
delivery errors Telegram reports (a proxy that answers 502, a certificate it refuses).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from telegram import Bot
from telegram.error import TelegramError

log = logging.getLogger(__name__)


async def check_webhook(bot: Bot, options: dict[str, Any], last_error: int | None = None) -> int | None:
    """One look: the webhook set again if Telegram posts elsewhere (or nowhere); returns the date of
    the last delivery error seen (logged once each)."""
    info = await bot.get_webhook_info()
    if info.url != options["webhook_url"]:
        log.error("Telegram posts updates to %r, not to this bot's %s: setting the webhook again",
                  info.url or "(nowhere)", options["webhook_url"])
        await bot.set_webhook(url=options["webhook_url"], secret_token=options["secret_token"],
                              allowed_updates=options["allowed_updates"])
    error_at = int(info.last_error_date.timestamp()) if info.last_error_date else None
    if error_at is not None and error_at != last_error:
        log.warning("Telegram could not deliver updates to the webhook: %s (%d pending)",
                    info.last_error_message, info.pending_update_count)
    return error_at


async def watch_webhook(bot: Bot, options: dict[str, Any], every_seconds: float,
                        heard: Callable[[], None] | None = None, trouble: Callable[[str], None] | None = None) -> None:
    """``check_webhook`` for as long as the bot runs; a failed look is logged and tried again. Each
    look that Telegram answers is ``heard`` (the monitor's /health), each that fails ``trouble``."""
    last_error: int | None = None
    while True:
        await asyncio.sleep(every_seconds)
        try:
            last_error = await check_webhook(bot, options, last_error)
        except TelegramError as exc:
            log.warning("could not ask Telegram where the webhook posts: %s", exc)
            if trouble is not None:
                trouble(f"getWebhookInfo: {exc}")
        else:
            if heard is not None:
                heard()


def start_watch(bot: Bot, options: dict[str, Any], every_seconds: float, heard: Callable[[], None] | None = None,
                trouble: Callable[[str], None] | None = None) -> asyncio.Task:
    return asyncio.get_running_loop().create_task(watch_webhook(bot, options, every_seconds, heard, trouble),
                                                  name="webhook-watch")


async def stop_watch(task: asyncio.Task | None) -> None:
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
