"""A fake DingTalk on 127.0.0.1 (aiohttp): the Stream gateway and socket, the session webhook and the
OpenAPI calls the robot uses, as ../notes/im-protocols.md §3 and §5.3 describe the real ones: a
single-use ticket for the right Client ID and Secret (401 authFailed otherwise), CALLBACK frames whose
``data`` is a JSON string and which must be acknowledged by messageId before any reply, SYSTEM ping and
disconnect, session webhooks that expire, markdown / actionCard / sampleFile messages recorded.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from aiohttp import WSMsgType, web

from tests.loopback_server import Changes, serve


@dataclass
class Message:
    """A message the robot sent: through a session webhook or the OpenAPI."""

    via: str  # "webhook" | "group" | "private"
    to: str  # the session, openConversationId or user id
    kind: str  # markdown | actionCard | sampleMarkdown | sampleActionCardN | sampleFile …
    body: dict

    @property
    def text(self) -> str:
        if self.kind == "markdown":
            return str(self.body["markdown"]["text"])
        if self.kind == "actionCard":
            return str(self.body["actionCard"]["text"])
        return str(self.body.get("text") or "")

    @property
    def presses(self) -> list[str]:
        """What each button makes the user's client send (its dtmd link's content)."""
        if self.kind == "actionCard":
            urls = [b["actionURL"] for b in self.body["actionCard"]["btns"]]
        else:
            urls = [v for k, v in self.body.items() if k.startswith(("actionURL", "singleURL"))]
        return [unquote(u.split("content=", 1)[1]) for u in urls if "content=" in u]


@dataclass
class FakeDingTalk:
    client_id: str = "ding-test"
    client_secret: str = "d1ng-secret"
    opens: int = 0
    refused_opens: int = 0
    acks: list[str] = field(default_factory=list)
    pongs: list[dict] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    early_replies: list[str] = field(default_factory=list)  # replies to a message not yet acknowledged

    def __post_init__(self) -> None:
        self._tickets: set[str] = set()
        self._live: web.WebSocketResponse | None = None
        self._sessions: dict[str, tuple[str, float]] = {}  # session → (msgId, expires at)
        self._frames: dict[str, str] = {}  # session → the messageId of the frame that carried it
        self._changes = Changes()
        self._runner: web.AppRunner | None = None
        self.base = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/v1.0/gateway/connections/open", self._open)
        app.router.add_get("/connect", self._socket)
        app.router.add_post("/v1.0/oauth2/accessToken", self._token)
        app.router.add_post("/robot/sendBySession", self._by_session)
        app.router.add_post("/v1.0/robot/groupMessages/send", self._group_send)
        app.router.add_post("/v1.0/robot/oToMessages/batchSend", self._private_send)
        app.router.add_post("/media/upload", self._upload)
        self._runner, port = await serve(app)
        self.base = f"http://127.0.0.1:{port}"
        return self.base

    async def stop(self) -> None:
        if self._live is not None:
            await self._live.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _notify(self) -> None:
        await self._changes.notify()

    async def wait_until(self, check: Callable[[], Any], timeout: float = 20.0) -> Any:
        """Until ``check()`` is true (re-checked whenever a frame or a request comes in)."""
        return await self._changes.wait_until(check, timeout)

    # -- the gateway and the stream -------------------------------------------------------------------

    async def _open(self, request: web.Request) -> web.Response:
        body = await request.json()
        assert request.headers.get("Accept") == "application/json"
        if body.get("clientId") != self.client_id or body.get("clientSecret") != self.client_secret:
            self.refused_opens += 1
            await self._notify()
            return web.json_response({"code": "authFailed", "message": "鉴权失败"}, status=401)
        self.opens += 1
        ticket = secrets.token_hex(8)
        self._tickets.add(ticket)
        return web.json_response({"endpoint": f"ws://{request.host}/connect", "ticket": ticket})

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            await ws.close(code=4001, message=b"invalid ticket")
            return ws
        self._tickets.discard(ticket)  # one connection per ticket
        self._live = ws
        await self._notify()
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            frame = json.loads(message.data)
            if frame.get("headers", {}).get("messageId", "").startswith("ping-"):
                self.pongs.append(frame)
            else:
                self.acks.append(frame["headers"]["messageId"])
            await self._notify()
        if self._live is ws:
            self._live = None
        await self._notify()
        return ws

    async def connected(self, timeout: float = 20.0) -> None:
        await self.wait_until(lambda: self._live is not None and not self._live.closed, timeout)

    async def say(self, text: str, *, staff: str = "0001", group: str | None = None, at: bool = True,
                  msg_id: str | None = None, webhook_seconds: float = 5400) -> str:
        """A robot message as a CALLBACK frame; in a group, as DingTalk sends it: the bot's @ taken out,
        its space left, ``isInAtList`` set. The message id (the same one again: a repeated delivery)."""
        await self.connected()
        assert self._live is not None
        msg_id = msg_id or f"msg{secrets.token_hex(6)}"
        session = secrets.token_hex(8)
        self._sessions[session] = (msg_id, time.time() + webhook_seconds)
        data: dict[str, Any] = {
            "conversationId": group or f"cid-private-{staff}", "msgId": msg_id, "senderNick": "张三",
            "isAdmin": False, "senderStaffId": staff, "senderId": f"$:LWCP_v1:${staff}",
            "sessionWebhookExpiredTime": int((time.time() + webhook_seconds) * 1000),
            "createAt": int(time.time() * 1000), "conversationType": "2" if group else "1",
            "isInAtList": bool(group and at), "robotCode": self.client_id, "msgtype": "text",
            "sessionWebhook": f"{self.base}/robot/sendBySession?session={session}",
            "text": {"content": f" {text}" if group and at else text},
        }
        if group:
            data["conversationTitle"] = "测试群"
        message_id = f"frame-{secrets.token_hex(6)}"
        self._frames[session] = message_id
        await self._live.send_json({"specVersion": "1.0", "type": "CALLBACK",
                                    "headers": {"messageId": message_id, "topic": "/v1.0/im/bot/messages/get",
                                                "contentType": "application/json", "time": str(int(time.time() * 1000))},
                                    "data": json.dumps(data, ensure_ascii=False)})
        return msg_id

    async def push_raw(self, data: str) -> None:
        await self.connected()
        assert self._live is not None
        await self._live.send_str(data)

    async def ping(self) -> None:
        assert self._live is not None
        await self._live.send_json({"specVersion": "1.0", "type": "SYSTEM",
                                    "headers": {"topic": "ping", "messageId": f"ping-{secrets.token_hex(4)}",
                                                "contentType": "application/json"},
                                    "data": json.dumps({"opaque": "op-9"})})

    async def disconnect(self) -> None:
        """What the gateway sends before it rotates a connection (it closes the socket 10 s later)."""
        assert self._live is not None
        await self._live.send_json({"specVersion": "1.0", "type": "SYSTEM",
                                    "headers": {"topic": "disconnect", "contentType": "application/json"},
                                    "data": json.dumps({"reason": "connection is expired"})})

    async def drop(self) -> None:
        assert self._live is not None
        transport = self._live._req.transport if self._live._req is not None else None  # type: ignore[attr-defined]
        self._live = None
        if transport is not None:
            transport.abort()

    # -- what the robot sends -------------------------------------------------------------------------

    async def _token(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("appKey") != self.client_id or body.get("appSecret") != self.client_secret:
            return web.json_response({"code": "invalidClientIdOrSecret"}, status=400)
        return web.json_response({"accessToken": "tok-1", "expireIn": 7200})

    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("x-acs-dingtalk-access-token") == "tok-1" or request.query.get("access_token") == "tok-1"

    async def _by_session(self, request: web.Request) -> web.Response:
        session = request.query.get("session", "")
        if session not in self._sessions or self._sessions[session][1] < time.time():
            return web.json_response({"errcode": 300001, "errmsg": "session expired"})
        body = await request.json()
        if self._frames.get(session) not in self.acks:  # a CALLBACK must be acknowledged before its reply
            self.early_replies.append(session)
        self.messages.append(Message("webhook", session, body["msgtype"], body))
        await self._notify()
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _group_send(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"code": "InvalidAuthentication"}, status=401)
        body = await request.json()
        assert body["robotCode"] == self.client_id and isinstance(body["msgParam"], str)
        self.messages.append(Message("group", body["openConversationId"], body["msgKey"], json.loads(body["msgParam"])))
        await self._notify()
        return web.json_response({"processQueryKey": secrets.token_hex(4)})

    async def _private_send(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"code": "InvalidAuthentication"}, status=401)
        body = await request.json()
        assert body["robotCode"] == self.client_id and isinstance(body["msgParam"], str)
        for user in body["userIds"]:
            self.messages.append(Message("private", user, body["msgKey"], json.loads(body["msgParam"])))
        await self._notify()
        return web.json_response({"processQueryKey": secrets.token_hex(4), "invalidStaffIdList": [],
                                  "flowControlledStaffIdList": []})

    async def _upload(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"errcode": 40014, "errmsg": "invalid access_token"})
        form = await request.post()
        media = form["media"]
        media_id = f"@lAD{secrets.token_hex(6)}"
        self.files[media_id] = (media.filename, media.file.read())  # type: ignore[union-attr]
        return web.json_response({"errcode": 0, "media_id": media_id, "type": "file", "created_at": 0})

    def to(self, where: str) -> list[Message]:
        return [m for m in self.messages if m.to == where]

    def replies_to(self, msg_id: str) -> list[Message]:
        """The webhook messages answering one delivered message."""
        sessions = {s for s, (m, _) in self._sessions.items() if m == msg_id}
        return [m for m in self.messages if m.via == "webhook" and m.to in sessions]
