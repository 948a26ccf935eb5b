"""A fake WeCom API for a 自建应用 (gettoken, message/send, media/upload) on 127.0.0.1, and the driver that
plays WeCom calling the app's callback URL: signed, AES-encrypted XML posts, retried as WeCom retries
(../notes/im-protocols.md §2, §5.2)."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from reportqa.channels.wecom.crypto import WeComCrypto

CORP_ID = "wwcorp123"
TOKEN = "QDG6eK"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"  # the official samples' key


@dataclass
class FakeWeComApp:
    corp_secret: str = "app-secret"
    agent_id: int = 1000002
    sent: list[dict] = field(default_factory=list)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    tokens_given: int = 0

    def __post_init__(self) -> None:
        self.crypto = WeComCrypto(TOKEN, AES_KEY, CORP_ID)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.base = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/cgi-bin/gettoken", self._gettoken)
        app.router.add_post("/cgi-bin/message/send", self._send)
        app.router.add_post("/cgi-bin/media/upload", self._upload)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
        return self.base

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait_until(self, check: Callable[[], Any], timeout: float = 20.0) -> Any:
        async with self._changed:
            return await asyncio.wait_for(self._changed.wait_for(check), timeout)

    async def _gettoken(self, request: web.Request) -> web.Response:
        if request.query.get("corpid") != CORP_ID or request.query.get("corpsecret") != self.corp_secret:
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        self.tokens_given += 1
        return web.json_response({"errcode": 0, "errmsg": "ok", "access_token": "app-token", "expires_in": 7200})

    async def _send(self, request: web.Request) -> web.Response:
        if request.query.get("access_token") != "app-token":
            return web.json_response({"errcode": 40014, "errmsg": "invalid access_token"})
        body = await request.json()
        assert body["agentid"] == self.agent_id
        if body["msgtype"] == "markdown" and len(body["markdown"]["content"].encode()) > 2048:
            return web.json_response({"errcode": 45002, "errmsg": "content size out of limit"})
        self.sent.append(body)
        async with self._changed:
            self._changed.notify_all()
        return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": secrets.token_hex(4)})

    async def _upload(self, request: web.Request) -> web.Response:
        form = await request.post()
        media = form["media"]
        media_id = secrets.token_hex(6)
        self.files[media_id] = (media.filename, media.file.read())  # type: ignore[union-attr]
        return web.json_response({"errcode": 0, "type": "file", "media_id": media_id, "created_at": "0"})

    def to(self, user: str) -> list[dict]:
        return [m for m in self.sent if m["touser"] == user]

    # -- WeCom calling the app ------------------------------------------------------------------

    def _signed(self, encrypted: str, good: bool = True) -> dict[str, str]:
        timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
        signature = self.crypto.signature(timestamp, nonce, encrypted) if good else "0" * 40
        return {"msg_signature": signature, "timestamp": timestamp, "nonce": nonce}

    async def verify_url(self, url: str, echo: str = "1616140317555161061") -> tuple[int, str]:
        encrypted = self.crypto.encrypt(echo)
        async with aiohttp.ClientSession() as http, http.get(url, params={**self._signed(encrypted),
                                                                          "echostr": encrypted}) as response:
            return response.status, await response.text()

    async def post(self, url: str, inner: str, *, good: bool = True) -> tuple[int, str, float]:
        """One callback as WeCom posts it: (status, body, seconds to the answer)."""
        encrypted = self.crypto.encrypt(inner)
        xml = (f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><AgentID><![CDATA[{self.agent_id}]]></AgentID>"
               f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>")
        started = time.perf_counter()
        async with aiohttp.ClientSession() as http, http.post(url, params=self._signed(encrypted, good),
                                                              data=xml.encode()) as response:
            return response.status, await response.text(), time.perf_counter() - started

    def text_xml(self, text: str, user: str = "zhangsan", msg_id: str | None = None) -> str:
        return (f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
                f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
                f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id or secrets.randbelow(10**18)}</MsgId>"
                f"<AgentID>{self.agent_id}</AgentID></xml>")

    def click_xml(self, key: str, user: str = "zhangsan") -> str:
        return (f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
                f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
                f"<Event><![CDATA[template_card_event]]></Event><EventKey><![CDATA[{key}]]></EventKey>"
                f"<TaskId><![CDATA[rqa_x]]></TaskId><CardType><![CDATA[button_interaction]]></CardType>"
                f"<ResponseCode><![CDATA[rc1]]></ResponseCode><AgentID>{self.agent_id}</AgentID></xml>")
