"""Subscriptions end to end against the fake Bot API: a chat subscribes, new reports arrive (an upload
through the bot, a build run outside it as cron would), and exactly the subscriptions they answer get
one message each with the new passages — once, through restarts and Telegram's flood control."""

from __future__ import annotations

from pathlib import Path

import aiosqlite
import pytest

from reportqa.conversations.subscriptions import Notification, SubscriptionStore
from reportqa.index.builder import build_index
from reportqa.settings import Settings
from tests.bot_harness import Harness, report_docx, stop_harness, texts, wait_for_text
from tests.conftest import ADMIN
from tests.fake_telegram import buttons, callback, document, message

DRONES = 50  # a chat subscribed to 无人机巡查
FIRE = 60  # a chat subscribed to 电动自行车 (the fire-safety report)
QUICK = {"notify_check_seconds": 0.2, "notify_interval_seconds": 0.0, "notify_chat_interval_seconds": 0.0}
FIRE_REPORT = ("重庆市某某区消防救援支队\n2024年法治政府建设情况报告\n一、主要工作\n"
               "开展电动自行车消防安全专项整治，检查电动自行车停放充电场所312处，整改隐患87处。\n"
               "二、下一步打算\n持续开展消防宣传。\n重庆市某某区消防救援支队\n2025年1月10日\n")


def notifications(harness: Harness, chat_id: int) -> list[str]:
    return [t for t in texts(harness, chat_id) if t.startswith("🔔 <b>")]


async def settle(harness: Harness) -> None:
    await harness.app.bot_data["services"].notifier.settle()


async def subscribe(harness: Harness, chat_id: int, question: str) -> str:
    [reply] = await harness.ask(message(f"/subscribe {question}", chat_id=chat_id, user_id=chat_id))
    return reply.params["text"]


async def test_new_reports_notify_the_subscriptions_they_answer_once(
    library_bot, settings: Settings, reports_copy: Path, tmp_path: Path
) -> None:
    state_db = tmp_path / "state.sqlite3"
    harness = await library_bot(bot_state_db=state_db, **QUICK)
    reply = await subscribe(harness, DRONES, "无人机巡查")
    assert reply.startswith("🔔 已订阅 #1：无人机巡查")
    assert "已有" not in reply  # nothing in the sample reports answers it yet
    reply = await subscribe(harness, FIRE, "电动自行车 消防安全")
    assert "#2" in reply
    assert "已订阅过 #1" in await subscribe(harness, DRONES, "无人机巡查")

    # an administrator uploads a report that answers the first subscription only
    content = report_docx("重庆市某某区交通运输局", 2024, "全年组织无人机巡查执法培训4期，参训执法人员160人次。")
    harness.fake.files["f1"] = content
    upload = await harness.push(document("交通局2024年报告.docx", file_id="f1", size=len(content), user_id=ADMIN,
                                         chat_id=ADMIN))
    await harness.handled_all(upload, timeout=120)
    note = await wait_for_text(harness, "🔔 <b>订阅 #1</b>")
    await settle(harness)
    [note] = notifications(harness, DRONES)
    assert "无人机" in note and "重庆市某某区交通运输局" in note and "uploads/交通局2024年报告.docx" in note
    assert "新收录的 1 份报告" in note
    assert notifications(harness, FIRE) == []
    sent = next(c for c in harness.fake.sent("sendMessage") if c.params["text"] == note)
    assert {b["callback_data"] for b in buttons(sent)} >= {"un:1"}
    assert any(b["callback_data"].startswith("fs:") for b in buttons(sent))

    # a build run outside the bot (cron's `reportqa index`) brings the fire report: the bot notices
    (reports_copy / "消防2024.txt").write_text(FIRE_REPORT, encoding="utf-8")
    await build_index(reports_copy, settings.index_dir, settings)
    note = await wait_for_text(harness, "🔔 <b>订阅 #2</b>", timeout=30)
    assert "电动自行车" in note and "消防救援支队" in note and "无人机" not in note
    await settle(harness)
    assert len(notifications(harness, DRONES)) == 1 and len(notifications(harness, FIRE)) == 1

    # a rebuild of the same files is no news; nor is a restart
    await build_index(reports_copy, settings.index_dir, settings, full=True)
    await settle(harness)
    await stop_harness(harness)
    again = await library_bot(bot_state_db=state_db, **QUICK)
    await settle(again)
    [listing] = await again.ask(message("/subscriptions", chat_id=DRONES, user_id=DRONES))
    assert "#1 无人机巡查" in listing.params["text"]
    assert notifications(again, DRONES) == [] and notifications(again, FIRE) == []


async def test_a_notification_queued_before_a_restart_is_sent_once_after_it(
    library_bot, settings: Settings, reports_copy: Path, tmp_path: Path
) -> None:
    state_db = tmp_path / "state.sqlite3"
    harness = await library_bot(bot_state_db=state_db, **QUICK)
    await subscribe(harness, FIRE, "电动自行车")
    harness.fake.send_errors[FIRE] = [502] * 50  # Telegram unreachable for that chat
    (reports_copy / "消防2024.txt").write_text(FIRE_REPORT, encoding="utf-8")
    await build_index(reports_copy, settings.index_dir, settings)
    await settle(harness)
    assert notifications(harness, FIRE) == []
    store = harness.app.bot_data["services"].subscriptions
    assert len(await store.pending()) == 1
    await stop_harness(harness)

    again = await library_bot(bot_state_db=state_db, **QUICK)
    again.fake.send_errors[FIRE] = [429]  # flood control once: waited out, then sent
    await settle(again)
    await settle(again)
    [note] = notifications(again, FIRE)
    assert "电动自行车" in note
    assert await again.app.bot_data["services"].subscriptions.pending() == []


async def test_subscriptions_are_listed_and_ended_by_button_or_number(library_bot) -> None:
    harness = await library_bot(**QUICK)
    await subscribe(harness, DRONES, "无人机巡查")
    await subscribe(harness, DRONES, "大足区 普法")
    reply = await subscribe(harness, DRONES, "执法培训")
    assert "现有报告中已有" in reply
    assert "需要一个主题" in await subscribe(harness, DRONES, "哪些")
    [listing] = await harness.ask(message("/subscriptions", chat_id=DRONES, user_id=DRONES))
    assert [b["callback_data"] for b in buttons(listing)] == ["un:1", "un:2", "un:3"]
    [ended] = await harness.ask(callback("un:2", user_id=DRONES, chat_id=DRONES))
    assert "已退订 #2" in ended.params["text"]
    # another chat cannot end this chat's subscription
    [other] = await harness.ask(message("/unsubscribe 1", chat_id=FIRE, user_id=FIRE))
    assert "没有编号为 1 的订阅" in other.params["text"]
    [ended] = await harness.ask(message("/unsubscribe #1", chat_id=DRONES, user_id=DRONES))
    assert "已退订 #1" in ended.params["text"]
    [listing] = await harness.ask(message("/subscriptions", chat_id=DRONES, user_id=DRONES))
    assert "#3 执法培训" in listing.params["text"] and "#1" not in listing.params["text"]
    [usage] = await harness.ask(message("/unsubscribe", chat_id=DRONES, user_id=DRONES))
    assert "用法" in usage.params["text"]
    long = await subscribe(harness, FIRE, "执法培训" * 60)
    assert long.startswith("（问题过长，只按前 200 个字检索）") and "已订阅" in long


async def test_in_a_group_only_its_administrators_subscribe_it(library_bot) -> None:
    harness = await library_bot(**QUICK)
    group = -100123
    [refused] = await harness.ask(message("/subscribe 执法培训", chat_id=group, user_id=77, chat_type="supergroup"))
    assert "只有群管理员" in refused.params["text"]
    harness.fake.chat_admins.add((group, 77))
    [done] = await harness.ask(message("/subscribe 执法培训", chat_id=group, user_id=77, chat_type="supergroup"))
    assert "已订阅" in done.params["text"]


async def test_a_round_is_queued_whole_or_not_at_all(tmp_path: Path) -> None:
    db = await aiosqlite.connect(tmp_path / "s.sqlite3")
    await db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    store = await SubscriptionStore.open(db)
    first = await store.add(5, 5, "执法培训", False)
    assert not await store.has_baseline()
    await store.record_round([("a" * 64, "x.txt")], [Notification(first.id, 5, "<b>1</b>")])
    assert await store.has_baseline() and await store.known() == {"a" * 64}
    broken = [Notification(first.id, 5, "ok"), Notification(first.id, None, "no chat")]  # type: ignore[arg-type]
    with pytest.raises(aiosqlite.IntegrityError):
        await store.record_round([("b" * 64, "y.txt")], broken)
    assert await store.known() == {"a" * 64}  # the failed round left nothing behind
    [queued] = await store.pending()
    assert queued.notification.text == "<b>1</b>"
    await store.mark_sent(queued.id)
    assert await store.pending() == [] and await store.sent_count(5) == 1
    await db.close()
