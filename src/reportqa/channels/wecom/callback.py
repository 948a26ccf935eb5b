"""WeCom 自建应用 in callback mode: WeCom posts each message a user sends the app, signed and
AES-encrypted, to ``REPORTQA_WECOM_CALLBACK_PATH`` on this process; it is acknowledged at once (200, an
empty body: no passive reply, no retry) and answered in the background through the API
(``REPORTQA_WECOM_API_URL``: ``gettoken``, ``message/send``, ``media/upload``). See
../notes/im-protocols.md §2.

- The URL check (a GET when the admin console saves the URL): the signature checked, ``echostr``
  decrypted and written back as it is (no quotes, no newline).
- A POST whose signature, encryption or CorpID is not ours is refused (403) and nothing is done.
- WeCom retries a post it got no 200 for within 5 s, three times: each ``MsgId`` (an event: its user,
  time and key) is answered once.
- An app receives private chats only; buttons are template cards whose clicks come back as
  ``template_card_event``. Text and markdown are at most 2048 bytes (DOC-90236): longer replies are sent
  in pieces. The API drops (silently) more than 30 messages a minute to one member: replies are paced.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import replace
from typing import Any

import aiohttp
from aiohttp import web
from lxml import etree

from reportqa.channels.wecom.aibot import cards
from reportqa.channels.wecom.crypto import CryptoError, WeComCrypto
from reportqa.conversations.identity import Identities
from reportqa.conversations.links import Background, ChatPace, number, tls_context
from reportqa.conversations.monitor import Monitor
from reportqa.conversations.news import Delivery
from reportqa.conversations.service import ChatService, Incoming, Reply
from reportqa.conversations.subscriptions import Queued
from reportqa.present.actions import markup_rows
from reportqa.present.markdown import WECOM, html_to_markdown, plain_title, split_markdown
from reportqa.settings import Settings

log = logging.getLogger(__name__)
CHANNEL = "wecom-app"
APP_MARKDOWN = replace(WECOM, name="wecom-app", limit=2048)  # message/send: "最长不超过2048个字节"
MAX_BODY = 1024 * 1024  # a callback is a few hundred bytes
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)


def xml_fields(text: bytes | str) -> dict[str, str]:
    """The top-level fields of a callback's XML (entities never resolved, nothing fetched)."""
    root = etree.fromstring(text.encode() if isinstance(text, str) else text, _PARSER)
    return {child.tag: (child.text or "") for child in root if isinstance(child.tag, str)}


class WeComAppChannel:
    """The HTTP callback of one WeCom app, and the outlet of its subscription notices."""

    platform = CHANNEL

    def __init__(self, settings: Settings, service: ChatService, monitor: Monitor | None = None) -> None:
        def secret(value: Any) -> str:
            return value.get_secret_value() if value is not None else ""

        self.settings = settings
        self.service = service
        self.identities: Identities = service.identities
        self.monitor = monitor
        self.crypto = WeComCrypto(secret(settings.wecom_callback_token), secret(settings.wecom_encoding_aes_key),
                                  settings.wecom_corp_id or "")
        self.api = settings.wecom_api_url.rstrip("/")
        self.pace = ChatPace(settings.wecom_messages_per_minute)
        self.port: int | None = None
        self.status = "starting"
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self._token: tuple[str, float] | None = None
        self._stop = asyncio.Event()
        self._background = Background("wecom app: a callback")

    async def run(self) -> None:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_get(self.settings.wecom_callback_path, self._verify)
        app.router.add_post(self.settings.wecom_callback_path, self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.wecom_callback_listen, self.settings.wecom_callback_port)
        connector = aiohttp.TCPConnector(ssl=tls_context(self.settings.wecom_ca_file))
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60), connector=connector) as http:
            self._http = http
            try:
                await site.start()
                server = site._server
                self.port = server.sockets[0].getsockname()[1] if server and server.sockets else None  # type: ignore[union-attr]
                self.status = "listening"
                log.info("wecom app: callbacks at http://%s:%s%s", self.settings.wecom_callback_listen, self.port,
                         self.settings.wecom_callback_path)
                await self._stop.wait()
            finally:
                await self._runner.cleanup()
                self._http = None

    async def stop(self) -> None:
        self._stop.set()
        await self._background.cancel()

    # -- callbacks in -----------------------------------------------------------------------------

    async def _verify(self, request: web.Request) -> web.Response:
        """The admin console's URL check: the decrypted ``echostr``, as it is."""
        q = request.query
        echo = q.get("echostr", "")
        try:
            self.crypto.check(q.get("msg_signature", ""), q.get("timestamp", ""), q.get("nonce", ""), echo)
            plain = self.crypto.decrypt(echo)
        except CryptoError as exc:
            log.warning("wecom app: a URL check refused: %s", exc)
            return web.Response(status=403)
        return web.Response(text=plain, content_type="text/plain")

    async def _receive(self, request: web.Request) -> web.Response:
        """Checked and decrypted, then acknowledged at once (200, empty); answered in the background."""
        q = request.query
        try:
            outer = xml_fields(await request.read())
            encrypted = outer.get("Encrypt", "")
            self.crypto.check(q.get("msg_signature", ""), q.get("timestamp", ""), q.get("nonce", ""), encrypted)
            fields = xml_fields(self.crypto.decrypt(encrypted))
        except (CryptoError, etree.XMLSyntaxError, ValueError) as exc:
            log.warning("wecom app: a callback refused: %s", exc)
            return web.Response(status=403)
        self._background.spawn(self._handle(fields))
        return web.Response(status=200, text="")

    async def _handle(self, fields: dict[str, str]) -> None:
        user = fields.get("FromUserName", "")
        kind = fields.get("MsgType", "")
        if not user:
            return
        if kind == "text":
            key = fields.get("MsgId") or f"{user}:{fields.get('CreateTime', '')}"
            if not await self.identities.first_delivery(CHANNEL, key):
                log.info("wecom app: message %s delivered again; answered once", key)
                return
            incoming = Incoming(CHANNEL, user, user, False, fields.get("Content", "").strip(), name=user)
            await self.send(await self.service.message(incoming), user)
        elif kind == "event" and fields.get("Event") == "template_card_event":
            key = f"{user}:{fields.get('CreateTime', '')}:{fields.get('EventKey', '')}"  # events carry no MsgId
            if not await self.identities.first_delivery(CHANNEL, key):
                return
            replies = await self.service.press(Incoming(CHANNEL, user, user, False, name=user),
                                               fields.get("EventKey", ""))
            await self.send(replies, user)

    # -- messages out -----------------------------------------------------------------------------

    async def token(self) -> str:
        if self._token is not None and self._token[1] > time.time():
            return self._token[0]
        secret = self.settings.wecom_app_secret.get_secret_value() if self.settings.wecom_app_secret else ""
        answer = await self._call("GET", "/cgi-bin/gettoken", params={"corpid": self.settings.wecom_corp_id or "",
                                                                       "corpsecret": secret}, token=False)
        token = str(answer.get("access_token") or "")
        if not token:
            note = f"wrong corp id or app secret (errcode {answer.get('errcode')}: {answer.get('errmsg', '')})"
            if self.monitor is not None:
                self.monitor.trouble(CHANNEL, note)
            raise ConnectionError(note)
        self._token = (token, time.time() + (number(answer.get("expires_in")) or 7200) - 300)
        return token

    async def _call(self, method: str, path: str, *, params: dict | None = None, body: Any = None,
                    token: bool = True) -> dict:
        http = self._http
        if http is None:
            raise ConnectionError("not running")
        query = dict(params or {})
        for _ in range(2):  # an expired token (42001) or an invalid one (40014): fetched again once
            if token:
                query["access_token"] = await self.token()
            kwargs: dict[str, Any] = {"params": query}
            if isinstance(body, aiohttp.FormData):
                kwargs["data"] = body
            elif body is not None:
                kwargs["data"] = json.dumps(body, ensure_ascii=False).encode()
                kwargs["headers"] = {"Content-Type": "application/json"}
            async with http.request(method, f"{self.api}{path}", **kwargs) as response:
                answer = await response.json(content_type=None)
            code = number(answer.get("errcode")) if isinstance(answer, dict) else -1
            if token and code in (40014, 42001):
                self._token = None
                continue
            if code:
                log.warning("wecom app: %s answered errcode %s %s", path, code, answer.get("errmsg", ""))
            return answer if isinstance(answer, dict) else {}
        return {}

    async def _message(self, user: str, body: dict) -> None:
        await self.pace.turn(user)
        await self._call("POST", "/cgi-bin/message/send",
                         body={"touser": user, "agentid": self.settings.wecom_agent_id, **body})

    async def send(self, replies: list[Reply], user: str) -> None:
        for reply in replies:
            markdown = html_to_markdown(reply.html, APP_MARKDOWN) if reply.html else ""
            for piece in split_markdown(markdown, APP_MARKDOWN) if markdown else []:
                await self._message(user, {"msgtype": "markdown", "markdown": {"content": piece}})
            if reply.file is not None:
                form = aiohttp.FormData()
                form.add_field("media", reply.file, filename=reply.filename or "file",
                               content_type="application/octet-stream")
                answer = await self._call("POST", "/cgi-bin/media/upload", params={"type": "file"}, body=form)
                if answer.get("media_id"):
                    await self._message(user, {"msgtype": "file", "file": {"media_id": answer["media_id"]}})
                continue
            for card in cards(reply.buttons, plain_title(markdown)):
                await self._message(user, {"msgtype": "template_card", "template_card": card})

    async def deliver(self, queued: Queued) -> Delivery:
        note = queued.notification
        native = await self.identities.native(note.chat_id)
        if native is None:
            return Delivery("refused", "unknown chat")
        try:
            await self.send([Reply(note.text, markup_rows(note.markup))], native.native)
        except (aiohttp.ClientError, OSError, TimeoutError, ConnectionError) as exc:
            return Delivery("later", str(exc) or type(exc).__name__)
        return Delivery("sent")
