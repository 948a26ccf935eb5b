"""Inline keyboards and their callback data (always well under Telegram's 64 bytes).

Callback data: ``pg:<sid>:<offset>`` a page of a session's answer, ``fs:<passage id>`` a full
section, ``ol:<report id>`` a report outline, ``sf:<report id>`` the report file itself, ``up:<report id>``
the page of the unit that wrote it,
``fb:<sid>:<offset>:<1|0>`` a 👍 or 👎 on the page shown, ``fr:<sid>:<n>`` what a 👎 says was wrong
(``REASONS[n]``), ``fw:<sid>:<i|a>`` which result of the page a wrong unit or year is about (its
place on the page, or all), ``ex:<sid>:<x|d>`` the whole answer as .xlsx or .docx, ``un:<subscription id>`` end
a subscription. Anything else is rejected by ``parse_callback``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from reportqa.answers.compose import Answer
from reportqa.answers.unit_page import UnitPage
from reportqa.channels.telegram.bounds import MAX_ID
from reportqa.channels.telegram.texts import say as say_label
from reportqa.conversations.state import REASONS
from reportqa.conversations.subscriptions import Subscription
from reportqa.retrieval.searcher import ReportInfo

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


@dataclass(frozen=True)
class Callback:
    kind: str  # "pg" | "fs" | "ol" | "sf" | "up" | "fb" | "fr" | "ex" | "un"
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


def feedback_row(sid: str, offset: int, english: bool) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton("👍 " + ("Helpful" if english else "有用"), callback_data=f"fb:{sid}:{offset}:1"),
            InlineKeyboardButton("👎 " + ("Wrong" if english else "不对"), callback_data=f"fb:{sid}:{offset}:0")]


RESULT_BUTTONS = {"fs": ("📄", "全文", "Full"), "ol": ("🗂", "目录", "Outline"), "sf": ("📎", "原文", "File")}


def result_row(answer: Answer, kind: str, english: bool) -> list[InlineKeyboardButton]:
    """One button per result: its full section (fs), its report's outline (ol) or file (sf)."""
    icon, zh, en = RESULT_BUTTONS[kind]
    return [InlineKeyboardButton(f"{icon} {en if english else zh} {r.rank}",
                                 callback_data=f"{kind}:{r.passage_id if kind == 'fs' else r.report.id}")
            for r in answer.results]


def answer_keyboard(answer: Answer, sid: str, page_size: int, english: bool = False) -> InlineKeyboardMarkup:
    """Full section, outline and source file per result; previous/next page; 👍 👎 and share.
    An answer with no results still gets the votes (a 👎 on "nothing found" says something is missing)."""
    rows: list[list[InlineKeyboardButton]] = []
    if answer.results:
        rows += [result_row(answer, kind, english) for kind in ("fs", "ol", "sf")]
    nav: list[InlineKeyboardButton] = []
    if answer.offset > 0:
        previous = max(0, answer.offset - page_size)
        label = "◀ " + ("Previous" if english else "上一页")
        nav.append(InlineKeyboardButton(label, callback_data=f"pg:{sid}:{previous}"))
    if answer.offset + len(answer.results) < answer.total:
        nav.append(InlineKeyboardButton(("Next" if english else "下一页") + " ▶",
                                        callback_data=f"pg:{sid}:{answer.offset + page_size}"))
    if nav:
        rows.append(nav)
    if answer.results and answer.question.intent != "overview":  # the whole answer as a file, for a 汇总
        rows.append([InlineKeyboardButton("📊 Excel", callback_data=f"ex:{sid}:x"),
                     InlineKeyboardButton("📝 Word", callback_data=f"ex:{sid}:d")])
    last = feedback_row(sid, answer.offset, english)
    if answer.results:
        last.append(InlineKeyboardButton("↗ " + ("Share" if english else "分享"),
                                         switch_inline_query=answer.question.text[:200]))
    rows.append(last)
    return InlineKeyboardMarkup(rows)


def reason_keyboard(sid: str, english: bool) -> InlineKeyboardMarkup:
    """What was wrong with an answer: two rows of two."""
    buttons = [InlineKeyboardButton(REASON_LABELS[reason][1 if english else 0], callback_data=f"fr:{sid}:{i}")
               for i, reason in enumerate(REASONS)]
    return InlineKeyboardMarkup([buttons[:2], buttons[2:]])


def target_keyboard(sid: str, ranks: list[int], english: bool) -> InlineKeyboardMarkup:
    """Which result a 单位不对 / 年份不对 is about: one button per result the page showed, and all."""
    buttons = [InlineKeyboardButton(f"#{rank}" if english else f"第 {rank} 条", callback_data=f"fw:{sid}:{i}")
               for i, rank in enumerate(ranks[:10])]
    rows = [buttons[i : i + 5] for i in range(0, len(buttons), 5)]
    rows.append([InlineKeyboardButton(say_label("reason_all", english), callback_data=f"fw:{sid}:a")])
    return InlineKeyboardMarkup(rows)


def file_keyboard(report_id: int, english: bool) -> InlineKeyboardMarkup:
    """Under a full section: the report file itself."""
    label = "📎 The report file" if english else "📎 原文文件"
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=f"sf:{report_id}")]])


def unsubscribe_button(subscription_id: int, english: bool, label: str = "") -> InlineKeyboardButton:
    text = ("🔕 Unsubscribe" if english else "🔕 退订") + f" #{subscription_id}" + (f" {label}" if label else "")
    return InlineKeyboardButton(text, callback_data=f"un:{subscription_id}")


def notification_keyboard(answer: Answer, subscription_id: int, english: bool) -> InlineKeyboardMarkup:
    """Under a notification: each new passage's full section and report file, and a way to stop."""
    rows = [result_row(answer, "fs", english), result_row(answer, "sf", english),
            [unsubscribe_button(subscription_id, english)]]
    return InlineKeyboardMarkup([row for row in rows if row])


def subscriptions_keyboard(subscriptions: list[Subscription], english: bool) -> InlineKeyboardMarkup | None:
    """/subscriptions: one button per subscription to end it."""
    if not subscriptions:
        return None
    return InlineKeyboardMarkup([[unsubscribe_button(s.id, english, s.question[:24])] for s in subscriptions])


UNITS_LISTED = 30  # units a /unit answer offers a page button for


def unit_page_keyboard(page: UnitPage, english: bool) -> InlineKeyboardMarkup:
    """Under a unit's page: each report's file and outline, newest first."""
    rows = []
    for entry in page.reports[:10]:
        year = str(entry.report.year or "?")
        rows.append([InlineKeyboardButton(f"{icon} {year} {en if english else zh}",
                                          callback_data=f"{kind}:{entry.report.id}")
                     for kind in ("sf", "ol") for icon, zh, en in [RESULT_BUTTONS[kind]]])
    return InlineKeyboardMarkup(rows)


def units_keyboard(units: list[list[ReportInfo]]) -> InlineKeyboardMarkup:
    """/unit naming several units: one numbered button per unit, its page."""
    buttons = [InlineKeyboardButton(f"📋 {i}", callback_data=f"up:{unit[0].id}")
               for i, unit in enumerate(units[:UNITS_LISTED], start=1)]
    return InlineKeyboardMarkup([buttons[i : i + 5] for i in range(0, len(buttons), 5)])
