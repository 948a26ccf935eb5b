"""Inline keyboards and their callback data (always well under Telegram's 64 bytes).

Callback data: ``pg:<sid>:<offset>`` a page of a session's answer, ``fs:<passage id>`` a full
section, ``ol:<report id>`` a report outline. Anything else is rejected by ``parse_callback``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from reportqa.answers import Answer

_CALLBACK = re.compile(r"^(pg):([A-Za-z0-9_-]{4,16}):(\d{1,4})$|^(fs|ol):(\d{1,12})$")
MAX_CALLBACK_BYTES = 64


@dataclass(frozen=True)
class Callback:
    kind: str  # "pg" | "fs" | "ol"
    sid: str | None = None
    number: int = 0  # the page offset, passage id or report id


def parse_callback(data: str | None) -> Callback | None:
    """The action a button asks for, or None for forged or stale-format data."""
    if not data or len(data.encode()) > MAX_CALLBACK_BYTES:
        return None
    match = _CALLBACK.match(data)
    if not match:
        return None
    if match.group(1):
        return Callback("pg", match.group(2), int(match.group(3)))
    return Callback(match.group(4), None, int(match.group(5)))


def answer_keyboard(answer: Answer, sid: str, page_size: int, english: bool = False) -> InlineKeyboardMarkup | None:
    """Full section and outline per result, previous/next page, and share."""
    if not answer.results:
        return None
    rows: list[list[InlineKeyboardButton]] = []
    full = "Full" if english else "全文"
    outline = "Outline" if english else "目录"
    rows.append([InlineKeyboardButton(f"📄 {full} {r.rank}", callback_data=f"fs:{r.passage_id}")
                 for r in answer.results])
    rows.append([InlineKeyboardButton(f"🗂 {outline} {r.rank}", callback_data=f"ol:{r.report.id}")
                 for r in answer.results])
    nav: list[InlineKeyboardButton] = []
    if answer.offset > 0:
        previous = max(0, answer.offset - page_size)
        label = "◀ " + ("Previous" if english else "上一页")
        nav.append(InlineKeyboardButton(label, callback_data=f"pg:{sid}:{previous}"))
    if answer.offset + len(answer.results) < answer.total:
        nav.append(InlineKeyboardButton(("Next" if english else "下一页") + " ▶",
                                        callback_data=f"pg:{sid}:{answer.offset + page_size}"))
    nav.append(InlineKeyboardButton("↗ " + ("Share" if english else "分享"),
                                    switch_inline_query=answer.question.text[:200]))
    rows.append(nav)
    return InlineKeyboardMarkup(rows)
