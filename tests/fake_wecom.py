"""A fake WeCom 智能机器人 long connection on 127.0.0.1 (aiohttp), as ../notes/im-protocols.md §1 and §5.1
describe the real one: subscribe with the bot id and secret (a wrong one answered 853000 with the socket
left open, as WeCom does), ping answered, frames answered by req_id, replies only to a req_id it pushed,
``text`` refused on ``aibot_send_msg`` (40008), three-step uploads kept, a second connection of the bot
sent ``disconnected_event``. Tests push messages and clicks, drop the connection, and read what was sent.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.loopback_server import Changes, serve


@dataclass
class Sent:
    cmd: str
    req_id: str
    body: dict

    @property
    def content(self) -> str:
        """The markdown of a reply or push (a stream's content, a markdown push), else ""."""
        if self.body.get("msgtype") == "stream":
            return str(self.body["stream"].get("content") or "")
        if self.body.get("msgtype") == "markdown":
            return str(self.body["markdown"].get("content") or "")
        return ""

    @property
    def keys(self) -> list[str]:
        """The button keys of a template card."""
        card = self.body.get("template_card") or {}
        return [b["key"] for b in card.get("button_list", [])]


@dataclass
class FakeWeCom:
    bot_id: str = "aib-test"
    secret: str = "s3cret"
    bot_name: str = "报告助手"
    answer_pings: bool = True
    subscribes: int = 0
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    pushed: dict[str, dict] = field(default_factory=dict)  # req_id → the callback it came with
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # media_id → (name, data)
    chunk_bases: set[int] = field(default_factory=set)
    refused: list[tuple[str, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._live: web.WebSocketResponse | None = None
        self._changes = Changes()
        self._uploads: dict[str, dict] = {}
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self, tls: ssl.SSLContext | None = None) -> str:
        """Listen on 127.0.0.1 (``tls``: as wss://, with that server certificate)."""
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._socket)
        self._runner, port = await serve(app, tls)
        self.url = f"{'wss' if tls else 'ws'}://127.0.0.1:{port}/im_openws?bizid=1"  # a private deployment's form, path and query
        return self.url

    async def stop(self) -> None:
        for ws in list(self.sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _notify(self) -> None:
        await self._changes.notify()

    async def wait_until(self, check: Callable[[], Any], timeout: float = 20.0) -> Any:
        """Until ``check()`` is true (re-checked whenever a frame or a request comes in)."""
        return await self._changes.wait_until(check, timeout)

    # -- the socket ---------------------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.sockets.append(ws)
        subscribed = False
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            frame = json.loads(message.data)
            cmd, rid = frame.get("cmd"), frame["headers"]["req_id"]
            body = frame.get("body") or {}
            if cmd == "aibot_subscribe":
                self.subscribes += 1
                if body.get("bot_id") != self.bot_id or body.get("secret") != self.secret:
                    await self._answer(ws, rid, 853000, "invalid bot_id or secret")  # and the socket stays open
                else:
                    subscribed = True
                    old, self._live = self._live, ws
                    await self._answer(ws, rid)
                    if old is not None and not old.closed:  # the bot subscribed again elsewhere: the old one goes
                        await old.send_json({"cmd": "aibot_event_callback", "headers": {"req_id": _rid()},
                                             "body": {"msgid": _rid(), "msgtype": "event",
                                                      "event": {"eventtype": "disconnected_event"}}})
            elif cmd == "ping":
                if self.answer_pings:
                    await self._answer(ws, rid)
            elif not subscribed:
                await self._answer(ws, rid, 846609, "aibot websocket not subscribed")
            else:
                await self._frame(ws, cmd, rid, body)
            await self._notify()
        if self._live is ws:
            self._live = None
        await self._notify()
        return ws

    async def _answer(self, ws: web.WebSocketResponse, rid: str, errcode: int = 0, errmsg: str = "ok",
                      body: dict | None = None) -> None:
        answer: dict[str, Any] = {"headers": {"req_id": rid}, "errcode": errcode, "errmsg": errmsg}
        if body is not None:
            answer["body"] = body
        if errcode:
            self.refused.append((rid, errcode))
        if not ws.closed:
            await ws.send_json(answer)

    async def _frame(self, ws: web.WebSocketResponse, cmd: str, rid: str, body: dict) -> None:
        if cmd in ("aibot_respond_msg", "aibot_respond_welcome_msg"):
            if rid not in self.pushed:
                await self._answer(ws, rid, 846605, "invalid req_id")
                return
            content = body.get("stream", {}).get("content") if body.get("msgtype") == "stream" else None
            if content is not None and len(content.encode()) > 20480:
                await self._answer(ws, rid, 40058, "content too long")
                return
        elif cmd == "aibot_send_msg":
            if body.get("msgtype") == "text":
                await self._answer(ws, rid, 40008, "invalid message type")
                return
            content = (body.get("markdown") or {}).get("content")
            if content is not None and len(content.encode()) > 20480:
                await self._answer(ws, rid, 40058, "content too long")
                return
        elif cmd == "aibot_upload_media_init":
            upload_id = _rid()
            self._uploads[upload_id] = {**body, "chunks": {}}
            await self._answer(ws, rid, body={"upload_id": upload_id})
            return
        elif cmd == "aibot_upload_media_chunk":
            self._uploads[body["upload_id"]]["chunks"][body["chunk_index"]] = base64.b64decode(body["base64_data"])
        elif cmd == "aibot_upload_media_finish":
            upload = self._uploads.pop(body["upload_id"])
            indexes = sorted(upload["chunks"])
            self.chunk_bases.add(indexes[0])
            data = b"".join(upload["chunks"][i] for i in indexes)
            if hashlib.md5(data).hexdigest() != upload["md5"] or len(data) != upload["total_size"]:
                await self._answer(ws, rid, 40009, "md5 or size mismatch")
                return
            media_id = _rid()
            self.files[media_id] = (upload["filename"], data)
            await self._answer(ws, rid, body={"type": "file", "media_id": media_id, "created_at": 0})
            return
        self.sent.append(Sent(cmd, rid, body))
        await self._answer(ws, rid)

    # -- what tests do ------------------------------------------------------------------------------

    async def connected(self, timeout: float = 20.0) -> None:
        await self.wait_until(lambda: self._live is not None and not self._live.closed, timeout)

    async def push(self, frame: dict) -> str:
        await self.connected()
        assert self._live is not None
        rid = frame["headers"]["req_id"]
        self.pushed[rid] = frame
        await self._live.send_json(frame)
        return rid

    async def push_raw(self, data: str) -> None:
        """Anything at all on the socket (a malformed frame)."""
        await self.connected()
        assert self._live is not None
        await self._live.send_str(data)

    async def say(self, text: str, *, user: str = "zhangsan", chat: str | None = None, msgid: str | None = None,
                  mention: bool = True) -> str:
        """A message from a user: private, or in group ``chat`` (with ``@<bot name> `` in front, as WeCom
        delivers a group message only when it mentions the bot). The req_id its replies must carry."""
        body: dict[str, Any] = {"msgid": msgid or _rid(), "aibotid": self.bot_id,
                                "chattype": "group" if chat else "single", "from": {"userid": user},
                                "msgtype": "text",
                                "text": {"content": f"@{self.bot_name} {text}" if chat and mention else text}}
        if chat:
            body["chatid"] = chat
        return await self.push({"cmd": "aibot_msg_callback", "headers": {"req_id": _rid()}, "body": body})

    async def click(self, key: str, *, user: str = "zhangsan", chat: str | None = None) -> str:
        body: dict[str, Any] = {"msgid": _rid(), "aibotid": self.bot_id, "chattype": "group" if chat else "single",
                                "from": {"userid": user}, "msgtype": "event",
                                "event": {"eventtype": "template_card_event",
                                          "template_card_event": {"card_type": "button_interaction",
                                                                  "event_key": key, "task_id": "rqa_x"}}}
        if chat:
            body["chatid"] = chat
        return await self.push({"cmd": "aibot_event_callback", "headers": {"req_id": _rid()}, "body": body})

    async def enter_chat(self, user: str = "zhangsan") -> str:
        """A user opens the bot's private chat (the first time that day): a welcome may answer, within 5 s."""
        return await self.push({"cmd": "aibot_event_callback", "headers": {"req_id": _rid()},
                                "body": {"msgid": _rid(), "aibotid": self.bot_id, "chattype": "single",
                                         "from": {"userid": user}, "msgtype": "event",
                                         "event": {"eventtype": "enter_chat"}}})

    async def drop(self) -> None:
        """Cut the connection without a close frame (a network fault)."""
        assert self._live is not None
        transport = self._live._req.transport if self._live._req is not None else None  # type: ignore[attr-defined]
        self._live = None
        if transport is not None:
            transport.abort()

    def replies(self, rid: str) -> list[Sent]:
        return [s for s in self.sent if s.req_id == rid]

    def pushes(self, chat: str) -> list[Sent]:
        return [s for s in self.sent if s.cmd == "aibot_send_msg" and s.body.get("chatid") == chat]

    async def answered(self, rid: str, timeout: float = 20.0) -> list[Sent]:
        """The replies to a message once its answer's last card (the one with 👍/👎) has come."""
        await self.wait_until(lambda: any(k.startswith("fb:") for s in self.replies(rid) for k in s.keys), timeout)
        return self.replies(rid)

    async def pushed_answer(self, chat: str, needle: str, timeout: float = 20.0) -> list[Sent]:
        """The pushes into a chat from the one whose text holds ``needle`` to its card with 👍/👎."""
        def found() -> list[Sent] | None:
            pushes = self.pushes(chat)
            start = next((i for i, s in enumerate(pushes) if needle in s.content), None)
            if start is None:
                return None
            rest = pushes[start:]
            end = next((i for i, s in enumerate(rest) if any(k.startswith("fb:") for k in s.keys)), None)
            return rest[: end + 1] if end is not None else None
        return await self.wait_until(found, timeout)


def _rid() -> str:
    return secrets.token_hex(8)
