"""The buttons under an answer, as any channel shows them, and the callback data they carry.

A ``Button`` is a label and what pressing it asks for: ``data`` (a callback string, always well under
Telegram's 64 bytes) or ``share`` (a question to ask elsewhere, an inline query on Telegram). Each
channel draws them its own way — Telegram as an inline keyboard, WeCom as a template card, DingTalk
as an ActionCard, the terminal as numbered choices — and reads a press back with ``parse_callback``.

Callback data: ``pg:<sid>:<offset>`` a page of a session's answer, ``fs:<passage id>`` a full
section, ``ol:<report id>`` a report outline, ``sf:<report id>`` the report file itself, ``up:<report id>``
the page of the unit that wrote it, ``fb:<sid>:<offset>:<1|0>`` a 👍 or 👎 on the page shown,
``fr:<sid>:<n>`` what a 👎 says was wrong (``REASONS[n]``), ``fw:<sid>:<i|a>`` which result of the page a
wrong unit or year is about (its place on the page, or all), ``ex:<sid>:<x|d>`` the whole answer as
.xlsx or .docx, ``un:<subscription id>`` end a subscription. Anything else is rejected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reportqa.answers.compose import Answer
from reportqa.answers.unit_page import UnitPage
from reportqa.domain.lang import Lang
from reportqa.present.catalog import say
from reportqa.retrieval.searcher import ReportInfo

MAX_ID = 2**63 - 1  # SQLite's largest integer: every id a channel stores or looks up is at most this
REASONS = ("unit", "year", "irrelevant", "missing")  # what a 👎 may say was wrong
_SID = r"[A-Za-z0-9_-]{4,16}"
# ASCII digits only (\d would take ١٢٣ too); ids at most 19 of them and at most MAX_ID (a larger one
# raised OverflowError in SQLite)
_CALLBACK = re.compile(
    rf"^(?P<page>pg):(?P<psid>{_SID}):(?P<poff>\d{{1,4}})$"
    rf"|^(?P<item>fs|ol|sf|up):(?P<id>\d{{1,19}})$"
    rf"|^(?P<vote>fb):(?P<vsid>{_SID}):(?P<voff>\d{{1,4}}):(?P<helpful>[01])$"
    rf"|^(?P<why>fr):(?P<rsid>{_SID}):(?P<reason>\d)$"
    rf"|^(?P<which>fw):(?P<wsid>{_SID}):(?P<target>\d|a)$"
    rf"|^(?P<export>ex):(?P<esid>{_SID}):(?P<format>[xd])$"
    rf"|^(?P<unsubscribe>un):(?P<subscription>\d{{1,12}})$",
    re.ASCII,
)
EXPORT_FORMATS = {"x": "xlsx", "d": "docx"}
ALL_RESULTS = -1  # "fw:<sid>:a": a wrong-unit or wrong-year vote about every result the page showed
MAX_CALLBACK_BYTES = 64
REASON_LABELS = {
    "unit": ("单位不对", "Wrong unit"),
    "year": ("年份不对", "Wrong year"),
    "irrelevant": ("内容不相关", "Not relevant"),
    "missing": ("缺少应有的内容", "Something missing"),
}
RESULT_BUTTONS = {"fs": ("📄", "全文", "Full"), "ol": ("🗂", "目录", "Outline"), "sf": ("📎", "原文", "File")}
UNITS_LISTED = 30  # units a /unit answer offers a page button for

Rows = list[list["Button"]]


@dataclass(frozen=True)
class Button:
    """One button: its label, and either the callback it sends or the question it shares."""

    label: str
    data: str | None = None
    share: str | None = None


@dataclass(frozen=True)
class Callback:
    kind: str  # "pg" | "fs" | "ol" | "sf" | "up" | "fb" | "fr" | "fw" | "ex" | "un"
    sid: str | None = None
    number: int = 0  # the page offset, passage id, report id, reason or subscription number
    helpful: bool = False  # for "fb"
    export_format: str | None = None  # for "ex": "xlsx" | "docx"


def parse_callback(data: str | None) -> Callback | None:
    """The action a button asks for, or None for forged or stale-format data."""
    if not data or len(data.encode()) > MAX_CALLBACK_BYTES:
        return None
    match = _CALLBACK.fullmatch(data)
    if not match:
        return None
    if match["page"]:
        return Callback("pg", match["psid"], int(match["poff"]))
    if match["item"]:
        number = int(match["id"])
        return Callback(match["item"], None, number) if number <= MAX_ID else None
    if match["unsubscribe"]:
        return Callback("un", None, int(match["subscription"]))
    if match["export"]:
        return Callback("ex", match["esid"], export_format=EXPORT_FORMATS[match["format"]])
    if match["vote"]:
        return Callback("fb", match["vsid"], int(match["voff"]), match["helpful"] == "1")
    if match["which"]:  # the result a wrong-unit / wrong-year vote is about (its place on the page), a: all
        return Callback("fw", match["wsid"], ALL_RESULTS if match["target"] == "a" else int(match["target"]))
    reason = int(match["reason"])
    return Callback("fr", match["rsid"], reason) if reason < len(REASONS) else None


def _en(lang: Lang) -> bool:
    return lang == "en"


def feedback_row(sid: str, offset: int, lang: Lang) -> list[Button]:
    return [Button("👍 " + ("Helpful" if _en(lang) else "有用"), f"fb:{sid}:{offset}:1"),
            Button("👎 " + ("Wrong" if _en(lang) else "不对"), f"fb:{sid}:{offset}:0")]


def result_row(answer: Answer, kind: str, lang: Lang) -> list[Button]:
    """One button per result: its full section (fs), its report's outline (ol) or file (sf)."""
    icon, zh, en = RESULT_BUTTONS[kind]
    return [Button(f"{icon} {en if _en(lang) else zh} {r.rank}",
                   f"{kind}:{r.passage_id if kind == 'fs' else r.report.id}") for r in answer.results]


def answer_buttons(answer: Answer, sid: str, page_size: int, lang: Lang = "zh") -> Rows:
    """Full section, outline and source file per result; previous/next page; the whole answer as a
    file; 👍 👎 and share. An answer with no results still gets the votes (a 👎 on "nothing found"
    says something is missing)."""
    rows: Rows = []
    if answer.results:
        rows += [result_row(answer, kind, lang) for kind in ("fs", "ol", "sf")]
    nav: list[Button] = []
    if answer.offset > 0:
        previous = max(0, answer.offset - page_size)
        nav.append(Button("◀ " + ("Previous" if _en(lang) else "上一页"), f"pg:{sid}:{previous}"))
    if answer.offset + len(answer.results) < answer.total:
        nav.append(Button(("Next" if _en(lang) else "下一页") + " ▶", f"pg:{sid}:{answer.offset + page_size}"))
    if nav:
        rows.append(nav)
    if answer.results and answer.question.intent != "overview":  # the whole answer as a file, for a 汇总
        rows.append([Button("📊 Excel", f"ex:{sid}:x"), Button("📝 Word", f"ex:{sid}:d")])
    last = feedback_row(sid, answer.offset, lang)
    if answer.results:
        last.append(Button("↗ " + ("Share" if _en(lang) else "分享"), share=answer.question.text[:200]))
    rows.append(last)
    return rows


def reason_buttons(sid: str, lang: Lang) -> Rows:
    """What was wrong with an answer: two rows of two."""
    buttons = [Button(REASON_LABELS[reason][1 if _en(lang) else 0], f"fr:{sid}:{i}")
               for i, reason in enumerate(REASONS)]
    return [buttons[:2], buttons[2:]]


def target_buttons(sid: str, ranks: list[int], lang: Lang) -> Rows:
    """Which result a 单位不对 / 年份不对 is about: one button per result the page showed, and all."""
    buttons = [Button(f"#{rank}" if _en(lang) else f"第 {rank} 条", f"fw:{sid}:{i}")
               for i, rank in enumerate(ranks[:10])]
    rows = [buttons[i : i + 5] for i in range(0, len(buttons), 5)]
    rows.append([Button(say("reason_all", lang), f"fw:{sid}:a")])
    return rows


def file_buttons(report_id: int, lang: Lang) -> Rows:
    """Under a full section: the report file itself."""
    return [[Button("📎 The report file" if _en(lang) else "📎 原文文件", f"sf:{report_id}")]]


def unsubscribe_button(subscription_id: int, lang: Lang, label: str = "") -> Button:
    text = ("🔕 Unsubscribe" if _en(lang) else "🔕 退订") + f" #{subscription_id}" + (f" {label}" if label else "")
    return Button(text, f"un:{subscription_id}")


def notification_buttons(answer: Answer, subscription_id: int, lang: Lang) -> Rows:
    """Under a notification: each new passage's full section and report file, and a way to stop."""
    rows = [result_row(answer, "fs", lang), result_row(answer, "sf", lang),
            [unsubscribe_button(subscription_id, lang)]]
    return [row for row in rows if row]


def subscription_buttons(subscriptions: list[tuple[int, str]], lang: Lang) -> Rows:
    """/subscriptions: one button per (id, question) to end it."""
    return [[unsubscribe_button(number, lang, question[:24])] for number, question in subscriptions]


def unit_page_buttons(page: UnitPage, lang: Lang) -> Rows:
    """Under a unit's page: each report's file and outline, newest first."""
    rows = []
    for entry in page.reports[:10]:
        year = str(entry.report.year or "?")
        rows.append([Button(f"{icon} {year} {en if _en(lang) else zh}", f"{kind}:{entry.report.id}")
                     for kind in ("sf", "ol") for icon, zh, en in [RESULT_BUTTONS[kind]]])
    return rows


def units_buttons(units: list[list[ReportInfo]]) -> Rows:
    """/unit naming several units: one numbered button per unit, its page."""
    buttons = [Button(f"📋 {i}", f"up:{unit[0].id}") for i, unit in enumerate(units[:UNITS_LISTED], start=1)]
    return [buttons[i : i + 5] for i in range(0, len(buttons), 5)]


def rows_markup(rows: Rows) -> dict:
    """Buttons as stored with a queued notice: the Bot API's inline keyboard object (what Telegram's
    ``InlineKeyboardMarkup.to_dict`` gives), read back by every channel with ``markup_rows``."""
    def one(button: Button) -> dict:
        if button.share is not None:
            return {"text": button.label, "switch_inline_query": button.share}
        return {"text": button.label, "callback_data": button.data}
    return {"inline_keyboard": [[one(b) for b in row] for row in rows]}


def markup_rows(markup: dict | None) -> Rows:
    """The buttons of a stored inline keyboard object (see ``rows_markup``)."""
    rows: Rows = []
    for row in (markup or {}).get("inline_keyboard", []):
        rows.append([Button(str(b.get("text", "")), b.get("callback_data"), b.get("switch_inline_query"))
                     for b in row if isinstance(b, dict)])
    return rows
