"""What a channel's link to its messenger needs whatever the protocol: growing back-off between
attempts and the wait after a drop (said in the log and /health), replies paced within the platform's
per-chat rate limit, frames read safely, and the work started for each message kept until it ends."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from reportqa.conversations.monitor import Monitor

log = logging.getLogger(__name__)


@dataclass
class Backoff:
    """Waits between connection attempts: ``base · 2^n`` up to ``maximum`` (n failures in a row), with
    a tenth of jitter so that many bots restarted together do not knock at the same moment; ``reset``
    after a connection holds."""

    base: float
    maximum: float
    failures: int = 0

    def next(self, at_least: float = 0.0) -> float:
        delay = min(self.base * 2 ** self.failures, self.maximum)
        self.failures += 1
        return max(at_least, delay * random.uniform(0.9, 1.0))

    def reset(self) -> None:
        self.failures = 0


class Link(Protocol):
    """What a long connection says of itself (/health, the log and the tests read it)."""

    status: str
    reconnects: int
    waits: list[float]  # every back-off waited, in order


async def wait_to_reconnect(link: Link, channel: str, monitor: Monitor | None, backoff: Backoff, reason: str,
                            stop: asyncio.Event, *, auth: bool = False, at_least: float = 0.0) -> None:
    """After a drop: the next back-off (no shorter than ``at_least``), said in the log and at once in
    /health, then waited unless the channel is stopped meanwhile."""
    delay = backoff.next(at_least)
    link.status = "auth_failed" if auth else "backing_off"
    link.reconnects += 1
    link.waits = [*link.waits[-99:], delay]
    note = f"{reason}; reconnecting in {delay:.2f} s (attempt {backoff.failures})"
    log.warning("%s: %s", channel, note)
    if monitor is not None:
        monitor.down(channel, note)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), delay)


class Background:
    """The work a channel started for its messages (answered after the frame or callback was
    acknowledged): kept so that stopping the channel ends it, a failure logged, never lost unseen."""

    def __init__(self, what: str) -> None:
        self.what = what  # "wecom: a message" — what could not be handled, for the log
        self.tasks: set[asyncio.Task] = set()

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s could not be handled", self.what, exc_info=task.exception())

    async def cancel(self) -> None:
        """Cancel what is running and wait until it has ended."""
        for task in list(self.tasks):
            task.cancel()
        for task in list(self.tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


@dataclass
class ChatPace:
    """At most ``per_minute`` messages to one chat in any minute: a send waits for its turn (the
    platforms drop or refuse the excess — WeCom 30 a minute per chat, DingTalk 20 — and DingTalk then
    throttles the robot for ten minutes)."""

    per_minute: int
    window: float = 60.0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _sent: dict[str, deque[float]] = field(default_factory=dict)
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    async def turn(self, chat: str) -> None:
        lock = self._locks.setdefault(chat, asyncio.Lock())
        async with lock:
            stamps = self._sent.setdefault(chat, deque())
            while True:
                now = self.clock()
                while stamps and now - stamps[0] >= self.window:
                    stamps.popleft()
                if len(stamps) < self.per_minute:
                    stamps.append(now)
                    break
                await self.sleep(self.window - (now - stamps[0]))
        if len(self._sent) > 10_000:  # forget idle chats so memory stays bounded
            now = self.clock()
            for key in [k for k, s in self._sent.items() if not s or now - s[-1] >= self.window]:
                self._sent.pop(key, None)
                self._locks.pop(key, None)


def frame_field(data: object, *path: str) -> object:
    """``data[path[0]][path[1]]…``, or None wherever a level is missing or not an object (a frame is
    the platform's to shape: a malformed one is ignored, never a crash)."""
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def number(value: object) -> int:
    """An integer field of a frame (errcode, a time in ms), 0 when absent or not a number."""
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0


def tls_context(ca_file: Path | None) -> ssl.SSLContext | bool:
    """Certificates checked against the system's CAs, or (a private deployment) against its own CA too."""
    if ca_file is None:
        return True
    context = ssl.create_default_context()
    context.load_verify_locations(cafile=str(ca_file))
    return context
