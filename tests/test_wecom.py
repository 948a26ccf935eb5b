"""WeCom (企业微信) 智能机器人: the real channel code over its long connection to a fake WeCom on 127.0.0.1."""

from __future__ import annotations

import asyncio
import io
import ssl
from pathlib import Path

import aiohttp
import openpyxl
import pytest
from pydantic import SecretStr

from reportqa.channels.wecom.aibot import strip_mention
from tests.fake_wecom import FakeWeCom
from tests.messenger_harness import messenger_settings, running


@pytest.fixture
async def wecom() -> FakeWeCom:
    fake = FakeWeCom()
    await fake.start()
    yield fake
    await fake.stop()


def settings_for(seed_index, tmp_path: Path, fake: FakeWeCom, **overrides):
    base, _ = seed_index
    return messenger_settings(base, tmp_path, fake, None, **overrides)


async def test_a_private_question_is_answered_with_citations_and_a_card(seed_index, tmp_path: Path,
                                                                        wecom: FakeWeCom) -> None:
    async with running(settings_for(seed_index, tmp_path, wecom), ["wecom"]):
        rid = await wecom.say("哪些单位在2021年开展了执法培训")
        [stream, *cards] = await wecom.answered(rid)
        assert stream.cmd == "aibot_respond_msg" and stream.body["stream"]["finish"] is True
        text = stream.content
        assert "重庆市大足区应急管理局" in text and "重庆市大足区玉龙镇人民政府" in text
        assert "**执法**" in text or "**培训**" in text  # the matched words in bold, as markdown
        assert "重庆市长寿区招商投资促进局" not in text
        keys = [k for card in cards for k in card.keys]
        assert any(k.startswith("fs:") for k in keys) and any(k.startswith("ex:") for k in keys)
        assert all(len(card.keys) <= 6 for card in cards)  # button_interaction holds six buttons


async def test_a_group_mention_is_stripped_and_the_answer_is_the_same(seed_index, tmp_path: Path,
                                                                      wecom: FakeWeCom) -> None:
    async with running(settings_for(seed_index, tmp_path, wecom), ["wecom"]):
        private = await wecom.say("哪些单位聘请了法律顾问")
        group = await wecom.say("哪些单位聘请了法律顾问", chat="wrgroup1")
        await wecom.answered(private)
        await wecom.answered(group)
        assert wecom.replies(group)[0].content == wecom.replies(private)[0].content
        assert "报告助手" not in wecom.replies(group)[0].content
    assert strip_mention("@报告助手\u2005执法培训 @李四", "报告助手") == "执法培训 @李四"


async def test_next_page_export_and_a_repeated_delivery(seed_index, tmp_path: Path, wecom: FakeWeCom) -> None:
    async with running(settings_for(seed_index, tmp_path, wecom), ["wecom"]):
        rid = await wecom.say("执法", msgid="m-1")
        await wecom.answered(rid)
        again = await wecom.say("执法", msgid="m-1")  # WeCom delivers the same message again
        first = wecom.replies(rid)[0].content
        assert "第 1–3 条" in first
        keys = [k for s in wecom.replies(rid) for k in s.keys]
        await wecom.click(next(k for k in keys if k.startswith("pg:")))
        page = await wecom.pushed_answer("zhangsan", "第 4–6 条")
        assert any(k.startswith("pg:") and k.endswith(":0") for s in page for k in s.keys)  # ◀ back to the first
        await wecom.click(next(k for k in keys if k.startswith("ex:") and k.endswith(":x")))
        await wecom.wait_until(lambda: [s for s in wecom.pushes("zhangsan") if s.body.get("msgtype") == "file"])
        [(name, data)] = wecom.files.values()
        assert name.endswith(".xlsx") and openpyxl.load_workbook(io.BytesIO(data)).active.max_row > 3
        assert wecom.chunk_bases == {0}
        assert wecom.replies(again) == []  # answered once
        assert not wecom.refused


async def test_a_dropped_connection_reconnects_with_growing_back_off(seed_index, tmp_path: Path,
                                                                     wecom: FakeWeCom) -> None:
    settings = settings_for(seed_index, tmp_path, wecom, metrics_port=None)
    async with running(settings, ["wecom"]) as messengers:
        channel = messengers.channel("wecom")
        monitor = messengers.service.monitor
        await channel.ready(20)
        subscribed = wecom.subscribes
        await wecom.drop()  # the network cuts the socket: no close frame
        await wecom.wait_until(lambda: wecom.subscribes > subscribed)  # a new connection, subscribed again
        await channel.ready(20)
        rid = await wecom.say("执法")  # and it answers on the new one
        await wecom.answered(rid)
        assert channel.reconnects == 1
        await wecom.stop()  # now the server is gone: every attempt fails, the waits grow
        waits = await channel_waits(channel, 3)
        status, text = await monitor.health()
        assert status == 503 and "wecom" in text and "reconnecting in" in text and "attempt" in text
        assert channel.status == "backing_off"
        assert waits[1] > waits[0] * 1.5 and waits[2] > waits[1] * 1.5  # doubling, a tenth of jitter


async def channel_waits(channel, count: int) -> list[float]:
    """The next ``count`` waits of the channel's back-off (polled: the waits are the event)."""
    start = len(channel.waits)
    for _ in range(400):
        if len(channel.waits) - start >= count:
            return channel.waits[start:start + count]
        await asyncio.sleep(0.02)
    raise AssertionError(f"only {len(channel.waits) - start} waits")


async def test_a_wrong_secret_is_said_and_retried_slowly(seed_index, tmp_path: Path, wecom: FakeWeCom) -> None:
    settings = settings_for(seed_index, tmp_path, wecom, wecom_secret=SecretStr("wrong"))
    async with running(settings, ["wecom"]) as messengers:
        await wecom.wait_until(lambda: wecom.subscribes >= 2, 20)
        status, text = await messengers.service.monitor.health()
        assert status == 503 and "wrong bot id or secret" in text
        channel = messengers.channel("wecom")
        assert channel.waits[0] >= 0.3  # no sooner than channel_auth_retry_seconds (a few times a minute in real life)
        assert wecom.sockets[0].closed  # WeCom leaves it open after 853000: the channel closed it
        assert not wecom.pushed


async def test_another_process_taking_the_bot_stops_this_one_for_good(seed_index, tmp_path: Path,
                                                                      wecom: FakeWeCom) -> None:
    async with running(settings_for(seed_index, tmp_path, wecom), ["wecom"]) as messengers:
        channel = messengers.channel("wecom")
        await channel.ready(20)
        async with aiohttp.ClientSession() as http, http.ws_connect(wecom.url) as other:  # a second bot process
            await other.send_json({"cmd": "aibot_subscribe", "headers": {"req_id": "aibot_subscribe_1_x"},
                                   "body": {"bot_id": wecom.bot_id, "secret": wecom.secret}})
            assert (await other.receive_json())["errcode"] == 0
            for _ in range(200):  # disconnected_event: this one stops (no mutual kicking)
                if channel.status == "replaced":
                    break
                await asyncio.sleep(0.02)
            assert channel.status == "replaced" and wecom.subscribes == 2
            status, text = await messengers.service.monitor.health()
            assert status == 503 and "replaced by another connection" in text


async def test_two_unanswered_pings_end_a_dead_connection(seed_index, tmp_path: Path, wecom: FakeWeCom) -> None:
    wecom.answer_pings = False  # the link is dead but no socket error says so
    settings = settings_for(seed_index, tmp_path, wecom, channel_heartbeat_seconds=0.1)
    async with running(settings, ["wecom"]):
        await wecom.wait_until(lambda: wecom.subscribes >= 2, 20)  # closed after two missed pings, subscribed again


def private_ca(folder: Path) -> tuple[Path, ssl.SSLContext]:
    """A company CA and a certificate it signed for 127.0.0.1, as a private deployment has."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "政务微信 test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(1).not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(ca_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(2)
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False).sign(ca_key, hashes.SHA256()))
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "server.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "server.key").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                          serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption()))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(folder / "server.pem", folder / "server.key")
    return folder / "ca.pem", server


async def test_a_private_deployment_with_its_own_ca(seed_index, tmp_path: Path) -> None:
    ca_file, server_tls = private_ca(tmp_path)
    fake = FakeWeCom()
    await fake.start(tls=server_tls)
    try:
        assert fake.url.startswith("wss://")
        async with running(settings_for(seed_index, tmp_path, fake), ["wecom"]) as messengers:  # no CA given
            await channel_waits(messengers.channel("wecom"), 1)  # refused: the certificate is not trusted
            status, text = await messengers.service.monitor.health()
            assert status == 503 and "certificate" in text.lower() and fake.subscribes == 0
        async with running(settings_for(seed_index, tmp_path, fake, wecom_ca_file=ca_file), ["wecom"]):
            await fake.answered(await fake.say("执法"))
    finally:
        await fake.stop()


async def test_a_user_opening_the_chat_is_welcomed(seed_index, tmp_path: Path, wecom: FakeWeCom) -> None:
    async with running(settings_for(seed_index, tmp_path, wecom), ["wecom"]):
        rid = await wecom.enter_chat()
        [welcome] = await wecom.wait_until(lambda: wecom.replies(rid))
        assert welcome.cmd == "aibot_respond_welcome_msg" and welcome.body["msgtype"] == "text"
        assert "法治政府建设报告问答" in welcome.body["text"]["content"] and "<b>" not in welcome.body["text"]["content"]
