"""What every fake messenger API the tests start shares: an aiohttp app on a free loopback port, and
a way for the tests to wait for what the fake has recorded (never a sleep)."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from typing import Any

from aiohttp import web


async def serve(app: web.Application, tls: ssl.SSLContext | None = None) -> tuple[web.AppRunner, int]:
    """``app`` listening on 127.0.0.1 at a free port (``tls``: with that server certificate): its runner,
    to clean up, and the port."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]


class Changes:
    """What a fake records, told as it comes: ``notify`` after each record; ``wait_until(check)`` returns
    once ``check()`` is true, re-checked at every notice."""

    def __init__(self) -> None:
        self._changed = asyncio.Condition()

    async def notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_until(self, check: Callable[[], Any], timeout: float = 20.0) -> Any:
        async with self._changed:
            return await asyncio.wait_for(self._changed.wait_for(check), timeout)
