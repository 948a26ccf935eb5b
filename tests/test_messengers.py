"""The same bot on every messenger: one question asked through Telegram, WeCom and DingTalk gets the same
results and citations; subscription notices reach the chat they were made in on each platform; ids of
different platforms never meet in the state database; ``python bot.py`` runs WeCom and DingTalk alone."""

from __future__ import annotations

import asyncio
import html
import os
import re
import signal
import sys
from pathlib import Path

from pydantic import SecretStr

from reportqa.conversations.identity import FOREIGN_BASE, Identities, platform_of
from reportqa.conversations.state_db import StateDatabase
from reportqa.index.builder import build_index
from reportqa.launch import start_messengers
from reportqa.settings import Settings
from tests.bot_harness import Harness
from tests.fake_dingtalk import FakeDingTalk
from tests.fake_telegram import message
from tests.fake_wecom import FakeWeCom
from tests.messenger_harness import QUICK, messenger_settings, running

ROOT = Path(__file__).resolve().parents[1]
FULL_WIDTH = str.maketrans("＊＿［］＜＞｀｜～＼＃－＋．", "*_[]<>`|~\\#-+.")
FIRE_REPORT = ("重庆市某某区消防救援支队\n2024年法治政府建设情况报告\n一、主要工作\n"
               "开展电动自行车消防安全专项整治，检查电动自行车停放充电场所312处，整改隐患87处。\n"
               "二、下一步打算\n持续开展消防宣传。\n重庆市某某区消防救援支队\n2025年1月10日\n")


def plain_wecom(markdown: str) -> str:
    """WeCom markdown read as its text: the escapes and emphasis taken off."""
    return re.sub(r"\\(.)", r"\1", markdown.replace("**", "").replace("*", ""))


def plain_dingtalk(markdown: str) -> str:
    return markdown.replace("**", "").replace("*", "").replace("  \n", "\n").translate(FULL_WIDTH)


def citations(text: str) -> list[str]:
    """Each result's heading line: rank, unit, year, date (what a citation is made of)."""
    return [line for line in text.splitlines() if re.match(r"^\d+\. ", line)]


async def test_one_question_three_messengers_the_same_results_and_citations(
        make_bot, seed_index, tmp_path: Path) -> None:
    wecom, dingtalk = FakeWeCom(), FakeDingTalk()
    await wecom.start()
    await dingtalk.start()
    harness: Harness = await make_bot()
    base = harness.app.bot_data["settings"]
    settings = messenger_settings(base, tmp_path, wecom, dingtalk, bot_state_db=base.bot_state_db)
    messengers = await start_messengers(settings, ["wecom", "dingtalk"], harness.app.bot_data["services"])
    try:
        question = "哪些单位在2021年开展了执法培训"
        [telegram] = await harness.ask(message(question))
        telegram_text = html.unescape(re.sub(r"<[^>]+>", "", telegram.params["text"]))
        [stream, *_] = await wecom.answered(await wecom.say(question))
        [wecom_group, *_] = await wecom.answered(await wecom.say(question, chat="wrgroup1"))
        ding_private = await dingtalk.wait_until(lambda: dingtalk.replies_to(msg), 20) if (
            msg := await dingtalk.say(question)) else None
        ding_group = await dingtalk.wait_until(lambda: dingtalk.replies_to(gmsg), 20) if (
            gmsg := await dingtalk.say(question, group="cidGroup1")) else None
        texts = {"telegram": telegram_text, "wecom": plain_wecom(stream.content),
                 "wecom group": plain_wecom(wecom_group.content), "dingtalk": plain_dingtalk(ding_private[0].text),
                 "dingtalk group": plain_dingtalk(ding_group[0].text)}
        assert citations(telegram_text) and "重庆市大足区应急管理局" in telegram_text
        for name, text in texts.items():
            assert citations(text) == citations(telegram_text), name
            assert text == telegram_text, name  # the same words, line for line
        # one state database, three platforms: the sessions are each their own chat's
        services = harness.app.bot_data["services"]
        rows = await services.state.db.execute_fetchall("SELECT chat_id FROM sessions")
        platforms = sorted({platform_of(r[0]) for r in rows})
        assert platforms == ["dingtalk", "telegram", "wecom"]
    finally:
        await messengers.stop()
        await wecom.stop()
        await dingtalk.stop()


async def test_notices_reach_the_chat_they_were_subscribed_in(settings: Settings, reports_copy: Path,
                                                              tmp_path: Path) -> None:
    await build_index(reports_copy, settings.index_dir, settings)
    wecom, dingtalk = FakeWeCom(), FakeDingTalk()
    await wecom.start()
    await dingtalk.start()
    config = messenger_settings(settings.model_copy(update={"reports_dir": reports_copy}), tmp_path, wecom, dingtalk,
                                dingtalk_admins=frozenset({"0001"}))
    try:
        async with running(config, ["wecom", "dingtalk"]) as messengers:
            rid = await wecom.say("/subscribe 电动自行车 消防安全")
            [reply] = await wecom.wait_until(lambda: wecom.replies(rid))
            assert "已订阅 #1" in reply.content
            msg = await dingtalk.say("/subscribe 电动自行车 消防安全", group="cidGroup1")
            [reply] = await dingtalk.wait_until(lambda: dingtalk.replies_to(msg))
            assert "已订阅 #2" in reply.text
            (reports_copy / "消防2024.txt").write_text(FIRE_REPORT, encoding="utf-8")
            await build_index(reports_copy, settings.index_dir, settings)
            await messengers.service.newsroom.settle()
            note = wecom.pushes("zhangsan")  # settle returns once every outlet has sent its share
            assert note[0].content.startswith("🔔 **订阅 #1**") and "消防救援支队" in note[0].content
            assert "电动自行车" in note[0].content and note[1].keys[-1] == "un:1"
            [group_note] = [m for m in dingtalk.to("cidGroup1") if "订阅 #2" in m.text]
            assert group_note.via == "group" and "电动自行车" in group_note.text
            assert "/press un:2" in group_note.presses
            await messengers.service.newsroom.settle()  # sent once
            assert len([m for m in dingtalk.to("cidGroup1") if "订阅 #2" in m.text]) == 1
    finally:
        await wecom.stop()
        await dingtalk.stop()


async def test_ids_of_different_platforms_never_meet(tmp_path: Path) -> None:
    database = await StateDatabase.open(tmp_path / "state.sqlite3")
    try:
        ids = await Identities.open(database)
        wecom_user = await ids.id_of("wecom", "user", "123")
        ding_user = await ids.id_of("dingtalk", "user", "123")
        wecom_chat = await ids.id_of("wecom", "chat", "123")
        assert len({wecom_user, ding_user, wecom_chat, 123}) == 4
        assert min(wecom_user, ding_user) >= FOREIGN_BASE and max(wecom_user, ding_user) < 2**63
        assert await ids.id_of("wecom", "user", "123") == wecom_user  # stable
        assert (await ids.native(ding_user)).native == "123" and await ids.native(123) is None
        assert await ids.first_delivery("wecom", "m1") and not await ids.first_delivery("wecom", "m1")
        assert await ids.first_delivery("dingtalk", "m1")
    finally:
        await database.close()


async def test_an_outsider_is_refused_with_their_platform_ids(seed_index, tmp_path: Path) -> None:
    wecom = FakeWeCom()
    await wecom.start()
    base, _ = seed_index
    try:
        config = messenger_settings(base, tmp_path, wecom, None, wecom_allowed_users=frozenset({"lisi"}))
        async with running(config, ["wecom"]):
            [reply] = await wecom.wait_until(lambda: wecom.replies(rid)) if (rid := await wecom.say("执法")) else []
            assert "没有使用本机器人的权限" in reply.content and "zhangsan" in reply.content
            allowed = await wecom.say("执法", user="lisi")
            await wecom.answered(allowed)
    finally:
        await wecom.stop()


async def test_bot_py_runs_wecom_and_dingtalk_without_telegram(seed_index, tmp_path: Path) -> None:
    _, index_dir = seed_index
    wecom, dingtalk = FakeWeCom(), FakeDingTalk()
    await wecom.start()
    await dingtalk.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
    env |= {"REPORTQA_INDEX_DIR": str(index_dir), "REPORTQA_BOT_STATE_DB": str(tmp_path / "bot.sqlite3"),
            "REPORTQA_WECOM_BOT_ID": wecom.bot_id, "REPORTQA_WECOM_SECRET": wecom.secret,
            "REPORTQA_WECOM_WS_URL": wecom.url, "REPORTQA_DINGTALK_CLIENT_ID": dingtalk.client_id,
            "REPORTQA_DINGTALK_CLIENT_SECRET": dingtalk.client_secret, "REPORTQA_DINGTALK_API_URL": dingtalk.base,
            "REPORTQA_DINGTALK_OAPI_URL": dingtalk.base, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1",
            **{f"REPORTQA_{k.upper()}": str(v) for k, v in QUICK.items()}}
    process = await asyncio.create_subprocess_exec(sys.executable, str(ROOT / "bot.py"), cwd=tmp_path, env=env,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        await wecom.answered(await wecom.say("执法"), timeout=60)
        msg = await dingtalk.say("执法")
        await dingtalk.wait_until(lambda: dingtalk.replies_to(msg), 60)
    finally:
        process.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(process.communicate(), 60)
        await wecom.stop()
        await dingtalk.stop()
    assert process.returncode == 0, err.decode()[-2000:]
    assert b"Traceback" not in err


def test_messenger_names_follow_the_credentials_set() -> None:
    assert Settings(_env_file=None).messenger_names() == []
    both = Settings(_env_file=None, wecom_bot_id="a", wecom_secret=SecretStr("b"), dingtalk_client_id="c",
                    dingtalk_client_secret=SecretStr("d"), wecom_allowed_users="u1, u2")
    assert both.messenger_names() == ["wecom", "dingtalk"] and both.wecom_allowed_users == {"u1", "u2"}


async def test_bot_py_runs_telegram_and_wecom_in_one_process(seed_index, tmp_path: Path) -> None:
    from tests.fake_telegram import FakeTelegram

    _, index_dir = seed_index
    telegram, wecom = FakeTelegram(), FakeWeCom()
    base = await telegram.start()
    await wecom.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
    env |= {"REPORTQA_BOT_TOKEN": telegram.token, "REPORTQA_BOT_API_URL": f"{base}/bot",
            "REPORTQA_BOT_FILE_URL": f"{base}/file/bot", "REPORTQA_INDEX_DIR": str(index_dir),
            "REPORTQA_BOT_STATE_DB": str(tmp_path / "bot.sqlite3"), "REPORTQA_WECOM_BOT_ID": wecom.bot_id,
            "REPORTQA_WECOM_SECRET": wecom.secret, "REPORTQA_WECOM_WS_URL": wecom.url,
            "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    process = await asyncio.create_subprocess_exec(sys.executable, str(ROOT / "bot.py"), cwd=tmp_path, env=env,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        await telegram.wait_for("deleteWebhook", timeout=60)  # polling is starting
        await telegram.push(message("执法培训"))
        [reply] = await telegram.wait_for("sendMessage", timeout=30)
        [stream, *_] = await wecom.answered(await wecom.say("执法培训"), timeout=60)  # the same process, one core
        assert citations(html.unescape(re.sub(r"<[^>]+>", "", reply.params["text"]))) == citations(
            plain_wecom(stream.content))
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = await asyncio.wait_for(process.communicate(), 60)
        await telegram.stop()
        await wecom.stop()
    assert process.returncode == 0, output.decode()[-2000:]
    assert b"Traceback" not in output


async def test_malformed_frames_are_ignored_and_a_fault_is_told(seed_index, tmp_path: Path,
                                                                monkeypatch) -> None:
    from reportqa.errors import IndexDamaged

    wecom, dingtalk = FakeWeCom(), FakeDingTalk()
    await wecom.start()
    await dingtalk.start()
    base, _ = seed_index
    try:
        async with running(messenger_settings(base, tmp_path, wecom, dingtalk), ["wecom", "dingtalk"]) as messengers:
            for junk in ("not json", "[1, 2]", '{"cmd": "aibot_msg_callback"}',
                         '{"cmd": "aibot_msg_callback", "headers": {"req_id": "r1"}, "body": {"msgid": "j1", '
                         '"from": "x", "msgtype": "text", "text": "x"}}',
                         '{"cmd": "aibot_event_callback", "headers": {}, "body": {"event": "x"}}'):
                await wecom.push_raw(junk)
            for junk in ("not json", '{"type": "CALLBACK", "headers": {"messageId": "j", '
                         '"topic": "/v1.0/im/bot/messages/get"}, "data": "{\\"msgId\\": \\"j2\\", \\"text\\": 5, '
                         '\\"msgtype\\": \\"text\\", \\"conversationType\\": \\"1\\"}"}',
                         '{"type": "CALLBACK", "headers": {"topic": "/v1.0/im/bot/messages/get"}, "data": {"msgId": 3}}'):
                await dingtalk.push_raw(junk)
            await wecom.answered(await wecom.say("执法"))  # the connections live on
            msg = await dingtalk.say("执法")
            await dingtalk.wait_until(lambda: dingtalk.replies_to(msg))
            assert messengers.channel("wecom").reconnects == 0 and messengers.channel("dingtalk").reconnects == 0

            async def damaged():
                raise IndexDamaged("postings.npy: checksum mismatch")

            monkeypatch.setattr(messengers.service.holder, "get", damaged)
            [reply] = await wecom.wait_until(lambda: wecom.replies(rid)) if (rid := await wecom.say("执法培训")) else []
            assert "索引已损坏" in reply.content  # told, as Telegram tells it
    finally:
        await wecom.stop()
        await dingtalk.stop()
