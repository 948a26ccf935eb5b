"""WeCom (企业微信) 智能机器人 over its long connection: one WebSocket to ``REPORTQA_WECOM_WS_URL``,
subscribed with the bot id and secret, a ping every ``channel_heartbeat_seconds``, messages and card
clicks in, replies, cards and files out (the protocol: ../notes/im-protocols.md §1).

No SDK: the official ``wecom-aibot-python-sdk`` cannot connect to a ``ws://`` URL (it passes an SSL
context for every URL), leaves the socket open after a wrong secret and reconnects into an endless
mutual kick after ``disconnected_event``; the protocol is a few JSON frames, spoken here on aiohttp.

- Every frame we send is answered by a frame with no ``cmd`` and the same ``req_id``; replies to a
  message reuse its ``req_id``, so they go one at a time (``_request`` waits for each answer).
- A message is answered once: its ``msgid`` is recorded in the state database before any work.
- A wrong bot id or secret (errcode 853000): WeCom answers but keeps the socket open; we close it, say
  so in /health, and try again no sooner than ``channel_auth_retry_seconds``. Subscribing too often is
  refused with 45009: wait a minute.
- ``disconnected_event``: another process subscribed this bot; this one stops and does not reconnect
  (reconnecting would kick the other, and it us, without end). /health says so.
- A dropped socket, or two pings unanswered: reconnect after a growing back-off, /health saying so.
- Replies and pushes are paced within 30 a minute per chat.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import logging
import re
import secrets
import time
from dataclasses import dataclass

import aiohttp

from reportqa.conversations.identity import Identities
from reportqa.conversations.links import (
    Background,
    Backoff,
    ChatPace,
    frame_field,
    number,
    tls_context,
    wait_to_reconnect,
)
from reportqa.conversations.monitor import Monitor
from reportqa.conversations.news import Delivery
from reportqa.conversations.service import HELP, ChatService, Incoming, Reply
from reportqa.conversations.subscriptions import Queued
from reportqa.present.actions import Rows, markup_rows
from reportqa.present.markdown import WECOM, html_to_markdown, plain_title, split_markdown
from reportqa.present.render import html_to_text
from reportqa.settings import Settings

log = logging.getLogger(__name__)
CHANNEL = "wecom"
WRONG_SECRET = 853000
TOO_OFTEN = 45009
NOT_SUBSCRIBED = 846609
CARD_BUTTONS = 6  # button_interaction: at most six buttons a card
CARDS = 3
CHUNK_BYTES = 512 * 1024  # an upload's chunk before base64 (the SDK's; at most 100 chunks)
LEFT_OUT = ("ol:",)  # 🗂 outlines are left off WeCom's cards: six buttons a card, 30 messages a minute
_SPACE = re.compile(r"^[\s\u2005\u3000]+")


class Stopped(Exception):
    """The connection ended (dropped, refused, replaced) while a frame waited for its answer."""


@dataclass(frozen=True)
class Outcome:
    kind: str  # "dropped" | "auth" | "throttled" | "replaced" | "stopped"
    reason: str


def req_id(cmd: str) -> str:
    """The SDK's form: ``{cmd}_{epoch ms}_{8 hex}``."""
    return f"{cmd}_{int(time.time() * 1000)}_{secrets.token_hex(4)}"


def frame(cmd: str, body: dict, rid: str | None = None) -> dict:
    """A frame of ours: a fresh req_id unless it answers a callback (its req_id)."""
    return {"cmd": cmd, "headers": {"req_id": rid or req_id(cmd)}, "body": body}


def strip_mention(text: str, bot_name: str) -> str:
    """A group message's question: every ``@<bot name>`` taken out with the space after it (WeCom puts
    the mention in the text as typed)."""
    if bot_name:
        text = re.sub(rf"@{re.escape(bot_name)}[\s\u2005\u3000]*", " ", text)
    return _SPACE.sub("", text).strip()


def text_of(body: dict) -> str:
    """The words of a message: text, the text items of a mixed message, or a voice message's words."""
    kind = body.get("msgtype")
    if kind in ("text", "voice"):
        return str(frame_field(body, kind, "content") or "")
    if kind == "mixed":
        items = frame_field(body, "mixed", "msg_item")
        return " ".join(str(frame_field(i, "text", "content") or "") for i in items or []
                        if isinstance(i, dict) and i.get("msgtype") == "text") if isinstance(items, list) else ""
    return ""


def cards(rows: Rows, title: str) -> list[dict]:
    """Buttons as template cards (button_interaction, at most six buttons each); a button's key is its
    callback data, given back verbatim when it is clicked."""
    buttons = [b for row in rows for b in row if b.data is not None and not b.data.startswith(LEFT_OUT)]
    out = []
    for i in range(0, min(len(buttons), CARD_BUTTONS * CARDS), CARD_BUTTONS):
        out.append({
            "card_type": "button_interaction",
            "task_id": f"rqa_{secrets.token_hex(12)}",
            "main_title": {"title": title[:26] or "…"},
            "button_list": [{"text": b.label[:20], "style": 1 if b.data and b.data.startswith("pg:") else 2,
                             "key": b.data} for b in buttons[i:i + CARD_BUTTONS]],
        })
    return out


class WeComChannel:
    """The WeCom long connection of one bot, and the outlet of its subscription notices."""

    platform = CHANNEL

    def __init__(self, settings: Settings, service: ChatService, monitor: Monitor | None = None) -> None:
        self.settings = settings
        self.service = service
        self.identities: Identities = service.identities
        self.monitor = monitor
        self.status = "connecting"
        self.reconnects = 0
        self.waits: list[float] = []  # every back-off waited, in order (the log and the tests read it)
        self.pace = ChatPace(settings.wecom_messages_per_minute)
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._waiting: dict[str, asyncio.Future] = {}
        self._req_locks: dict[str, asyncio.Lock] = {}
        self._stop = asyncio.Event()
        self._ready = asyncio.Event()
        self._replaced = False
        self._missed = 0
        self._background = Background("wecom: a message")

    # -- the connection -------------------------------------------------------------------------

    async def run(self) -> None:
        """Connect, and reconnect after every drop, until stopped or replaced."""
        backoff = Backoff(self.settings.channel_retry_seconds, self.settings.channel_retry_max_seconds)
        connector = aiohttp.TCPConnector(ssl=tls_context(self.settings.wecom_ca_file))
        async with aiohttp.ClientSession(connector=connector) as http:
            while not self._stop.is_set():
                outcome = await self._connect_once(http, backoff)
                self._ready.clear()
                if outcome.kind in ("replaced", "stopped"):
                    self.status = outcome.kind
                    if outcome.kind == "replaced" and self.monitor is not None:
                        self.monitor.down(CHANNEL, outcome.reason)
                    if outcome.kind == "replaced":
                        log.warning("wecom: %s", outcome.reason)
                    return
                at_least = {"auth": self.settings.channel_auth_retry_seconds, "throttled": 60.0}.get(outcome.kind, 0.0)
                await wait_to_reconnect(self, CHANNEL, self.monitor, backoff, outcome.reason, self._stop,
                                        auth=outcome.kind == "auth", at_least=at_least)

    async def stop(self) -> None:
        self._stop.set()
        if self._ws is not None:
            await self._ws.close()
        await self._background.cancel()

    async def ready(self, timeout: float) -> None:
        """Wait until subscribed (tests; the caller of a push)."""
        await asyncio.wait_for(self._ready.wait(), timeout)

    async def _connect_once(self, http: aiohttp.ClientSession, backoff: Backoff) -> Outcome:
        self.status = "connecting"
        try:
            ws = await http.ws_connect(self.settings.wecom_ws_url, autoping=True, max_msg_size=8 * 1024 * 1024,
                                       timeout=aiohttp.ClientWSTimeout(ws_close=2.0))
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            return Outcome("dropped", f"cannot connect to {self.settings.wecom_ws_url}: {exc}")
        self._ws, self._missed, self._replaced = ws, 0, False
        reader = asyncio.create_task(self._read(ws), name="wecom-read")
        heartbeat: asyncio.Task | None = None
        try:
            secret = self.settings.wecom_secret.get_secret_value() if self.settings.wecom_secret else ""
            try:
                answer = await self._request(frame("aibot_subscribe",
                                                   {"bot_id": self.settings.wecom_bot_id, "secret": secret}))
            except (Stopped, TimeoutError, ConnectionError) as exc:
                return Outcome("dropped", f"no answer to the subscription ({exc or type(exc).__name__})")
            code = number(answer.get("errcode"))
            if code == WRONG_SECRET:  # WeCom keeps the socket open: ours to close
                return Outcome("auth", f"wrong bot id or secret (errcode {code}: {answer.get('errmsg', '')})")
            if code == TOO_OFTEN:
                return Outcome("throttled", f"subscribing too often (errcode {code})")
            if code != 0:
                return Outcome("auth", f"subscription refused (errcode {code}: {answer.get('errmsg', '')})")
            backoff.reset()
            self.status = "subscribed"
            self._ready.set()
            if self.monitor is not None:
                self.monitor.heard(CHANNEL)
            log.info("wecom: subscribed as %s", self.settings.wecom_bot_id)
            heartbeat = asyncio.create_task(self._heartbeat(ws), name="wecom-heartbeat")
            await reader
            if self._replaced:
                return Outcome("replaced", "replaced by another connection of this bot (disconnected_event); "
                                           "not reconnecting until restarted")
            if self._stop.is_set():
                return Outcome("stopped", "stopped")
            return Outcome("dropped", f"connection closed ({ws.close_code or 'no close frame'})")
        finally:
            for task in (heartbeat, reader):
                if task is not None and not task.done():
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
            await ws.close()
            self._ws = None
            for future in self._waiting.values():
                if not future.done():
                    future.set_exception(Stopped("the connection closed"))
            self._waiting.clear()

    async def _heartbeat(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """A ping every interval; two unanswered when the next falls due: the link is dead."""
        while not ws.closed:
            await asyncio.sleep(self.settings.channel_heartbeat_seconds)
            if self._missed >= 2:
                log.warning("wecom: two pings unanswered; reconnecting")
                await ws.close()
                return
            self._missed += 1
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.send_str(json.dumps({"cmd": "ping", "headers": {"req_id": req_id("ping")}}))

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            try:
                got = json.loads(message.data)
            except ValueError:
                log.warning("wecom: a frame that is not JSON: %.200s", message.data)
                continue
            if not isinstance(got, dict):
                continue
            rid = str(frame_field(got, "headers", "req_id") or "")
            cmd = got.get("cmd")
            if not cmd:  # an answer to a frame of ours
                if rid.startswith("ping"):
                    self._missed = 0
                    if self.monitor is not None:
                        self.monitor.heard(CHANNEL)
                future = self._waiting.pop(rid, None)
                if future is not None and not future.done():
                    future.set_result(got)
                if number(got.get("errcode")) == NOT_SUBSCRIBED:  # the subscription lapsed: start again
                    await ws.close()
                continue
            body = got.get("body") if isinstance(got.get("body"), dict) else {}
            if cmd == "aibot_msg_callback":
                self._background.spawn(self._on_message(rid, body))
            elif cmd == "aibot_event_callback":
                event = body.get("event") if isinstance(body.get("event"), dict) else {}
                kind = event.get("eventtype")
                if kind == "disconnected_event":
                    self._replaced = True
                    await ws.close()
                    return
                if kind == "template_card_event":
                    self._background.spawn(self._on_click(body, event))
                elif kind == "enter_chat":
                    self._background.spawn(self._welcome(rid))

    async def _request(self, sent: dict) -> dict:
        """Send a frame and wait for its answer (frames of one req_id one at a time)."""
        ws = self._ws
        if ws is None or ws.closed:
            raise Stopped("not connected")
        rid = sent["headers"]["req_id"]
        if len(self._req_locks) > 1000:  # forget the locks of finished replies
            self._req_locks = {k: v for k, v in self._req_locks.items() if v.locked()}
        lock = self._req_locks.setdefault(rid, asyncio.Lock())
        async with lock:
            future: asyncio.Future = asyncio.get_running_loop().create_future()
            self._waiting[rid] = future
            try:
                await ws.send_str(json.dumps(sent, ensure_ascii=False))
                return await asyncio.wait_for(future, self.settings.channel_answer_seconds)
            finally:
                self._waiting.pop(rid, None)

    # -- messages in ------------------------------------------------------------------------------

    async def _on_message(self, rid: str, body: dict) -> None:
        msgid = str(body.get("msgid") or "")
        if not msgid or (body.get("aibotid") and body.get("aibotid") != self.settings.wecom_bot_id):
            return
        if not await self.identities.first_delivery(CHANNEL, msgid):
            log.info("wecom: message %s delivered again; answered once", msgid)
            return
        group = body.get("chattype") == "group"
        user = str(frame_field(body, "from", "userid") or "") or None
        chat = str(body.get("chatid") or "") if group else user
        if not chat:
            return
        # WeCom delivers a group message only when it @mentions the bot (DOC-100719); the mention is in the text
        text = strip_mention(text_of(body), self.settings.wecom_bot_name)
        if not text:
            return
        replies = await self.service.message(Incoming(CHANNEL, chat, user, group, text, name=user or ""))
        await self.send(replies, chat, reply_to=rid)

    async def _on_click(self, body: dict, event: dict) -> None:
        msgid = str(body.get("msgid") or "")
        if msgid and not await self.identities.first_delivery(CHANNEL, msgid):
            return
        click = event.get("template_card_event") if isinstance(event.get("template_card_event"), dict) else event
        key = str(click.get("event_key") or "")
        group = body.get("chattype") == "group"
        user = str(frame_field(body, "from", "userid") or "") or None
        chat = str(body.get("chatid") or "") if group else user
        if not chat or not key:
            return
        replies = await self.service.press(Incoming(CHANNEL, chat, user, group, name=user or ""), key)
        await self.send(replies, chat)  # a click's answer is a new message in its chat

    async def _welcome(self, rid: str) -> None:
        """The first time a user opens the bot's chat that day: what it does (within 5 s)."""
        with contextlib.suppress(Stopped, TimeoutError, ConnectionError):
            await self._request(frame("aibot_respond_welcome_msg",
                                      {"msgtype": "text", "text": {"content": html_to_text(HELP["zh"])[:2000]}}, rid))

    # -- messages out -----------------------------------------------------------------------------

    async def send(self, replies: list[Reply], chat: str, reply_to: str | None = None) -> None:
        """Replies to a message (``reply_to``: its req_id) or pushed into a chat; each within the pace."""
        for reply in replies:
            if reply.file is not None:
                media_id = await self.upload(reply.filename or "file", reply.file)
                if reply.html:
                    await self._one(chat, reply_to, self._markdown(html_to_markdown(reply.html, WECOM)))
                await self._one(chat, reply_to, {"msgtype": "file", "file": {"media_id": media_id}})
                continue
            markdown = html_to_markdown(reply.html, WECOM)
            for piece in split_markdown(markdown, WECOM):
                await self._one(chat, reply_to, self._markdown(piece))
            for card in cards(reply.buttons, plain_title(markdown)):
                await self._one(chat, reply_to, {"msgtype": "template_card", "template_card": card})

    @staticmethod
    def _markdown(content: str) -> dict:
        return {"msgtype": "markdown", "markdown": {"content": content}}

    async def _one(self, chat: str, reply_to: str | None, body: dict) -> dict:
        await self.pace.turn(chat)
        if reply_to is not None:  # a reply: markdown goes as a finished stream (the bubble under the question)
            if body["msgtype"] == "markdown":
                body = {"msgtype": "stream", "stream": {"id": req_id("stream"), "finish": True,
                                                        "content": body["markdown"]["content"]}}
            sent = frame("aibot_respond_msg", body, reply_to)
        else:
            sent = frame("aibot_send_msg", {"chatid": chat, **body})
        answer = await self._request(sent)
        code = number(answer.get("errcode"))
        if code:
            log.warning("wecom: %s refused: errcode %s %s", sent["cmd"], code, answer.get("errmsg", ""))
        return answer

    async def upload(self, filename: str, data: bytes) -> str:
        """A file uploaded over the socket in three steps; its media_id (valid three days)."""
        chunks = [data[i:i + CHUNK_BYTES] for i in range(0, len(data), CHUNK_BYTES)] or [b""]
        init = await self._request(frame("aibot_upload_media_init", {
            "type": "file", "filename": filename, "total_size": len(data), "total_chunks": len(chunks),
            "md5": hashlib.md5(data).hexdigest()}))
        upload_id = str(frame_field(init, "body", "upload_id") or "")
        if not upload_id:
            raise ConnectionError(f"upload refused: errcode {init.get('errcode')} {init.get('errmsg', '')}")
        for index, chunk in enumerate(chunks):  # 0-based, as the SDK's code sends them
            await self._request(frame("aibot_upload_media_chunk", {
                "upload_id": upload_id, "chunk_index": index, "base64_data": base64.b64encode(chunk).decode()}))
        done = await self._request(frame("aibot_upload_media_finish", {"upload_id": upload_id}))
        media_id = str(frame_field(done, "body", "media_id") or "")
        if not media_id:
            raise ConnectionError(f"upload not finished: errcode {done.get('errcode')} {done.get('errmsg', '')}")
        return media_id

    # -- subscription notices -----------------------------------------------------------------------

    async def deliver(self, queued: Queued) -> Delivery:
        """A queued notice, pushed into the chat it was subscribed in (a userid or a group's chatid)."""
        note = queued.notification
        native = await self.identities.native(note.chat_id)
        if native is None:
            return Delivery("refused", "unknown chat")
        if not self._ready.is_set():
            return Delivery("later", "not connected")
        try:
            await self.send([Reply(note.text, markup_rows(note.markup))], native.native)
        except (Stopped, TimeoutError, ConnectionError) as exc:
            return Delivery("later", str(exc) or type(exc).__name__)
        return Delivery("sent")
