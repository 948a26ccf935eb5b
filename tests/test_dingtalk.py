"""DingTalk (钉钉) Stream mode: the real channel code against a fake DingTalk gateway, stream and
OpenAPI on 127.0.0.1."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from pydantic import SecretStr

from reportqa.channels.dingtalk.stream import Conversation
from tests.fake_dingtalk import FakeDingTalk
from tests.messenger_harness import messenger_settings, running


@pytest.fixture
async def dingtalk() -> FakeDingTalk:
    fake = FakeDingTalk()
    await fake.start()
    yield fake
    await fake.stop()


def settings_for(seed_index, tmp_path: Path, fake: FakeDingTalk, **overrides):
    base, _ = seed_index
    return messenger_settings(base, tmp_path, None, fake, **overrides)


async def answer_to(fake: FakeDingTalk, msg_id: str):
    [reply] = await fake.wait_until(lambda: fake.replies_to(msg_id))
    return reply


async def test_a_private_question_is_acked_and_answered_with_an_action_card(seed_index, tmp_path: Path,
                                                                            dingtalk: FakeDingTalk) -> None:
    async with running(settings_for(seed_index, tmp_path, dingtalk), ["dingtalk"]):
        msg_id = await dingtalk.say("哪些单位在2021年开展了执法培训")
        reply = await answer_to(dingtalk, msg_id)
        assert reply.kind == "actionCard"
        text = reply.text
        assert "重庆市大足区应急管理局" in text and "重庆市大足区玉龙镇人民政府" in text
        assert "**执法**" in text or "**培训**" in text
        assert "重庆市长寿区招商投资促进局" not in text
        assert len(text) <= 4000
        presses = reply.presses
        assert any(p.startswith("/press fs:") for p in presses) and any(p.startswith("/press ex:") for p in presses)
        assert not dingtalk.early_replies  # every frame acknowledged before its reply


async def test_a_group_answers_only_when_mentioned(seed_index, tmp_path: Path, dingtalk: FakeDingTalk) -> None:
    async with running(settings_for(seed_index, tmp_path, dingtalk), ["dingtalk"]):
        private = await answer_to(dingtalk, await dingtalk.say("哪些单位聘请了法律顾问"))
        chatter = await dingtalk.say("哪些单位聘请了法律顾问", group="cidGroup1", at=False)
        mentioned = await answer_to(dingtalk, await dingtalk.say("哪些单位聘请了法律顾问", group="cidGroup1"))
        assert mentioned.text == private.text  # the same answer; the leading space of the mention gone
        assert dingtalk.replies_to(chatter) == []


async def test_pages_exports_and_a_repeated_delivery(seed_index, tmp_path: Path, dingtalk: FakeDingTalk) -> None:
    async with running(settings_for(seed_index, tmp_path, dingtalk), ["dingtalk"]):
        first = await answer_to(dingtalk, await dingtalk.say("执法", msg_id="dup-1"))
        await dingtalk.say("执法", msg_id="dup-1")  # delivered again
        assert "第 1–3 条" in first.text
        press = next(p for p in first.presses if p.startswith("/press pg:"))
        page = await answer_to(dingtalk, await dingtalk.say(press))  # what the dtmd link makes the client send
        assert "第 4–6 条" in page.text
        export = next(p for p in first.presses if p.startswith("/press ex:") and p.endswith(":d"))
        await dingtalk.say(export)
        [sent] = await dingtalk.wait_until(lambda: [m for m in dingtalk.messages if m.kind == "sampleFile"])
        assert sent.via == "private" and sent.to == "0001" and sent.body["fileType"] == "docx"
        name, data = dingtalk.files[sent.body["mediaId"]]
        assert name.endswith(".docx") and zipfile.is_zipfile(io.BytesIO(data))
        assert len(dingtalk.replies_to("dup-1")) == 1


async def test_ping_disconnect_and_a_dropped_stream(seed_index, tmp_path: Path, dingtalk: FakeDingTalk) -> None:
    async with running(settings_for(seed_index, tmp_path, dingtalk), ["dingtalk"]) as messengers:
        channel = messengers.channel("dingtalk")
        await channel.ready(20)
        await dingtalk.ping()
        [pong] = await dingtalk.wait_until(lambda: dingtalk.pongs)
        assert pong["code"] == 200 and '"opaque": "op-9"' in pong["data"]
        await dingtalk.disconnect()  # the gateway rotates us: a new ticket at once, no back-off
        await dingtalk.wait_until(lambda: dingtalk.opens == 2)
        assert channel.reconnects == 0
        await dingtalk.connected()
        await dingtalk.drop()
        await dingtalk.wait_until(lambda: dingtalk.opens == 3)
        await answer_to(dingtalk, await dingtalk.say("执法"))
        assert channel.reconnects == 1


async def test_a_wrong_secret_is_said_in_health(seed_index, tmp_path: Path, dingtalk: FakeDingTalk) -> None:
    settings = settings_for(seed_index, tmp_path, dingtalk, dingtalk_client_secret=SecretStr("wrong"))
    async with running(settings, ["dingtalk"]) as messengers:
        await dingtalk.wait_until(lambda: dingtalk.refused_opens >= 2)
        status, text = await messengers.service.monitor.health()
        assert status == 503 and "wrong client id or secret" in text
        assert all(wait >= 0.3 for wait in messengers.channel("dingtalk").waits)


async def test_an_expired_or_foreign_webhook_is_not_used(seed_index, tmp_path: Path, dingtalk: FakeDingTalk) -> None:
    async with running(settings_for(seed_index, tmp_path, dingtalk), ["dingtalk"]) as messengers:
        channel = messengers.channel("dingtalk")
        await dingtalk.say("执法", webhook_seconds=1)  # about to expire: the reply goes through the OpenAPI
        [reply] = await dingtalk.wait_until(lambda: [m for m in dingtalk.to("0001") if m.via == "private"])
        assert reply.kind == "sampleActionCard5" and "第 1–3 条" in reply.text  # five buttons: the OpenAPI's card
        foreign = Conversation("0001", "0001", False, "https://evil.example/robot/sendBySession?session=x", 0)
        assert channel.usable_webhook(foreign) is None  # never a host other than the configured OAPI one


async def test_a_thumbs_down_asks_what_was_wrong_and_which_result(seed_index, tmp_path: Path,
                                                                 dingtalk: FakeDingTalk) -> None:
    async with running(settings_for(seed_index, tmp_path, dingtalk), ["dingtalk"]) as messengers:
        first = await answer_to(dingtalk, await dingtalk.say("执法"))
        down = next(p for p in first.presses if p.startswith("/press fb:") and p.endswith(":0"))
        await dingtalk.say(down)
        [asked] = await dingtalk.wait_until(lambda: [m for m in dingtalk.messages if m.kind == "actionCard"
                                                     and any(p.startswith("/press fr:") for p in m.presses)])
        unit = next(p for p in asked.presses if p.endswith(":0"))  # 单位不对
        which = await answer_to(dingtalk, await dingtalk.say(unit))
        assert which.text == "单位不对：是哪一条？"
        second = next(p for p in which.presses if p.startswith("/press fw:") and p.endswith(":1"))
        saved = await answer_to(dingtalk, await dingtalk.say(second))
        assert "第 2 条" in saved.text
        [row] = await messengers.service.state.feedback()
        assert not row.helpful and row.reason == "unit" and row.targets == [row.passages[1].passage_id]
