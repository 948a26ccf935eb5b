"""The WeCom and DingTalk channels (``reportqa.launch.start_messengers``, the code ``python bot.py``
runs) against the loopback fakes, connected through the host settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from pydantic import SecretStr

from reportqa.launch import Messengers, start_messengers
from reportqa.settings import Settings
from tests.fake_dingtalk import FakeDingTalk
from tests.fake_wecom import FakeWeCom

# short waits for the tests: reconnects at 0.05 s doubling to 0.4 s, a wrong secret retried after 0.3 s
QUICK = {"channel_retry_seconds": 0.05, "channel_retry_max_seconds": 0.4, "channel_auth_retry_seconds": 0.3,
         "notify_check_seconds": 3600.0}


def messenger_settings(base: Settings, tmp_path: Path, wecom: FakeWeCom | None, dingtalk: FakeDingTalk | None,
                       **overrides: object) -> Settings:
    values: dict[str, object] = {"bot_state_db": tmp_path / "bot.sqlite3", **QUICK}
    if wecom is not None:
        values |= {"wecom_bot_id": wecom.bot_id, "wecom_secret": SecretStr(wecom.secret), "wecom_ws_url": wecom.url,
                   "wecom_bot_name": wecom.bot_name}
    if dingtalk is not None:
        values |= {"dingtalk_client_id": dingtalk.client_id, "dingtalk_client_secret": SecretStr(dingtalk.client_secret),
                   "dingtalk_api_url": dingtalk.base, "dingtalk_oapi_url": dingtalk.base, "dingtalk_bot_name": "报告助手"}
    return base.model_copy(update={**values, **overrides})


@asynccontextmanager
async def running(settings: Settings, names: list[str]) -> AsyncIterator[Messengers]:
    messengers = await start_messengers(settings, names)
    try:
        yield messengers
    finally:
        await messengers.stop()
