"""DingTalk (钉钉) robot over Stream mode: a ticket from the gateway (``REPORTQA_DINGTALK_API_URL``
``/v1.0/gateway/connections/open``), a WebSocket opened with it, robot messages in (acknowledged at
once), replies through the conversation's session webhook as markdown, buttons as an ActionCard,
files and notices through the OpenAPI (the protocol: ../notes/im-protocols.md §3).

No SDK: the official ``dingtalk-stream`` calls blocking ``requests`` inside its coroutines (a slow
gateway stalls the bot's event loop: measured 1.03 s for a 1 s answer), reads its host from an
environment variable once at import, and cannot be stopped cleanly (it swallows the cancellation).

- Every CALLBACK frame is acknowledged before any work; a message (``msgId``) is answered once.
- SYSTEM ``ping``: echoed at once. SYSTEM ``disconnect``: the gateway is rotating us; a new ticket and
  socket are opened at once.
- A wrong Client ID or Secret (401 from the gateway): said in /health, tried again no sooner than
  ``channel_auth_retry_seconds``. A dropped socket: reconnect after a growing back-off.
- ActionCard buttons open a URL and call nothing back; ours are ``dtmd://dingtalkclient/sendMessage``
  links that make the user's client send ``/press <callback data>``, which comes back as a message.
  In a group such a message carries no @ and may not reach the bot (UNCONFIRMED; see the README).
- Replies are paced within 20 a minute per conversation (DingTalk throttles a robot for ten minutes
  beyond that). A session webhook is used only when it is on the configured OAPI host and not expired.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import time
import zipfile
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus

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
from reportqa.conversations.service import ChatService, Incoming, Reply, press_text
from reportqa.conversations.subscriptions import Queued
from reportqa.present.actions import Button, Rows, markup_rows
from reportqa.present.markdown import DINGTALK, html_to_markdown, plain_title, split_markdown
from reportqa.settings import Settings

log = logging.getLogger(__name__)
CHANNEL = "dingtalk"
ROBOT_TOPIC = "/v1.0/im/bot/messages/get"
SENDABLE_FILES = frozenset({"xlsx", "pdf", "zip", "rar", "doc", "docx"})  # sampleFile's types; others go zipped
ACTION_CARD_BUTTONS = 5  # sampleActionCard2..5 (the OpenAPI's cards with buttons)
LEFT_OUT = ("ol:",)  # 🗂 outlines are left off: a card's buttons stack, and 20 messages a minute


@dataclass(frozen=True)
class Outcome:
    kind: str  # "dropped" | "auth" | "rotate" | "stopped"
    reason: str


@dataclass(frozen=True)
class Conversation:
    """Where a message came from and how to answer it."""

    chat: str  # the conversation id in a group, the sender in a private chat
    user: str | None
    group: bool
    webhook: str | None
    expires_ms: int


def ack(message_id: str, data: str = '{"response": null}') -> str:
    return json.dumps({"code": 200, "headers": {"contentType": "application/json", "messageId": message_id},
                       "message": "OK", "data": data})


def dtmd(button: Button) -> str:
    """A button as a link that makes the user's client send its press back as a message."""
    return "dtmd://dingtalkclient/sendMessage?content=" + quote(press_text(button), safe="")


def text_of(data: dict) -> str:
    """The words of a robot message: text, a rich text's text items, a voice message's recognition."""
    kind = data.get("msgtype")
    if kind == "text":
        return str(frame_field(data, "text", "content") or "")
    if kind == "richText":
        items = frame_field(data, "content", "richText")
        return " ".join(str(i.get("text")) for i in items if isinstance(i, dict) and i.get("text")) \
            if isinstance(items, list) else ""
    if kind == "audio":
        return str(frame_field(data, "content", "recognition") or "")
    return ""


def strip_mention(text: str, bot_name: str) -> str:
    """DingTalk takes the bot's own @ out of the text and leaves its space; a typed @name goes too."""
    if bot_name:
        text = text.replace(f"@{bot_name}", " ")
    return text.strip()


def buttons_of(rows: Rows) -> list[Button]:
    return [b for row in rows for b in row if b.data is not None and not b.data.startswith(LEFT_OUT)]


class DingTalkChannel:
    """The Stream connection of one DingTalk app's robot, and the outlet of its subscription notices."""

    platform = CHANNEL

    def __init__(self, settings: Settings, service: ChatService, monitor: Monitor | None = None) -> None:
        self.settings = settings
        self.service = service
        self.identities: Identities = service.identities
        self.monitor = monitor
        self.status = "connecting"
        self.reconnects = 0
        self.waits: list[float] = []  # every back-off waited, in order (the log and the tests read it)
        self.pace = ChatPace(settings.dingtalk_messages_per_minute)
        self.api = settings.dingtalk_api_url.rstrip("/")
        self.oapi = settings.dingtalk_oapi_url.rstrip("/")
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._stop = asyncio.Event()
        self._ready = asyncio.Event()
        self._token: tuple[str, float] | None = None
        self._background = Background("dingtalk: a message")

    # -- the connection ---------------------------------------------------------------------------

    async def run(self) -> None:
        backoff = Backoff(self.settings.channel_retry_seconds, self.settings.channel_retry_max_seconds)
        timeout = aiohttp.ClientTimeout(total=max(30.0, self.settings.channel_answer_seconds))
        connector = aiohttp.TCPConnector(ssl=tls_context(self.settings.dingtalk_ca_file))
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:
            self._http = http
            while not self._stop.is_set():
                outcome = await self._connect_once(http, backoff)
                self._ready.clear()
                if outcome.kind == "stopped":
                    self.status = "stopped"
                    return
                if outcome.kind == "rotate":  # the gateway moves us: a new socket at once
                    log.info("dingtalk: %s; opening a new connection", outcome.reason)
                    continue
                auth = outcome.kind == "auth"
                await wait_to_reconnect(self, CHANNEL, self.monitor, backoff, outcome.reason, self._stop, auth=auth,
                                        at_least=self.settings.channel_auth_retry_seconds if auth else 0.0)
        self._http = None

    async def stop(self) -> None:
        self._stop.set()
        if self._ws is not None:
            await self._ws.close()
        await self._background.cancel()

    async def ready(self, timeout: float) -> None:
        await asyncio.wait_for(self._ready.wait(), timeout)

    async def _open(self, http: aiohttp.ClientSession) -> tuple[str, str] | Outcome:
        secret = self.settings.dingtalk_client_secret.get_secret_value() if self.settings.dingtalk_client_secret else ""
        body = {"clientId": self.settings.dingtalk_client_id, "clientSecret": secret,
                "subscriptions": [{"type": "CALLBACK", "topic": ROBOT_TOPIC}], "ua": "reportqa/0.1", "localIp": ""}
        try:
            async with http.post(f"{self.api}/v1.0/gateway/connections/open", json=body,
                                 headers={"Accept": "application/json"}) as response:
                text = await response.text()
                if response.status in (400, 401, 403):
                    return Outcome("auth", f"wrong client id or secret ({response.status} {text[:200]})")
                if response.status != 200:
                    return Outcome("dropped", f"the gateway answered {response.status}")
                answer = json.loads(text)
        except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as exc:
            return Outcome("dropped", f"cannot reach the gateway {self.api}: {exc or type(exc).__name__}")
        endpoint, ticket = answer.get("endpoint"), answer.get("ticket")
        if not endpoint or not ticket:
            return Outcome("dropped", "the gateway gave no endpoint")
        return str(endpoint), str(ticket)

    async def _connect_once(self, http: aiohttp.ClientSession, backoff: Backoff) -> Outcome:
        self.status = "connecting"
        opened = await self._open(http)
        if isinstance(opened, Outcome):
            return opened
        endpoint, ticket = opened
        try:  # a ticket opens one connection, within 90 s: used at once, never kept
            ws = await http.ws_connect(f"{endpoint}?ticket={quote_plus(ticket)}", autoping=True,
                                       heartbeat=self.settings.channel_heartbeat_seconds)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            return Outcome("dropped", f"cannot open the stream: {exc or type(exc).__name__}")
        self._ws = ws
        backoff.reset()
        self.status = "connected"
        self._ready.set()
        if self.monitor is not None:
            self.monitor.heard(CHANNEL)
        log.info("dingtalk: stream connected")
        alive = asyncio.create_task(self._alive(ws), name="dingtalk-alive")
        try:
            rotate = await self._read(ws)
        finally:
            alive.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await alive
            await ws.close()
            self._ws = None
        if self._stop.is_set():
            return Outcome("stopped", "stopped")
        if rotate:
            return Outcome("rotate", "the gateway asked to reconnect (disconnect)")
        return Outcome("dropped", f"connection closed ({ws.close_code or 'no close frame'})")

    async def _alive(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """While the socket stands it is heard from: aiohttp pings it every heartbeat and closes it when
        no pong comes (DingTalk's own SYSTEM pings come as it pleases)."""
        while not ws.closed:
            if self.monitor is not None:
                self.monitor.heard(CHANNEL)
            await asyncio.sleep(self.settings.channel_heartbeat_seconds)

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> bool:
        """Frames until the socket closes; True when the gateway asked us to move (``disconnect``)."""
        async for message in ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            try:
                got = json.loads(message.data)
            except ValueError:
                continue
            if not isinstance(got, dict):
                continue
            headers = got.get("headers") if isinstance(got.get("headers"), dict) else {}
            message_id = str(headers.get("messageId") or "")
            topic = headers.get("topic")
            if got.get("type") == "SYSTEM":
                if topic == "ping":
                    await ws.send_str(ack(message_id, str(got.get("data") or "{}")))
                    if self.monitor is not None:
                        self.monitor.heard(CHANNEL)
                elif topic == "disconnect":
                    return True
                continue
            await ws.send_str(ack(message_id))  # acknowledged before any work
            if got.get("type") == "CALLBACK" and topic == ROBOT_TOPIC:
                raw = got.get("data")
                try:
                    data = raw if isinstance(raw, dict) else json.loads(str(raw or "{}"))
                except ValueError:
                    continue
                if isinstance(data, dict):
                    self._background.spawn(self._on_message(data))
        return False

    # -- messages in --------------------------------------------------------------------------------

    async def _on_message(self, data: dict) -> None:
        msg_id = str(data.get("msgId") or "")
        if not msg_id:
            return
        group = str(data.get("conversationType")) == "2"
        if group and not data.get("isInAtList"):
            return  # in a group only a message that @mentions the bot is for it
        if not await self.identities.first_delivery(CHANNEL, msg_id):
            log.info("dingtalk: message %s delivered again; answered once", msg_id)
            return
        # senderStaffId is absent until the app is published (and for outsiders): then the encrypted senderId
        user = str(data.get("senderStaffId") or data.get("senderId") or "") or None
        chat = str(data.get("conversationId") or "") if group else user
        if not chat:
            return
        text = strip_mention(text_of(data), self.settings.dingtalk_bot_name)
        if not text:
            return
        where = Conversation(chat, user, group, str(data.get("sessionWebhook") or "") or None,
                             number(data.get("sessionWebhookExpiredTime")))
        incoming = Incoming(CHANNEL, chat, user, group, text, name=str(data.get("senderNick") or user or ""))
        command = text.split(maxsplit=1)
        if command and command[0].lower() in ("/press", "／press") and len(command) > 1:
            replies = await self.service.press(incoming, command[1])
        else:
            replies = await self.service.message(incoming)
        await self.send(replies, where)

    # -- messages out -------------------------------------------------------------------------------

    def usable_webhook(self, where: Conversation) -> str | None:
        """A session webhook only on the configured OAPI host (the URL comes in the frame) and unexpired."""
        if not where.webhook or not where.webhook.startswith(f"{self.oapi}/"):
            return None
        if where.expires_ms and where.expires_ms / 1000 < time.time() + 5:
            return None
        return where.webhook

    async def send(self, replies: list[Reply], where: Conversation) -> None:
        for reply in replies:
            markdown = html_to_markdown(reply.html, DINGTALK) if reply.html else ""
            if reply.file is not None:
                if markdown:
                    await self._post_markdown(where, markdown, [])
                await self._send_file(where, reply.filename or "file", reply.file)
                continue
            pieces = split_markdown(markdown, DINGTALK)
            for i, piece in enumerate(pieces):
                await self._post_markdown(where, piece, buttons_of(reply.buttons) if i == len(pieces) - 1 else [])

    async def _post_markdown(self, where: Conversation, text: str, buttons: list[Button]) -> None:
        await self.pace.turn(where.chat)
        title = plain_title(text) or "reportqa"
        webhook = self.usable_webhook(where)
        if webhook is not None:
            if buttons:
                body = {"msgtype": "actionCard", "actionCard": {
                    "title": title, "text": text, "btnOrientation": "0",
                    "btns": [{"title": b.label, "actionURL": dtmd(b)} for b in buttons]}}
            else:
                body = {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
            await self._post(webhook, body)
            return
        await self._push(where, *self._card_param(title, text, buttons))

    @staticmethod
    def _card_param(title: str, text: str, buttons: list[Button]) -> tuple[str, dict]:
        """An OpenAPI message: markdown, or an ActionCard of up to five buttons (sampleActionCard2..5)."""
        shown = buttons[:ACTION_CARD_BUTTONS]
        if not shown:
            return "sampleMarkdown", {"title": title, "text": text}
        if len(shown) == 1:
            return "sampleActionCard", {"title": title, "text": text, "singleTitle": shown[0].label,
                                        "singleURL": dtmd(shown[0])}
        param: dict[str, str] = {"title": title, "text": text}
        for i, b in enumerate(shown, start=1):
            param[f"actionTitle{i}"], param[f"actionURL{i}"] = b.label, dtmd(b)
        return f"sampleActionCard{len(shown)}", param

    async def _post(self, url: str, body: dict, headers: dict | None = None) -> dict:
        http = self._http
        if http is None:
            raise ConnectionError("not running")
        async with http.post(url, json=body, headers=headers or {}) as response:
            try:
                answer = await response.json(content_type=None)
            except ValueError:
                answer = {}
            if response.status != 200 or (isinstance(answer, dict) and number(answer.get("errcode"))):
                log.warning("dingtalk: %s answered %s %.200s", url.split("?")[0], response.status, answer)
                if response.status >= 500 or response.status == 429:
                    raise ConnectionError(f"{response.status}")
            return answer if isinstance(answer, dict) else {}

    async def token(self) -> str:
        """The app's access token (cached until five minutes before it expires)."""
        if self._token is not None and self._token[1] > time.time():
            return self._token[0]
        secret = self.settings.dingtalk_client_secret.get_secret_value() if self.settings.dingtalk_client_secret else ""
        answer = await self._post(f"{self.api}/v1.0/oauth2/accessToken",
                                  {"appKey": self.settings.dingtalk_client_id, "appSecret": secret})
        token = str(answer.get("accessToken") or "")
        if not token:
            raise ConnectionError("no access token (wrong client id or secret?)")
        self._token = (token, time.time() + (number(answer.get("expireIn")) or 7200) - 300)
        return token

    async def _push(self, where: Conversation, msg_key: str, param: dict) -> None:
        """A message through the OpenAPI: into a group, or to one user (no session webhook needed)."""
        headers = {"x-acs-dingtalk-access-token": await self.token()}
        body: dict[str, Any] = {"robotCode": self.settings.dingtalk_client_id, "msgKey": msg_key,
                                "msgParam": json.dumps(param, ensure_ascii=False)}
        if where.group:
            await self._post(f"{self.api}/v1.0/robot/groupMessages/send", {**body, "openConversationId": where.chat},
                             headers)
        else:
            await self._post(f"{self.api}/v1.0/robot/oToMessages/batchSend", {**body, "userIds": [where.chat]},
                             headers)

    async def _send_file(self, where: Conversation, filename: str, data: bytes) -> None:
        """📎 / 📊: uploaded, then sent as a file message (a type DingTalk does not send goes zipped)."""
        kind = filename.rpartition(".")[2].lower()
        if kind not in SENDABLE_FILES:
            data, filename, kind = zipped(filename, data), f"{filename}.zip", "zip"
        http = self._http
        if http is None:
            raise ConnectionError("not running")
        form = aiohttp.FormData()
        form.add_field("type", "file")
        form.add_field("media", data, filename=filename, content_type="application/octet-stream")
        async with http.post(f"{self.oapi}/media/upload", params={"access_token": await self.token(), "type": "file"},
                             data=form) as response:
            answer = await response.json(content_type=None)
        media_id = str(answer.get("media_id") or "") if isinstance(answer, dict) else ""
        if not media_id:
            log.warning("dingtalk: upload of %s refused: %.200s", filename, answer)
            return
        await self.pace.turn(where.chat)
        await self._push(where, "sampleFile", {"mediaId": media_id, "fileName": filename, "fileType": kind})

    # -- subscription notices -----------------------------------------------------------------------

    async def deliver(self, queued: Queued) -> Delivery:
        note = queued.notification
        native = await self.identities.native(note.chat_id)
        if native is None:
            return Delivery("refused", "unknown chat")
        if self._http is None:
            return Delivery("later", "not running")
        where = Conversation(native.native, None, native.kind == "group", None, 0)
        try:
            await self.send([Reply(note.text, markup_rows(note.markup))], where)
        except (aiohttp.ClientError, OSError, TimeoutError, ConnectionError) as exc:
            return Delivery("later", str(exc) or type(exc).__name__)
        return Delivery("sent")


def zipped(filename: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(filename.rpartition("/")[2] or "file", data)
    return buffer.getvalue()
