"""WeCom 自建应用 in callback mode: the crypto against WeCom's official vectors, and the real callback
server driven as WeCom drives it, answering through a fake WeCom API on 127.0.0.1."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pydantic import SecretStr

from reportqa.channels.wecom.callback import xml_fields
from reportqa.channels.wecom.crypto import CryptoError, WeComCrypto
from tests.fake_wecom_app import AES_KEY, CORP_ID, TOKEN, FakeWeComApp
from tests.messenger_harness import QUICK, running

# the official samples (WXBizMsgCrypt, DOC-91144): the URL check, and a POST whose padding is 30 bytes
OFFICIAL_ECHO = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
OFFICIAL_POST = ("RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg"
                 "3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+k"
                 "DZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6ti"
                 "WSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p"
                 "8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==")


def test_the_official_vectors() -> None:
    crypto = WeComCrypto(TOKEN, AES_KEY, "wx5823bf96d3bd56c7")
    assert crypto.signature("1409659589", "263014780", OFFICIAL_ECHO) == "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"
    assert crypto.decrypt(OFFICIAL_ECHO) == "1616140317555161061"
    assert crypto.signature("1409659813", "1372623149", OFFICIAL_POST) == "477715d11cdb4164915debcba66cb864d751f3e6"
    fields = xml_fields(crypto.decrypt(OFFICIAL_POST))
    assert fields["FromUserName"] == "mycreate" and fields["Content"] == "hello" and fields["MsgId"] == "4561255354251345929"
    with pytest.raises(CryptoError):
        WeComCrypto(TOKEN, AES_KEY, "another-corp").decrypt(OFFICIAL_ECHO)  # for another company: refused
    with pytest.raises(CryptoError):
        crypto.check("0" * 40, "1409659589", "263014780", OFFICIAL_ECHO)


def test_callback_xml_never_resolves_entities() -> None:
    hostile = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
               "<xml><Content>&e;</Content></xml>")
    assert "root:" not in xml_fields(hostile).get("Content", "")


@pytest.fixture
async def app_fake() -> FakeWeComApp:
    fake = FakeWeComApp()
    await fake.start()
    yield fake
    await fake.stop()


def app_settings(seed_index, tmp_path: Path, fake: FakeWeComApp, **overrides):
    base, _ = seed_index
    return base.model_copy(update={
        "bot_state_db": tmp_path / "bot.sqlite3", **QUICK, "wecom_corp_id": CORP_ID, "wecom_agent_id": fake.agent_id,
        "wecom_app_secret": SecretStr(fake.corp_secret), "wecom_callback_token": SecretStr(TOKEN),
        "wecom_encoding_aes_key": SecretStr(AES_KEY), "wecom_api_url": fake.base, "wecom_callback_port": 0,
        **overrides})


async def callback_url(messengers) -> str:
    channel = messengers.channel("wecom-app")
    for _ in range(500):
        if channel.port:
            return f"http://127.0.0.1:{channel.port}/wecom/callback"
        await asyncio.sleep(0.01)
    raise AssertionError("the callback server did not start")


async def test_url_check_question_retries_and_a_button(seed_index, tmp_path: Path, app_fake: FakeWeComApp) -> None:
    async with running(app_settings(seed_index, tmp_path, app_fake), ["wecom-app"]) as messengers:
        url = await callback_url(messengers)
        assert await app_fake.verify_url(url) == (200, "1616140317555161061")  # as it is: no quotes, no newline
        assert (await app_fake.post(url, app_fake.text_xml("执法"), good=False))[0] == 403
        inner = app_fake.text_xml("哪些单位在2021年开展了执法培训", msg_id="777")
        for _ in range(3):  # WeCom posts again when it thinks it got no answer
            status, body, _seconds = await app_fake.post(url, inner)
            assert (status, body) == (200, "")  # acknowledged at once, answered in the background
        await app_fake.wait_until(lambda: any(m["msgtype"] == "template_card" for m in app_fake.to("zhangsan")))
        await app_fake.post(url, app_fake.text_xml("/whoami"))  # after the repeats: its reply comes after theirs would
        await app_fake.wait_until(lambda: any("zhangsan" in m.get("markdown", {}).get("content", "")
                                              for m in app_fake.to("zhangsan")))
        markdowns = [m for m in app_fake.to("zhangsan") if m["msgtype"] == "markdown"]
        assert all(len(m["markdown"]["content"].encode()) <= 2048 for m in markdowns)
        text = "\n".join(m["markdown"]["content"] for m in markdowns)
        assert text.count("🔎") == 1 and "重庆市大足区应急管理局" in text  # answered once, in pieces of 2048 bytes
        keys = [b["key"] for m in app_fake.to("zhangsan") if m["msgtype"] == "template_card"
                for b in m["template_card"]["button_list"]]
        await app_fake.post(url, app_fake.click_xml(next(k for k in keys if k.startswith("ex:") and k.endswith(":x"))))
        await app_fake.wait_until(lambda: any(m["msgtype"] == "file" for m in app_fake.to("zhangsan")))
        [(name, _data)] = app_fake.files.values()
        assert name.endswith(".xlsx")


async def test_a_wrong_app_secret_is_logged_and_nothing_is_sent(seed_index, tmp_path: Path,
                                                                app_fake: FakeWeComApp) -> None:
    settings = app_settings(seed_index, tmp_path, app_fake, wecom_app_secret=SecretStr("wrong"))
    async with running(settings, ["wecom-app"]) as messengers:
        url = await callback_url(messengers)
        assert (await app_fake.post(url, app_fake.text_xml("执法")))[0] == 200
        for _ in range(200):
            link = messengers.service.monitor.links.get("wecom-app")
            if link is not None and link.last_trouble:
                break
            await asyncio.sleep(0.02)
        assert "wrong corp id or app secret" in messengers.service.monitor.links["wecom-app"].last_trouble
        assert app_fake.sent == []
