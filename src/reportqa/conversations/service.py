"""The bot as any messenger runs it: a message or a button press from a platform's chat and user in,
neutral replies out (Telegram HTML, buttons, files), which each channel draws in its own markup.

WeCom and DingTalk call ``ChatService.message`` and ``ChatService.press``; the answer turn, paging and
export are the ones Telegram's handlers run too (``asking.py``), the buttons the ones every channel
shows (``present/actions.py``), the words the one catalog's (``present/catalog.py``). Chats and users
come with the ids their platform gives; ``identity.py`` turns them into the integer ids the state
database keys them by, in a range of that platform's own, so a WeCom chat's sessions, scope,
conversation and subscriptions are never a Telegram chat's, and a button's session is honoured only in
the chat it was answered in.

What this service does not know: who administers a group on the platform (changing a group's scope or
subscriptions is for the bot's administrators, ``REPORTQA_<PLATFORM>_ADMINS``), and inline mode,
library uploads and ``/stats`` (Telegram's own).
"""

from __future__ import annotations

import asyncio
import difflib
import hashlib
import logging
import os
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path

from reportqa.answers.question import clean_question
from reportqa.answers.reading import reading
from reportqa.answers.unit_page import unit_of, unit_page, units_among
from reportqa.conversations import asking
from reportqa.conversations.access import AccessPolicy, InFlight, RateLimiter
from reportqa.conversations.access_log import RefusalLog, refusal_now
from reportqa.conversations.asking import Asker
from reportqa.conversations.chat_settings import MayChange, scope_reply, subscribe_reply, unsubscribe_reply
from reportqa.conversations.followup_store import ConversationStore
from reportqa.conversations.identity import Identities
from reportqa.conversations.monitor import Monitor
from reportqa.conversations.news import Newsroom
from reportqa.conversations.state import REASONS, BotState, Session
from reportqa.conversations.state_db import StateUnavailable
from reportqa.conversations.subscriptions import SubscriptionStore
from reportqa.conversations.turns import turn_messages
from reportqa.conversations.votes import cast_vote, give_reason, pick_target
from reportqa.domain.lang import Lang, lang_of
from reportqa.domain.text import normalise
from reportqa.errors import IndexDamaged
from reportqa.ingest.library_files import NotInLibrary, open_in_library
from reportqa.present.actions import (
    MAX_ID,
    Button,
    Rows,
    answer_buttons,
    file_buttons,
    parse_callback,
    reason_buttons,
    subscription_buttons,
    target_buttons,
    unit_page_buttons,
    units_buttons,
)
from reportqa.present.catalog import say
from reportqa.present.library_lines import chunk_lines, units_by_region_lines, units_named_lines, years_html
from reportqa.present.render import (
    TELEGRAM_LIMIT,
    citation,
    esc,
    render_answer_html,
    render_outline_html,
    render_passage_html,
    render_unit_page_html,
    short,
    source_label,
    telegram_length,
)
from reportqa.retrieval.searcher import ReportInfo, SearchIndex
from reportqa.retrieval.serving import IndexHolder
from reportqa.settings import Settings

log = logging.getLogger(__name__)
PRESS_COMMAND = "press"  # /press pg:abc:3 — what a DingTalk button sends back as a message
COMMANDS = ("help", "start", "ask", "whoami", "scope", "subscribe", "subscriptions", "unsubscribe", "unit",
            "units", "years", PRESS_COMMAND)

HELP = {
    "zh": ("<b>法治政府建设报告问答</b>\n"
           "直接发送问题即可，例如：\n"
           "• 哪些单位在2021年开展了执法培训\n"
           "• 玉龙镇公共服务中心有多少个窗口\n"
           "也可以用英文提问：which units hired legal advisers\n\n"
           "每条结果注明单位、年度、日期和章节；按钮可翻页、查看全文、目录、📎 原文文件、📊 导出，"
           "👍/👎 告诉我答得对不对。追问可接着上一个问题：那2023年呢、第二条详细说说、还有吗。\n"
           "在群里：@我 再提问。\n"
           "/scope 大足区：此后的问题只在这个范围内回答，/scope off 取消（群里由管理员设置）。\n"
           "/subscribe 执法培训：收录的新报告中有相关内容时通知本聊天；/subscriptions 查看，/unsubscribe 编号 退订。\n"
           "/units 单位列表 · /years 年度 · /unit 名称 某单位的报告 · /whoami 我的 ID"),
    "en": ("<b>Q&amp;A over government work reports (法治政府建设情况报告)</b>\n"
           "Send a question, for example:\n"
           "• which units held enforcement training in 2021\n"
           "• 哪些单位聘请了法律顾问\n"
           "Answers are the reports' own passages, each cited with unit, year, date and section; buttons page "
           "through results, show the full section, the outline, send 📎 the report file or 📊 the whole answer; "
           "👍/👎 tell me whether the answer was right. Follow-ups refine the last question: and 2023?\n"
           "In groups: mention me, then the question.\n"
           "/scope 大足区: later questions are answered within it, /scope off ends it (in groups administrators "
           "set it).\n"
           "/subscribe 执法培训: be told here when new reports answer it; /subscriptions to see them, "
           "/unsubscribe N to end one.\n"
           "/units units · /years years · /unit name that unit's reports · /whoami my ids"),
}


@dataclass(frozen=True)
class Incoming:
    """A message or a press as a platform delivers it: its chat (a group's id, or in a private chat
    the user's), its user, whether the chat is a group, the text (a group's mention of the bot
    already taken out), the user's own language where the platform says it, and a name for the log."""

    platform: str
    chat: str
    user: str | None
    group: bool
    text: str = ""
    user_english: bool = False
    name: str = ""


@dataclass(frozen=True)
class Reply:
    """One message to send: Telegram-subset HTML (``present/markdown.py`` draws it for the platform)
    with its buttons, or a file with a caption."""

    html: str = ""
    buttons: Rows = field(default_factory=list)
    file: bytes | None = None
    filename: str | None = None


def _text(key: str, lang: Lang, **values: object) -> Reply:
    return Reply(esc(say(key, lang, **values)))


@dataclass
class ChatService:
    """The bot for the messengers with string ids (WeCom, DingTalk), on the same core as Telegram."""

    settings: Settings
    holder: IndexHolder
    state: BotState
    conversations: ConversationStore
    subscriptions: SubscriptionStore
    identities: Identities
    newsroom: Newsroom
    policies: dict[str, AccessPolicy]
    limiter: RateLimiter
    exports: InFlight = field(default_factory=InFlight)
    refusals: RefusalLog | None = None
    monitor: Monitor | None = None

    # -- who ----------------------------------------------------------------------------------

    async def asker(self, incoming: Incoming) -> Asker:
        chat_id = await self.identities.id_of(incoming.platform, "group" if incoming.group else "chat", incoming.chat)
        user_id = await self.identities.id_of(incoming.platform, "user", incoming.user) if incoming.user else None
        kind = "group" if incoming.group else "private"
        return Asker(chat_id, user_id, incoming.group, f"{incoming.platform}:{kind}", incoming.user_english,
                     incoming.platform)

    def policy(self, incoming: Incoming) -> AccessPolicy:
        return self.policies.get(incoming.platform, AccessPolicy())

    def insider(self, incoming: Incoming) -> bool:
        return self.policy(incoming).allows(incoming.user, incoming.chat if incoming.group else None)

    def is_admin(self, incoming: Incoming) -> bool:
        return self.policy(incoming).is_admin(incoming.user)

    def may_change_chat(self, incoming: Incoming) -> bool:
        """A private chat's settings are its user's; a group's are the bot's administrators'."""
        return not incoming.group or self.is_admin(incoming)

    def id_lines(self, incoming: Incoming, lang: Lang) -> list[str]:
        lines = [say("id_user", lang, user_id=incoming.user)] if incoming.user else []
        if incoming.group:
            lines.append(say("id_chat", lang, chat_id=incoming.chat))
        return lines

    async def refuse(self, incoming: Incoming, asker: Asker, what: str) -> list[Reply]:
        """The one refusal an outsider gets, with their own ids; the attempt logged for /stats."""
        lang = lang_of(incoming.user_english)
        if self.monitor is not None:
            self.monitor.refused(incoming.platform)
        if self.refusals is not None and asker.user_id is not None:
            await self.refusals.record(refusal_now(asker.user_id, asker.chat_id, asker.chat_kind, what,
                                                   incoming.name or incoming.user))
        lines = [say("refused", lang), say("refused_ids", lang), *self.id_lines(incoming, lang)]
        return [Reply(esc("\n".join(lines)))]

    # -- messages -----------------------------------------------------------------------------

    async def message(self, incoming: Incoming) -> list[Reply]:
        """A message: a command, or a question (or a follow-up of the chat's last one). A fault is told
        to the user in a line (as Telegram's error handler does), never left unanswered."""
        return await self._told(incoming, self._message(incoming))

    async def press(self, incoming: Incoming, data: str) -> list[Reply]:
        """A button: its callback data as ``present/actions.py`` wrote it (forged or stale: refused)."""
        return await self._told(incoming, self._press(incoming, data))

    async def _told(self, incoming: Incoming, work: Awaitable[list[Reply]]) -> list[Reply]:
        lang = lang_of(incoming.user_english)
        try:
            return await work
        except IndexDamaged as exc:
            log.error("no sound index to answer from: %s", exc)
            return [_text("index_damaged", lang)]
        except StateUnavailable as exc:
            log.warning("could not save: %s", exc)
            return [_text("state_busy", lang)]
        except Exception:
            log.exception("%s: a message could not be handled", incoming.platform)
            return [_text("error", lang)]

    async def _message(self, incoming: Incoming) -> list[Reply]:
        text = incoming.text.strip()
        asker = await self.asker(incoming)
        if text.startswith(("/", "／")) and len(text) > 1:
            word, _, rest = text[1:].partition(" ")
            name = word.split("@", 1)[0].lower()
            if name == "whoami":
                return await self.whoami(incoming, asker)
            if not self.insider(incoming):
                return await self.refuse(incoming, asker, f"command:{name[:32]}")
            return await self.command(incoming, asker, name, rest.strip())
        if not self.insider(incoming):
            return await self.refuse(incoming, asker, "message")
        return await self.question(incoming, asker, text)

    async def question(self, incoming: Incoming, asker: Asker, text: str) -> list[Reply]:
        asked = await asking.ask(self, asker, text)
        lang = lang_of(asked.english)
        if asked.limited is not None:
            return [_text("rate_limited", lang, seconds=asked.limited)]
        if asked.empty or asked.turn is None:
            return [_text("empty_question", lang)]
        turn = asked.turn
        if turn.answer is None:
            buttons = file_buttons(turn.passage.report.id, lang) if turn.passage is not None else []
            pieces = turn_messages(turn, asked.english)
            return [Reply(piece, buttons if i == len(pieces) - 1 else []) for i, piece in enumerate(pieces)]
        lead = f"<i>{esc(turn.followup.lead(asked.english))}</i>" if turn.followup is not None else ""
        html = render_answer_html(turn.answer, asked.english, lead=lead)
        if asked.cut:
            note = esc(say("cut", lang, n=asked.cut))
            if telegram_length(html) + telegram_length(note) + 1 <= TELEGRAM_LIMIT:
                html = f"{note}\n{html}"
        reply = Reply(html, answer_buttons(turn.answer, asked.sid or "", self.settings.page_size, lang))
        await asking.asked_sent(self, asker, asked)  # logged as the reply goes out (it cannot fail to draw)
        return [reply]

    async def command(self, incoming: Incoming, asker: Asker, name: str, rest: str) -> list[Reply]:
        lang = lang_of(incoming.user_english)
        if name in ("help", "start"):
            return [Reply(HELP[lang])]
        if name == "ask":
            return await self.question(incoming, asker, rest) if rest else [_text("ask_usage", lang)]
        if name == PRESS_COMMAND:
            return await self._press(incoming, rest)
        if name == "scope":
            return [await self.scope(incoming, asker, rest)]
        if name == "subscribe":
            return [await self.subscribe(incoming, asker, rest)]
        if name == "subscriptions":
            return [await self.list_subscriptions(asker, lang)]
        if name == "unsubscribe":
            return [await self.unsubscribe(incoming, asker, rest)]
        if name == "units":
            return await self.units(lang)
        if name == "years":
            return [await self.years(lang)]
        if name == "unit":
            return await self.unit(rest, lang)
        nearest = nearest_command(name, list(COMMANDS))
        shown = name[:32] or "?"
        return [_text("unknown_command", lang, command=shown, nearest=nearest) if nearest
                else _text("unknown_command_plain", lang, command=shown)]

    async def whoami(self, incoming: Incoming, asker: Asker) -> list[Reply]:
        """/whoami, for everyone: the ids an administrator needs, and whether they may use the bot."""
        lang = lang_of(incoming.user_english)
        lines = self.id_lines(incoming, lang)
        policy = self.policy(incoming)
        if policy.is_admin(incoming.user):
            lines.append(say("whoami_admin", lang))
        elif policy.open_to_everyone:
            lines.append(say("whoami_open", lang))
        elif self.insider(incoming):
            lines.append(say("whoami_allowed", lang))
        else:
            await self.refuse(incoming, asker, "command:whoami")
            lines.append(say("whoami_refused", lang))
        return [Reply(esc("\n".join(lines)))]

    async def scope(self, incoming: Incoming, asker: Asker, text: str) -> Reply:
        return Reply(esc(await scope_reply(self.settings, self.holder, self.state, asker.chat_id, asker.user_id, text,
                                           self._may_change(incoming), lang_of(incoming.user_english))))

    async def subscribe(self, incoming: Incoming, asker: Asker, text: str) -> Reply:
        return Reply(esc(await subscribe_reply(self.settings, self.holder, self.state, self.subscriptions,
                                               self.newsroom, asker.chat_id, asker.user_id, text,
                                               self._may_change(incoming), incoming.user_english)))

    def _may_change(self, incoming: Incoming) -> MayChange:
        async def may() -> bool:
            return self.may_change_chat(incoming)
        return may

    async def list_subscriptions(self, asker: Asker, lang: Lang) -> Reply:
        held = await self.subscriptions.of_chat(asker.chat_id)
        if not held:
            return _text("subscriptions_none", lang)
        lines = [say("subscriptions_head", lang, n=len(held)), *(f"#{s.id} {short(s.question, 80)}" for s in held)]
        return Reply(esc("\n".join(lines)), subscription_buttons([(s.id, s.question) for s in held], lang))

    async def unsubscribe(self, incoming: Incoming, asker: Asker, text: str) -> Reply:
        word = text.split()[0].lstrip("#＃") if text.split() else ""
        number = int(word) if word.isascii() and word.isdigit() and len(word) <= 12 else None
        return Reply(esc(await unsubscribe_reply(self.subscriptions, asker.chat_id, number, word,
                                                 self._may_change(incoming), lang_of(incoming.user_english))))

    async def units(self, lang: Lang) -> list[Reply]:
        searcher = await self.holder.get()
        return [Reply(piece) for piece in chunk_lines(units_by_region_lines(searcher, lang == "en"))]

    async def years(self, lang: Lang) -> Reply:
        return Reply(years_html(await self.holder.get(), lang == "en"))

    async def unit(self, text: str, lang: Lang) -> list[Reply]:
        name = clean_question(text)[:50]
        if not name:
            return [_text("unit_usage", lang)]
        searcher = await self.holder.get()
        wanted = normalise(name)  # as Telegram's /unit reads it (channels/telegram/library_views.py)
        read = reading(searcher).catalog.find(wanted)
        named = {r.id for r in searcher.reports.values() if r.unit and wanted in normalise(r.unit)}
        units = units_among(searcher, (read & named) or read | named)
        if not units:
            names = "、".join(searcher.units) or "-"
            return [Reply(esc(say("no_unit", lang, name=name, units=names)[:TELEGRAM_LIMIT]))]
        if len(units) == 1:
            return [await self.unit_page(searcher, units[0], lang)]
        pieces = chunk_lines(units_named_lines(units, name, lang))
        return [Reply(p, units_buttons(units) if i == len(pieces) - 1 else []) for i, p in enumerate(pieces)]

    async def unit_page(self, searcher: SearchIndex, reports: list[ReportInfo], lang: Lang) -> Reply:
        page = await unit_page(searcher, reports)
        return Reply(render_unit_page_html(page, lang == "en"), unit_page_buttons(page, lang))

    # -- buttons ------------------------------------------------------------------------------

    async def _press(self, incoming: Incoming, data: str) -> list[Reply]:
        asker = await self.asker(incoming)
        if not self.insider(incoming):
            return await self.refuse(incoming, asker, "button")
        lang = lang_of(incoming.user_english)
        action = parse_callback(data.strip())
        if action is None:
            return [_text("bad_button", lang)]
        if action.kind == "un":
            return [await self.unsubscribe(incoming, asker, str(action.number))]
        if action.kind in ("fs", "ol", "sf", "up"):
            return await self.item(action.kind, action.number, lang)
        session = await asking.chat_session(self, action.sid, asker.chat_id)
        if session is None or asker.user_id is None:
            return [_text("expired", lang)]
        lang = lang_of(asking.reply_english(session.question, incoming.user_english))
        if action.kind == "pg":
            answer = await asking.page(self, session, action.number)
            if answer is None:
                return [_text("no_more", lang)]
            return [Reply(render_answer_html(answer, lang == "en"),
                          answer_buttons(answer, session.sid, self.settings.page_size, lang))]
        if action.kind == "ex":
            return [await self.export(session, action.export_format or "xlsx", asker.user_id, lang)]
        if action.kind == "fb":
            return await self.vote(incoming, session.sid, asker.user_id, action.helpful, action.number, lang)
        if action.kind == "fr":
            return await self.reason(session.sid, asker.user_id, REASONS[action.number], lang)
        return [await self.target(session.sid, asker.user_id, action.number, lang)]

    async def item(self, kind: str, number: int, lang: Lang) -> list[Reply]:
        """📄 a full section, 🗂 an outline, 📎 a report file, 📋 a unit's page."""
        searcher = await self.holder.get()
        if kind == "fs":
            result = await searcher.passage(number)
            if result is None:
                return [_text("gone", lang)]
            if not self.in_library(result.report):
                return [_text("file_missing", lang)]
            pieces = render_passage_html(result)
            buttons = file_buttons(result.report.id, lang)
            return [Reply(p, buttons if i == len(pieces) - 1 else []) for i, p in enumerate(pieces)]
        if kind == "up":
            reports = unit_of(searcher, number)
            return [await self.unit_page(searcher, reports, lang)] if reports else [_text("gone", lang)]
        report = searcher.reports.get(number) if number <= MAX_ID else None
        if report is None:
            return [_text("gone", lang)]
        if kind == "sf":
            return [await self.report_file(report, lang)]
        if not self.in_library(report):
            return [_text("file_missing", lang)]
        sections = [p.section for p in await searcher.report_sections(report.id)]
        return [Reply(render_outline_html(report, sections))]

    def in_library(self, report: ReportInfo) -> bool:
        try:
            handle = open_in_library(Path(self.settings.reports_dir) / report.source, self.settings.reports_dir)
        except (NotInLibrary, OSError, ValueError):
            return False
        handle.close()
        return True

    async def report_file(self, report: ReportInfo, lang: Lang) -> Reply:
        """📎 the report file as indexed: only a regular file inside the reports folder, its bytes
        still those indexed, within the upload limit; its citation as the caption."""
        limit = self.settings.send_file_mb * 1024 * 1024

        def read() -> bytes | str:
            try:
                handle = open_in_library(Path(self.settings.reports_dir) / report.source, self.settings.reports_dir)
            except (NotInLibrary, OSError, ValueError):
                return "file_missing"
            with handle:
                if os.fstat(handle.fileno()).st_size > limit:
                    return "file_too_big"
                data = handle.read()
            if report.sha256 and hashlib.sha256(data).hexdigest() != report.sha256:
                return "file_changed"
            return data

        data = await asyncio.to_thread(read)
        if isinstance(data, str):
            return _text(data, lang, mb=self.settings.send_file_mb)
        caption = f"<b>{esc(citation(report, lang == 'en'))}</b>\n📄 {esc(source_label(report))}"
        return Reply(caption, file=data, filename=report.source.rpartition("/")[2])

    async def export(self, session: Session, export_format: str, user_id: int, lang: Lang) -> Reply:
        if not self.limiter.allow(user_id):  # an export is a question asked again, at its full length
            return _text("rate_limited", lang, seconds=self.limiter.retry_after(user_id))
        if not self.exports.begin(user_id):
            return _text("exporting", lang)
        try:
            made = await asking.export(self, session, export_format, lang == "en")
        finally:
            self.exports.end(user_id)
        return Reply(esc(say("export_caption", lang, n=made.results)), file=made.data, filename=made.name)

    async def vote(self, incoming: Incoming, sid: str, user_id: int, helpful: bool, offset: int,
                   lang: Lang) -> list[Reply]:
        voted = await cast_vote(self.state, sid, user_id, helpful, offset, lang)
        if voted.changed and self.monitor is not None:
            self.monitor.vote(incoming.platform, helpful)
        replies = [Reply(esc(voted.text))]
        if voted.ask_reason:
            replies.append(Reply(esc(say("ask_reason", lang)), reason_buttons(sid, lang)))
        return replies

    async def reason(self, sid: str, user_id: int, reason: str, lang: Lang) -> list[Reply]:
        reasoned = await give_reason(self.state, sid, user_id, reason, lang)
        return [Reply(esc(reasoned.text), target_buttons(sid, reasoned.ranks, lang) if reasoned.ranks else [])]

    async def target(self, sid: str, user_id: int, number: int, lang: Lang) -> Reply:
        return Reply(esc((await pick_target(self.state, sid, user_id, number, lang)).text))


def nearest_command(typed: str, known: list[str]) -> str | None:
    """The command a mistyped one was most likely meant to be (/unti → /unit), or None."""
    typed = typed.lower()
    if not typed:
        return None
    close = difflib.get_close_matches(typed, known, n=1, cutoff=0.6)
    if close:
        return close[0]
    prefixed = sorted(k for k in known if k.startswith(typed) or typed.startswith(k))
    return prefixed[0] if len(typed) >= 3 and prefixed else None


def press_text(button: Button) -> str:
    """What a messenger without button callbacks (DingTalk) has the user's client send for a button."""
    return f"/{PRESS_COMMAND} {button.data}"
