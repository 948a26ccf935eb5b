"""The Bot API client, guarded against whatever Telegram (or something pretending to be it) answers.

- Every call ends within a bounded time (``call_seconds``; a long poll its own timeout on top): a
  server that accepts the connection and then trickles a byte at a time can hold a handler, or the
  poll, for ever under per-read timeouts alone.
- A reply Telegram refuses for now — 429 (after its ``retry_after``), a 5xx, a timeout, a broken
  connection, a response that is not JSON — is sent again within ``retry_seconds`` in all, then
  given up (the handler's error path sends a short notice instead). What Telegram refuses for good
  (400, 403) is not retried. A callback answer Telegram calls too old is let go: the button's work
  goes on.
- ``getUpdates``: a batch that does not parse as a whole is parsed update by update (a bad one is
  dropped, its id kept so the offset moves on); an answer that is not a list of updates is a
  ``TelegramError`` (the updater backs off) rather than a tight loop; a ``retry_after`` is capped so
  the poll never sleeps for hours on a forged one.
- A refused token (401/404) is fatal: ``on_fatal`` is told, and the application stops with a clear log
  line and a non-zero exit, so a supervisor restarts it or someone looks, instead of a process that
  lives on without taking updates.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime as dt
import logging
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

from telegram import Update
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import ExtBot

from reportqa.channels.telegram.bounds import MAX_ID

log = logging.getLogger("reportqa.channels.telegram")

_single_try: contextvars.ContextVar[bool] = contextvars.ContextVar("single_try", default=False)
MAX_POLL_PAUSE_S = 60.0  # the longest a retry_after may stop polling
FIRST_PAUSE_S = 0.5  # the wait before a failed call's second try, doubled each time after
MAX_PAUSE_S = 5.0


@contextlib.contextmanager
def single_try() -> Iterator[None]:
    """Calls made inside are tried once (within the deadline): for a sender with its own durable retry
    (the notifier's outbox), which should not hold one message for ``retry_seconds``."""
    token = _single_try.set(True)
    try:
        yield
    finally:
        _single_try.reset(token)


def retry_after_seconds(exc: RetryAfter) -> float:
    """A 429's wait in seconds (python-telegram-bot 22 warns that the int form is going)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def _poll_seconds(timeout: object) -> float:
    if isinstance(timeout, dt.timedelta):
        return timeout.total_seconds()
    return float(timeout) if isinstance(timeout, int | float) else 0.0


def _for_good(exc: TelegramError) -> bool:
    """Refusals that a second try would only repeat."""
    return isinstance(exc, BadRequest | Forbidden | InvalidToken | Conflict | ChatMigrated)


class GuardedBot(ExtBot):
    """``ExtBot`` with the guards above."""

    _raw_updates: Any = None
    _call_seconds: float = 120.0
    _retry_seconds: float = 30.0
    _on_fatal: Callable[[str], None] | None = None

    def guard(self, call_seconds: float, retry_seconds: float, on_fatal: Callable[[str], None] | None) -> None:
        """Set the bounds (the settings' ``bot_request_seconds``, ``reply_retry_seconds``) and who is told
        of a fatal refusal. (A Bot is frozen but for underscored attributes.)"""
        self._call_seconds, self._retry_seconds, self._on_fatal = call_seconds, retry_seconds, on_fatal

    async def _post(self, endpoint: str, data: Any = None, *args: Any, **kwargs: Any) -> Any:
        if endpoint == "getUpdates":
            result = await self._fatal_on_token(super()._post(endpoint, data, *args, **kwargs))
            self._raw_updates = result  # only one poll runs at a time
            return result
        deadline = time.monotonic() + (0.0 if _single_try.get() else self._retry_seconds)
        pause = FIRST_PAUSE_S
        while True:
            try:
                async with asyncio.timeout(self._call_seconds):
                    return await self._fatal_on_token(super()._post(endpoint, data, *args, **kwargs))
            except TimeoutError:
                failure: TelegramError = TimedOut(f"{endpoint} took longer than {self._call_seconds:g} s")
            except RetryAfter as exc:
                wait = retry_after_seconds(exc)
                if time.monotonic() + wait > deadline:
                    raise
                log.info("%s: Telegram asks to wait %g s; sending again then", endpoint, wait)
                await asyncio.sleep(wait)
                continue
            except BadRequest as exc:
                if endpoint == "answerCallbackQuery" and "query is too old" in str(exc).lower():
                    log.info("a button was answered too late for Telegram to show it: %s", exc)
                    return True
                raise
            except TelegramError as exc:
                if _for_good(exc):
                    raise
                failure = exc
            if time.monotonic() + pause > deadline:
                raise failure
            log.info("%s failed (%s); trying again in %g s", endpoint, failure, pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, MAX_PAUSE_S)

    async def _fatal_on_token(self, call: Any) -> Any:
        try:
            return await call
        except InvalidToken as exc:
            if self._on_fatal is not None:
                self._on_fatal(f"Telegram refused the bot token ({exc}): check REPORTQA_BOT_TOKEN and "
                              f"REPORTQA_BOT_API_URL")
            raise

    def report_link(self, heard: Callable[[], None], trouble: Callable[[str], None]) -> None:
        """Who is told that a poll was answered (``heard``) or failed (``trouble``): the monitor's
        /health says 503 when polls have failed for a while."""
        self._link_heard, self._link_trouble = heard, trouble

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        heard, trouble = getattr(self, "_link_heard", None), getattr(self, "_link_trouble", None)
        try:
            updates = await self._poll(*args, **kwargs)
        except Exception as exc:
            if trouble is not None:
                trouble(f"getUpdates: {type(exc).__name__}: {exc}")
            raise
        if heard is not None:
            heard()
        return updates

    async def _poll(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        self._raw_updates = None
        seconds = _poll_seconds(kwargs.get("timeout")) + self._call_seconds
        try:
            async with asyncio.timeout(seconds):
                try:
                    return self._in_order(await super().get_updates(*args, **kwargs))
                except TelegramError:
                    raise
                except Exception:
                    raw = self._raw_updates
                    if not isinstance(raw, list):
                        raise TelegramError("getUpdates answered with something that is not a list of "
                                            f"updates: {str(raw)[:200]!r}") from None
        except TimeoutError:
            raise TimedOut(f"getUpdates took longer than {seconds:g} s") from None
        except InvalidToken as exc:  # ``on_fatal`` was told (the process stops); the updater must not die
            raise TelegramError(f"Telegram refused the bot token: {exc}") from exc  # on it: it backs off instead
        except RetryAfter as exc:
            if retry_after_seconds(exc) > MAX_POLL_PAUSE_S:
                log.warning("getUpdates: Telegram asks to wait %g s; waiting %g s", retry_after_seconds(exc),
                            MAX_POLL_PAUSE_S)
                raise RetryAfter(int(MAX_POLL_PAUSE_S)) from exc
            raise
        return self._in_order(self._one_by_one(raw))

    def _one_by_one(self, raw: list) -> list[Update]:
        """A batch that does not parse as a whole, parsed update by update: a bad one is logged and
        replaced by an empty update with its id (when it has a sound one), so the offset moves on."""
        updates = []
        for item in raw:
            try:
                updates.append(Update.de_json(item, self))
            except Exception:  # any parse failure: the update is unusable, its id may not be
                log.warning("dropping an update that does not parse: %.300r", item)
                update_id = item.get("update_id") if isinstance(item, dict) else None
                if isinstance(update_id, int) and not isinstance(update_id, bool) and 0 <= update_id <= MAX_ID:
                    updates.append(Update(update_id=update_id))
        return updates

    @staticmethod
    def _in_order(updates: Any) -> tuple[Update, ...]:
        """Updates by id (the updater confirms up to the last one's): ids out of range are dropped,
        so a forged one cannot push the offset past every later update."""
        kept = [u for u in updates if isinstance(u.update_id, int) and 0 <= u.update_id <= MAX_ID]
        if len(kept) < len(updates):
            log.warning("dropping %d updates whose ids are out of range", len(updates) - len(kept))
        return tuple(sorted(kept, key=lambda u: u.update_id))
