"""Issue 31: the bot keeps taking updates while its process lives, or exits with a clear log line and a
non-zero code; a reply Telegram refuses is sent again within a bounded time or replaced by a short
notice. The real Application (and ``python bot.py``) against the fake Bot API, which answers with
errors, garbage, a proxy's HTML page, 429s and responses that trickle in a byte at a time."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
from pydantic import SecretStr
from telegram.error import TelegramError

from reportqa.channels.telegram.app import _post_shutdown, build_application, webhook_options
from tests.bot_harness import Harness
from tests.fake_telegram import FakeTelegram, callback, callback_of, message

ROOT = Path(__file__).resolve().parents[1]
QUICK = {"bot_request_seconds": 1.0}
SECRET = "s3cret-token"  # a call's deadline, so that a trickling answer is given up quickly


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def run_bot_py(fake: FakeTelegram, base: str, index_dir: Path, tmp_path: Path, timeout: float = 60,
                     **env_extra: str) -> tuple[int | None, str]:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")},
           "REPORTQA_BOT_TOKEN": fake.token, "REPORTQA_BOT_API_URL": f"{base}/bot",
           "REPORTQA_BOT_FILE_URL": f"{base}/file/bot", "REPORTQA_INDEX_DIR": str(index_dir),
           "REPORTQA_BOT_STATE_DB": str(tmp_path / "bot.sqlite3"), "NO_PROXY": "127.0.0.1,localhost", **env_extra}
    process = await asyncio.create_subprocess_exec(sys.executable, str(ROOT / "bot.py"), cwd=tmp_path, env=env,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return process.returncode, output.decode()


# -- polling -----------------------------------------------------------------------------------


async def test_polling_goes_on_whatever_get_updates_answers(make_bot) -> None:
    """Answers that are not a list of updates, for a while: polling backs off (it spun in a tight loop,
    fetching the same batch again and again); then a 429, a proxy's HTML page and an answer that
    trickles in for 30 s (per-read timeouts never end it: the call's own deadline does). The next
    update is still taken and answered."""
    bot = await make_bot(**QUICK)
    polls = len(bot.fake.get_updates_offsets)
    bot.fake.faults["getUpdates"] = ["garbage"] * 10_000
    await asyncio.sleep(2.0)
    assert len(bot.fake.get_updates_offsets) - polls <= 5  # backing off: 1 s, 1.5 s, …
    bot.fake.slow_seconds = 30.0
    bot.fake.faults["getUpdates"] = [429, "html", "slow"]
    [reply] = await bot.ask(message("执法培训"))  # harness timeout: 15 s
    assert "执法" in reply.params["text"] and bot.fake.faults["getUpdates"] == []


async def test_a_refused_token_ends_bot_py_with_exit_1_and_a_clear_line(seed_index, tmp_path: Path) -> None:
    _, index_dir = seed_index
    fake = FakeTelegram()
    base = await fake.start()
    fake.faults["getUpdates"] = [401]
    try:
        code, output = await run_bot_py(fake, base, index_dir, tmp_path)
    finally:
        await fake.stop()
    assert code == 1, output
    critical = [line for line in output.splitlines() if "CRITICAL" in line]
    assert critical and "Telegram refused the bot token" in critical[-1], output


async def test_bot_py_exits_1_when_the_webhook_cannot_listen(seed_index, tmp_path: Path) -> None:
    _, index_dir = seed_index
    fake = FakeTelegram()
    base = await fake.start()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        try:
            code, output = await run_bot_py(fake, base, index_dir, tmp_path,
                                            REPORTQA_WEBHOOK_URL=f"http://127.0.0.1:{port}/hook",
                                            REPORTQA_WEBHOOK_PORT=str(port), REPORTQA_WEBHOOK_SECRET="s3cret")
        finally:
            await fake.stop()
    assert code == 1, output
    [line] = [li for li in output.splitlines() if "CRITICAL" in li]
    assert "the bot stopped" in line and "address already in use" in line.lower(), output


# -- replies -----------------------------------------------------------------------------------


async def test_replies_telegram_refuses_for_now_are_sent_again(make_bot) -> None:
    bot = await make_bot(**QUICK, reply_retry_seconds=20.0)
    bot.fake.slow_seconds = 2.0
    bot.fake.faults["sendMessage"] = [429, 502, "slow"]
    update_id = await bot.push(message("执法培训"))
    await bot.handled_all(update_id, timeout=30)
    sent = bot.fake.sent("sendMessage")
    assert sent and all("执法" in c.params["text"] for c in sent)  # the answer (twice: the slow one got through)
    assert bot.fake.faults["sendMessage"] == [] and not bot.errors
    bot.fake.faults["answerCallbackQuery"] = [503]
    [answered] = await bot.ask(callback(callback_of(sent[-1], "fs:")), method="answerCallbackQuery")
    assert answered  # the button's answer, sent again
    [next_one] = await bot.ask(message("法律顾问", chat_id=2, user_id=2))  # and the next question as usual
    assert "法律顾问" in next_one.params["text"]


async def test_a_reply_refused_for_good_or_past_the_bound_is_replaced_by_a_short_notice(make_bot) -> None:
    notice = "回答没能发出（Telegram 拒绝或超时），请再问一次。"
    bot = await make_bot(**QUICK, reply_retry_seconds=0.6)
    bot.fake.faults["sendMessage"] = [400]  # the answer refused for good: not retried, the notice sent
    [refused] = await bot.ask(message("执法培训"))
    assert refused.params["text"] == notice
    bot.fake.faults["sendMessage"] = [500, 500, 500]  # refused past the bound; the notice gets through
    [late] = await bot.ask(message("法律顾问", chat_id=2, user_id=2))
    assert late.params["text"] == notice
    assert bot.errors and all(isinstance(e, TelegramError) for e in bot.errors)
    bot.errors.clear()
    [answer] = await bot.ask(message("法律顾问", chat_id=3, user_id=3))
    assert "法律顾问" in answer.params["text"]


# -- the webhook ---------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def webhook_bot(seed_index, tmp_path: Path, **overrides: object) -> AsyncIterator[tuple[FakeTelegram, str]]:
    """The real Application serving a webhook on a free port, against the fake Bot API; (fake, URL)."""
    settings, index_dir = seed_index
    fake = FakeTelegram()
    base = await fake.start()
    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    settings = settings.model_copy(update={
        "bot_token": SecretStr(fake.token), "bot_api_url": f"{base}/bot", "bot_file_url": f"{base}/file/bot",
        "index_dir": index_dir, "bot_state_db": tmp_path / "bot.sqlite3", "webhook_url": url,
        "webhook_listen": "127.0.0.1", "webhook_port": port, "webhook_secret": SecretStr(SECRET), **overrides})
    app = build_application(settings)
    await app.initialize()
    await app.post_init(app)
    await app.start()
    await app.updater.start_webhook(**webhook_options(settings))
    try:
        yield fake, url
    finally:
        await app.updater.stop()
        await app.stop()
        await _post_shutdown(app)
        await app.shutdown()
        await fake.stop()


async def post_update(url: str, update: dict) -> int:
    async with aiohttp.ClientSession() as session, session.post(
            url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
        return response.status


async def test_the_webhook_is_set_again_when_telegram_stops_posting_here(seed_index, tmp_path: Path,
                                                                          monkeypatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    async with webhook_bot(seed_index, tmp_path, webhook_check_seconds=0.2) as (fake, url):
        assert fake.webhook_url == url
        fake.webhook_url = ""  # someone called deleteWebhook (or a copy of the bot began polling)
        await fake.wait_for("setWebhook", count=2, timeout=10)
        assert fake.webhook_url == url
        assert await post_update(url, {"update_id": 1, **message("执法培训")}) == 200
        [reply] = await fake.wait_for("sendMessage")
        assert "执法" in reply.params["text"]


async def test_the_webhook_holds_against_huge_bodies_and_slow_clients(seed_index, tmp_path: Path,
                                                                       monkeypatch) -> None:
    """Item 6 of the issue, kept: a 120 MB body is refused and a client that sends half a request and
    waits holds nothing up; the next update is answered."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    async with webhook_bot(seed_index, tmp_path) as (fake, url):
        port = int(url.split(":")[2].split("/")[0])
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /telegram/hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"X-Telegram-Bot-Api-Secret-Token: " + SECRET.encode() + b"\r\nContent-Length: 1000\r\n\r\n{")
        await writer.drain()  # … and never the rest
        try:
            async with aiohttp.ClientSession() as session, session.post(
                    url, data=b" " * (120 * 1024 * 1024),
                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}) as big:
                assert big.status >= 400
        except aiohttp.ClientError:
            pass  # refused before it was all sent
        assert await post_update(url, {"update_id": 2, **message("法律顾问")}) == 200
        [reply] = await fake.wait_for("sendMessage")
        assert "法律顾问" in reply.params["text"]
        writer.close()


async def test_the_harness_bot_is_guarded(bot: Harness) -> None:
    """The bounds the settings give reach the Bot API client the Application uses."""
    settings = bot.app.bot_data["settings"]
    assert bot.app.bot._call_seconds == settings.bot_request_seconds
    assert bot.app.bot._retry_seconds == settings.reply_retry_seconds
