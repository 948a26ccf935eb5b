"""The real python-telegram-bot Application driven against the fake Bot API: start, push, wait, stop."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass, field

import docx
from telegram import Update
from telegram.ext import Application, ContextTypes, TypeHandler

from reportqa.channels.telegram.app import _post_shutdown, build_application
from reportqa.settings import Settings
from tests.fake_telegram import FakeTelegram


@dataclass
class Harness:
    fake: FakeTelegram
    app: Application
    errors: list[BaseException] = field(default_factory=list)
    handled: set[int] = field(default_factory=set)
    stopped: bool = False
    _done: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def push(self, update: dict) -> int:
        return await self.fake.push(update)

    async def handled_all(self, *update_ids: int, timeout: float = 15.0) -> None:
        """Wait until every handler of these updates has finished."""
        async with self._done:
            await asyncio.wait_for(self._done.wait_for(lambda: set(update_ids) <= self.handled), timeout)

    async def ask(self, update: dict, method: str = "sendMessage"):
        before = len(self.fake.sent(method))
        update_id = await self.push(update)
        await self.handled_all(update_id)
        calls = self.fake.sent(method)
        assert len(calls) > before, f"no {method} for {update}"
        return calls[before:]


async def start_harness(settings: Settings, fake: FakeTelegram) -> Harness:
    app = build_application(settings)
    harness = Harness(fake, app)

    async def record_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        harness.errors.append(context.error)  # type: ignore[arg-type]

    async def record_done(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        async with harness._done:
            harness.handled.add(update.update_id)
            harness._done.notify_all()

    app.add_error_handler(record_error)
    app.add_handler(TypeHandler(Update, record_done), group=99)  # runs after the real handlers
    await app.initialize()
    await app.post_init(app)  # run_polling would call it; here the test drives the lifecycle
    await app.start()
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    return harness


async def stop_harness(harness: Harness) -> None:
    """Stop the bot as a shutdown would (a test may stop one to start another on the same state)."""
    if harness.stopped:
        return
    harness.stopped = True
    await harness.app.updater.stop()
    await harness.app.stop()
    await _post_shutdown(harness.app)
    await harness.app.shutdown()


def report_docx(unit: str, year: int, sentence: str) -> bytes:
    document_ = docx.Document()
    document_.add_paragraph(unit)
    document_.add_heading(f"{year}年法治政府建设情况报告", level=1)
    document_.add_heading("一、主要工作", level=2)
    document_.add_paragraph(sentence)
    document_.add_heading("二、下一步打算", level=2)
    document_.add_paragraph("继续深化依法行政，持续开展执法人员培训。")
    buffer = io.BytesIO()
    document_.save(buffer)
    return buffer.getvalue()


def texts(harness: Harness, chat_id: int | None = None) -> list[str]:
    return [c.params["text"] for c in harness.fake.sent("sendMessage")
            if chat_id is None or c.params.get("chat_id") == chat_id]


async def wait_for_text(harness: Harness, needle: str, timeout: float = 90.0) -> str:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        for text in texts(harness):
            if needle in text:
                return text
        await asyncio.sleep(0.05)
    raise AssertionError(f"no message containing {needle!r}; sent: {texts(harness)[-5:]}")
