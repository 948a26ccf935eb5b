"""A fake Telegram Bot API server on 127.0.0.1 for end-to-end tests of the real Application.

It serves ``getUpdates`` by offset (updates stay until a later offset confirms them), answers a
long poll as soon as an update arrives or its timeout (capped) passes, releases pending polls on
shutdown, and records every other call so tests can assert what the bot sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_USER = {"id": 999, "is_bot": True, "first_name": "ReportQA", "username": "reportqa_bot",
            "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": True}
STRING_PARAMS = {"text", "query", "callback_query_id", "inline_query_id", "parse_mode", "next_offset",
                 "switch_pm_text", "switch_pm_parameter", "caption", "language_code", "file_id", "action"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.perf_counter)


def buttons(call: Call) -> list[dict]:
    """The inline buttons a sent message carries, row after row."""
    markup = call.params.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def callback_of(call: Call, prefix: str) -> str:
    """The callback data of the first button whose data starts with ``prefix``."""
    return next(b["callback_data"] for b in buttons(call) if b.get("callback_data", "").startswith(prefix))


def _decode(name: str, value: str) -> Any:
    if name in STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


class FakeTelegram:
    def __init__(self, token: str = "123456:TEST-token") -> None:
        self.token = token
        self.updates: list[dict] = []
        self.calls: list[Call] = []
        self.files: dict[str, bytes] = {}  # file_id → content, served by getFile + /file/bot…
        self.downloads: list[str] = []
        self.get_updates_offsets: list[int] = []  # the offset of every getUpdates call
        self.uploads: list[tuple[str, bytes]] = []  # (file name, content) of every file the bot uploaded
        self.chat_admins: set[tuple[int, int]] = set()  # (chat id, user id) pairs getChatMember calls admins
        # chat id → error codes its next sendMessage calls get, in order (429: flood control, retry in 1 s)
        self.send_errors: dict[int, list[int]] = {}
        # method → what its next calls get, in order: an HTTP error code (429: retry after 1 s), "slow" (the
        # call done, its answer trickled a byte at a time for ``slow_seconds``), "garbage" (200 with a result
        # that is not what was asked for), "html" (200 with a proxy's HTML page)
        self.faults: dict[str, list[int | str]] = {}
        self.slow_seconds = 4.0
        self.webhook_url = ""  # what setWebhook set (getWebhookInfo tells it)
        self._next_file = 1
        self._next_update = 1
        self._next_message = 5000
        self._changed = asyncio.Condition()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- server ---------------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        self._closing = True
        async with self._changed:
            self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        form = await request.post()
        params = {k: _decode(k, v) for k, v in form.items() if isinstance(v, str)}
        for name, value in form.items():
            if isinstance(value, web.FileField):  # an upload (sendDocument with the file itself)
                params[name] = {"upload": value.filename}
                self.uploads.append((value.filename, value.file.read()))
        if self.faults.get(method):
            return await self._fault(request, method, params, self.faults[method].pop(0))
        if method == "sendMessage" and self.send_errors.get(params.get("chat_id")):
            code = self.send_errors[params["chat_id"]].pop(0)
            body: dict[str, Any] = {"ok": False, "error_code": code, "description": f"injected {code}"}
            if code == 429:
                body["parameters"] = {"retry_after": 1}
                body["description"] = "Too Many Requests: retry after 1"
            return web.json_response(body, status=code)
        if method != "getUpdates":
            self.calls.append(Call(method, params))
            async with self._changed:
                self._changed.notify_all()
        result = await self._result(method, params)
        return web.json_response({"ok": True, "result": result})

    async def _fault(self, request: web.Request, method: str, params: dict[str, Any],
                     fault: int | str) -> web.StreamResponse:
        if isinstance(fault, int):
            body: dict[str, Any] = {"ok": False, "error_code": fault, "description": f"injected {fault}"}
            if fault == 429:
                body["parameters"] = {"retry_after": 1}
            return web.json_response(body, status=fault)
        if method == "getUpdates":
            self.get_updates_offsets.append(int(params.get("offset") or 0))
        if fault == "garbage":
            return web.json_response({"ok": True, "result": "not what was asked for"})
        if fault == "html":
            return web.Response(text="<html><body>502 Bad Gateway</body></html>", content_type="text/html")
        # "slow": done, but its answer trickles in
        if method != "getUpdates":
            self.calls.append(Call(method, params))
        result = [] if method == "getUpdates" else await self._result(method, params)
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        deadline = time.monotonic() + self.slow_seconds
        with contextlib.suppress(ConnectionError, RuntimeError):
            while time.monotonic() < deadline and not self._closing:
                await response.write(b" ")
                await asyncio.sleep(0.25)
            await response.write(json.dumps({"ok": True, "result": result}).encode())
            await response.write_eof()
        return response

    async def _download(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        file_id = path.rsplit("/", 1)[-1]
        if request.match_info["token"] != self.token or file_id not in self.files:
            return web.Response(status=404)
        self.downloads.append(file_id)
        return web.Response(body=self.files[file_id])

    async def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "getFile":
            file_id = str(params.get("file_id"))
            data = self.files.get(file_id, b"")
            return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(data),
                    "file_path": f"documents/{file_id}"}
        if method == "getUpdates":
            return await self._get_updates(params)
        if method == "setWebhook":
            self.webhook_url = str(params.get("url", ""))
            return True
        if method == "deleteWebhook":
            self.webhook_url = ""
            return True
        if method == "getWebhookInfo":
            return {"url": self.webhook_url, "has_custom_certificate": False, "pending_update_count": 0}
        if method == "getChatMember":
            member = {"id": int(params.get("user_id", 0)), "is_bot": False, "first_name": "member"}
            if (int(params.get("chat_id", 0)), member["id"]) in self.chat_admins:
                return {"status": "creator", "user": member, "is_anonymous": False}
            return {"status": "member", "user": member}
        if method in {"sendMessage", "editMessageText", "sendDocument"}:
            self._next_message += 1
            chat_id = params.get("chat_id", 0)
            sent: dict[str, Any] = {
                "message_id": params.get("message_id", self._next_message),
                "date": int(time.time()),
                "chat": {"id": chat_id,
                         "type": "private" if isinstance(chat_id, int) and chat_id > 0 else "supergroup"},
                "from": BOT_USER,
            }
            if "message_thread_id" in params:  # a forum topic: the bot's message is in it too
                sent.update(message_thread_id=params["message_thread_id"], is_topic_message=True)
            if method == "sendDocument":
                document = params.get("document")
                file_id = document if isinstance(document, str) else f"doc{self._next_file}"
                self._next_file += 1
                sent["document"] = {"file_id": file_id, "file_unique_id": f"u{file_id}",
                                    "file_name": (document or {}).get("upload", "file") if isinstance(document, dict)
                                    else "file"}
                sent["caption"] = params.get("caption", "")
            else:
                sent["text"] = params.get("text", "")
            return sent
        return True  # setMyCommands, deleteWebhook, answerCallbackQuery, answerInlineQuery, …

    async def _get_updates(self, params: dict[str, Any]) -> list[dict]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        self.get_updates_offsets.append(offset)
        async with self._changed:
            self._changed.notify_all()
        timeout = min(float(params.get("timeout") or 0), 1.0)
        if offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        deadline = time.monotonic() + timeout
        async with self._changed:
            while not self._closing:
                pending = [u for u in self.updates if u["update_id"] >= offset]
                remaining = deadline - time.monotonic()
                if pending or remaining <= 0:
                    return pending[:limit]
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), remaining)
        return []

    # -- what tests use -------------------------------------------------------------------------

    async def push(self, update: dict) -> int:
        update = {"update_id": self._next_update, **update}
        self._next_update += 1
        self.updates.append(update)
        async with self._changed:
            self._changed.notify_all()
        return update["update_id"]

    def sent(self, method: str | None = None) -> list[Call]:
        return [c for c in self.calls if method is None or c.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 15.0) -> list[Call]:
        """Wait until the bot has made ``count`` calls of ``method`` in all; return them."""
        deadline = time.monotonic() + timeout
        async with self._changed:
            while len(self.sent(method)) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out waiting for {count} × {method}; calls: "
                                         f"{[c.method for c in self.calls]}")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), remaining)
        return self.sent(method)


    async def wait_for_polls(self, count: int, timeout: float = 15.0) -> None:
        """Wait until the bot has called getUpdates ``count`` times in all."""
        deadline = time.monotonic() + timeout
        async with self._changed:
            while len(self.get_updates_offsets) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"only {len(self.get_updates_offsets)} getUpdates calls")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), remaining)


# -- update builders --------------------------------------------------------------------------

_message_ids = iter(range(1, 10**9))


def user(user_id: int = 1, language: str = "zh-hans") -> dict:
    return {"id": user_id, "is_bot": False, "first_name": f"user{user_id}", "language_code": language}


def message(text: str, *, chat_id: int = 1, user_id: int = 1, chat_type: str = "private",
            language: str = "zh-hans", entities: list[dict] | None = None, reply_to: dict | None = None,
            topic: int | None = None) -> dict:
    chat = {"id": chat_id, "type": chat_type}
    if chat_type != "private":
        chat["title"] = "法治办工作群"
    body: dict[str, Any] = {"message_id": next(_message_ids), "date": int(time.time()), "chat": chat,
                            "from": user(user_id, language), "text": text}
    if text.startswith("/"):
        command = text.split()[0]
        body["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    if entities:
        body["entities"] = entities
    if reply_to:
        body["reply_to_message"] = reply_to
    if topic is not None:  # a message in a forum topic of a supergroup
        body.update(message_thread_id=topic, is_topic_message=True)
    return {"message": body}


def document(file_name: str, *, file_id: str, size: int, user_id: int = 1, chat_id: int = 1,
             chat_type: str = "private", mime_type: str = "application/octet-stream") -> dict:
    """A message carrying a file (its bytes go in ``FakeTelegram.files[file_id]``)."""
    chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
    if chat_type != "private":
        chat["title"] = "法治办工作群"
    return {"message": {"message_id": next(_message_ids), "date": int(time.time()), "chat": chat,
                        "from": user(user_id), "document": {"file_id": file_id, "file_unique_id": f"u{file_id}",
                                                            "file_name": file_name, "mime_type": mime_type,
                                                            "file_size": size}}}


def bot_message(text: str = "…", *, chat_id: int = 1, chat_type: str = "private", message_id: int = 777) -> dict:
    return {"message_id": message_id, "date": int(time.time()), "chat": {"id": chat_id, "type": chat_type},
            "from": BOT_USER, "text": text}


def callback(data: str, *, user_id: int = 1, chat_id: int = 1, message_id: int = 777,
             chat_type: str = "private", topic: int | None = None, language: str = "zh-hans") -> dict:
    pressed_on = bot_message(chat_id=chat_id, message_id=message_id, chat_type=chat_type)
    if topic is not None:
        pressed_on.update(message_thread_id=topic, is_topic_message=True)
    return {"callback_query": {"id": f"cb{next(_message_ids)}", "from": user(user_id, language), "chat_instance": "ci",
                               "data": data, "message": pressed_on}}


def inline_query(query: str, *, user_id: int = 1, offset: str = "", language: str = "zh-hans") -> dict:
    return {"inline_query": {"id": f"iq{next(_message_ids)}", "from": user(user_id, language), "query": query,
                             "offset": offset}}


def chosen_inline_result(result_id: str, query: str, *, user_id: int = 1) -> dict:
    """What Telegram sends when a user picks an inline result (BotFather's /setinlinefeedback on)."""
    return {"chosen_inline_result": {"result_id": result_id, "from": user(user_id), "query": query}}
