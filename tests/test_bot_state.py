"""Issue 31, item 4 and the second bot: the state database is part of the service. Busy → questions
answered at once, their sessions and log lines written when it is free; deleted, replaced or
unreadable → noticed (log line, /stats), set aside, made afresh, the bot answering throughout; a
second bot on the same state database refuses to start and leaves the first one's uploads alone.
Each on the real Application against the fake Bot API (the second bot as ``python bot.py``)."""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import sqlite3
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from reportqa.channels.telegram.app import build_application
from reportqa.conversations.state_db import AnotherBot, StateUnavailable
from reportqa.index import database as store
from reportqa.settings import Settings
from tests.bot_harness import Harness, report_docx, stop_harness, wait_for_text
from tests.conftest import ADMIN
from tests.fake_telegram import FakeTelegram, buttons, callback, callback_of, document, message

ROOT = Path(__file__).resolve().parents[1]
STATS_USER = 7
HOLD_LOCK = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
db.execute("COMMIT")
"""


def count(path: Path, sql: str) -> int:
    with sqlite3.connect(path, timeout=5) as db:
        return int(db.execute(sql).fetchone()[0])


async def stats_text(bot: Harness) -> str:
    [stats, *_] = await bot.ask(message("/stats", user_id=STATS_USER, chat_id=STATS_USER))
    return stats.params["text"]


async def test_a_busy_state_database_keeps_no_question_waiting_and_loses_none(make_bot, tmp_path: Path) -> None:
    """Another process holds the database's write lock (as the issue's 12 s lock did) until told to
    let go: every question is answered meanwhile, buttons and all, and written once it is free."""
    state = tmp_path / "busy.sqlite3"
    bot = await make_bot(bot_state_db=state, state_busy_seconds=0.3, admins=frozenset({STATS_USER}))
    holder = await asyncio.create_subprocess_exec(sys.executable, "-c", HOLD_LOCK, str(state),
                                                  stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    assert holder.stdin is not None and holder.stdout is not None
    try:
        assert (await holder.stdout.readline()).strip() == b"locked"
        answers = []
        for i, question in enumerate(["执法培训", "法律顾问", "普法宣传"]):
            [answer] = await bot.ask(message(question, chat_id=20 + i, user_id=20 + i))
            answers.append(answer)
            assert callback_of(answer, "fs:") and callback_of(answer, "fb:")
        # the sessions work from memory: the next page, under the first answer
        [page] = await bot.ask(callback(callback_of(answers[0], "pg:"), chat_id=20, user_id=20),
                               method="editMessageText")
        assert page.params["chat_id"] == 20 and buttons(page)
        # a vote cannot be kept for later: it is told to try again (and nothing else goes wrong)
        [vote] = await bot.ask(callback(callback_of(answers[0], "fb:"), chat_id=20, user_id=20),
                               method="answerCallbackQuery")
        assert vote.params["text"] == "暂时无法保存，请稍后再试。"
        assert all(isinstance(e, StateUnavailable) for e in bot.errors)
        bot.errors.clear()
        assert holder.returncode is None  # all of the above while the lock was held
        assert count(state, "SELECT COUNT(*) FROM questions") == 0
    finally:
        holder.stdin.write(b"\n")
        await holder.stdin.drain()
        await holder.wait()
    for _ in range(100):  # written within a second or two of the lock going
        if count(state, "SELECT COUNT(*) FROM questions") == 3:
            break
        await asyncio.sleep(0.1)
    assert count(state, "SELECT COUNT(*) FROM questions") == 3
    assert count(state, "SELECT COUNT(*) FROM sessions") == 3
    assert "共 3" in await stats_text(bot)
    [vote] = await bot.ask(callback(callback_of(answers[0], "fb:"), chat_id=20, user_id=20),
                           method="answerCallbackQuery")
    assert "已记录" in vote.params["text"]


async def test_a_state_database_deleted_while_the_bot_runs_is_made_again_losing_nothing(
    make_bot, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state = tmp_path / "gone.sqlite3"
    bot = await make_bot(bot_state_db=state, admins=frozenset({STATS_USER}))
    await bot.ask(message("执法培训"))
    for suffix in ("", "-wal", "-shm"):
        Path(f"{state}{suffix}").unlink(missing_ok=True)
    with caplog.at_level(logging.ERROR, logger="reportqa.conversations.state_db"):
        [second] = await bot.ask(message("法律顾问", chat_id=3, user_id=3))
    assert "法律顾问" in second.params["text"] and state.is_file()
    assert "was deleted: made again from what the bot held (nothing lost)" in caplog.text
    text = await stats_text(bot)
    assert "共 2" in text and "状态数据库被删除：已按机器人持有的数据重建，未丢失" in text
    await stop_harness(bot)
    again = await make_bot(bot_state_db=state, admins=frozenset({STATS_USER}))
    text = await stats_text(again)  # a restart finds both questions, and what happened
    assert "共 2" in text and "状态数据库被删除" in text


async def test_a_replaced_state_database_is_set_aside_and_the_bots_own_made_again(
    make_bot, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state = tmp_path / "replaced.sqlite3"
    bot = await make_bot(bot_state_db=state, admins=frozenset({STATS_USER}))
    await bot.ask(message("执法培训"))
    stranger = tmp_path / "stranger"
    stranger.write_bytes(b"not the bot's database " * 100)
    os.replace(stranger, state)
    with caplog.at_level(logging.ERROR, logger="reportqa.conversations.state_db"):
        [answer] = await bot.ask(message("法律顾问", chat_id=3, user_id=3))
    assert "法律顾问" in answer.params["text"]
    [aside] = tmp_path.glob("replaced.sqlite3.replaced-*")
    assert aside.read_bytes() == b"not the bot's database " * 100  # set aside, never deleted
    assert "was replaced by another file" in caplog.text
    text = await stats_text(bot)
    assert "共 2" in text and "被另一个文件替换" in text and aside.name in text


async def test_an_unreadable_state_database_at_start_is_set_aside_and_the_bot_answers(
    make_bot, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state = tmp_path / "damaged.sqlite3"
    state.write_bytes(b"\x00garbage" * 512)
    with caplog.at_level(logging.ERROR, logger="reportqa.conversations.state_db"):
        bot = await make_bot(bot_state_db=state, admins=frozenset({STATS_USER}))
    assert "could not be read" in caplog.text
    [aside] = tmp_path.glob("damaged.sqlite3.unreadable-*")
    assert aside.read_bytes() == b"\x00garbage" * 512
    [answer] = await bot.ask(message("执法培训"))
    assert callback_of(answer, "fs:")
    text = await stats_text(bot)
    assert "共 1" in text and "状态数据库无法读取：已重新建立" in text


# -- a second bot ------------------------------------------------------------------------------


async def test_a_second_bot_on_the_same_state_database_refuses_and_leaves_the_uploads_alone(
    library_bot, make_bot, settings: Settings, tmp_path: Path
) -> None:
    first = await library_bot()
    services = first.app.bot_data["services"]
    state = services.settings.bot_state_db
    # an upload in progress: its rebuild waits for the index's build lock, held here
    content = report_docx("重庆市某某区交通运输局", 2024, "全年组织无人机巡查执法培训4期。")
    first.fake.files["f1"] = content
    lock = (settings.index_dir / store.LOCK_NAME).open("a+")
    fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
    try:
        upload = await first.push(document("交通局.docx", file_id="f1", size=len(content), user_id=ADMIN,
                                           chat_id=ADMIN))
        await wait_for_text(first, "已收到")
        for _ in range(100):
            in_progress = [p for p in (settings.index_dir / ".incoming").iterdir() if p.is_dir()]
            if in_progress and any(in_progress[0].iterdir()):
                break
            await asyncio.sleep(0.05)
        [held] = in_progress

        # the same state database, in this process: refused before it opens anything
        same = build_application(services.settings)
        await same.initialize()
        with pytest.raises(AnotherBot, match="another reportqa bot"):
            await same.post_init(same)
        await same.shutdown()

        # … and as ``python bot.py``: exit 1, one clear line
        fake = FakeTelegram()
        base = await fake.start()
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")},
               **services.settings.environment(), "REPORTQA_BOT_TOKEN": fake.token,
               "REPORTQA_BOT_API_URL": f"{base}/bot", "REPORTQA_BOT_FILE_URL": f"{base}/file/bot",
               "NO_PROXY": "127.0.0.1,localhost"}
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(ROOT / "bot.py"), cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        output, _ = await asyncio.wait_for(process.communicate(), 60)
        await fake.stop()
        assert process.returncode == 1, output.decode()
        [line] = [li for li in output.decode().splitlines() if "CRITICAL" in li]
        assert f"another reportqa bot (pid {os.getpid()}) is running on the state database {state}" in line
        assert not fake.sent("deleteWebhook") and not fake.sent("setMyCommands")

        # a bot of its own state on the same index starts, and clears nothing the first one holds
        other = await make_bot(reports_dir=services.settings.reports_dir, index_dir=settings.index_dir,
                               bot_state_db=tmp_path / "other.sqlite3")
        assert other.app.bot_data["services"] is not None
        assert held.is_dir() and any(held.iterdir())
    finally:
        fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
        lock.close()
    await first.handled_all(upload, timeout=120)
    await wait_for_text(first, "已加入索引")


async def test_a_stale_upload_of_a_stopped_bot_is_cleared_at_start(library_bot, settings: Settings) -> None:
    stale = settings.index_dir / ".incoming" / "0123456789ab"
    stale.mkdir(parents=True)
    (stale / "upload.docx").write_bytes(b"left by a bot that was killed mid-upload")
    await library_bot()
    assert not stale.exists()


def test_the_state_database_settings_have_bounds() -> None:
    with pytest.raises(ValueError):
        Settings(state_busy_seconds=0, _env_file=None)
    assert Settings(bot_token=SecretStr("x"), _env_file=None).state_busy_seconds > 0


def test_what_sqlite_says_is_read_as_busy_damaged_or_unwritable(tmp_path: Path) -> None:
    from reportqa.conversations.state_db import fault_of

    garbage = tmp_path / "garbage"
    garbage.write_bytes(b"\x00garbage" * 512)
    with pytest.raises(sqlite3.DatabaseError) as not_a_database:
        sqlite3.connect(garbage).execute("SELECT 1 FROM sqlite_master")
    holder = sqlite3.connect(tmp_path / "db", isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    with pytest.raises(sqlite3.OperationalError) as locked:
        sqlite3.connect(tmp_path / "db", timeout=0).execute("INSERT INTO t VALUES (1)")
    holder.execute("COMMIT")
    assert fault_of(locked.value) == "busy"
    assert fault_of(not_a_database.value) == "damaged"
    assert fault_of(sqlite3.OperationalError("attempt to write a readonly database")) == "unwritable"
    assert fault_of(sqlite3.OperationalError("disk I/O error")) == "unwritable"  # may pass: the file is kept
    assert fault_of(ValueError("no active connection, closed")) == "busy"  # replaced under the statement
    assert fault_of(KeyError("a bug")) is None
