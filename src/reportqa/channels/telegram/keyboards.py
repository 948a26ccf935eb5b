"""Inline keyboards: the neutral buttons of ``present/actions.py`` drawn as Telegram draws them (a
callback button, or a share button that opens an inline query in another chat)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from reportqa.answers.compose import Answer
from reportqa.answers.unit_page import UnitPage
from reportqa.conversations.subscriptions import Subscription
from reportqa.domain.lang import lang_of
from reportqa.present import actions
from reportqa.present.actions import (
    ALL_RESULTS,
    EXPORT_FORMATS,
    MAX_CALLBACK_BYTES,
    REASON_LABELS,
    RESULT_BUTTONS,
    UNITS_LISTED,
    Button,
    Callback,
    Rows,
    parse_callback,
)
from reportqa.retrieval.searcher import ReportInfo

__all__ = ["ALL_RESULTS", "EXPORT_FORMATS", "MAX_CALLBACK_BYTES", "REASON_LABELS", "RESULT_BUTTONS", "UNITS_LISTED",
           "Callback", "answer_keyboard", "file_keyboard", "markup", "notification_keyboard", "parse_callback",
           "reason_keyboard", "subscriptions_keyboard", "target_keyboard", "unit_page_keyboard", "units_keyboard"]


def button(item: Button) -> InlineKeyboardButton:
    if item.share is not None:
        return InlineKeyboardButton(item.label, switch_inline_query=item.share)
    return InlineKeyboardButton(item.label, callback_data=item.data)


def markup(rows: Rows) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button(item) for item in row] for row in rows])


def answer_keyboard(answer: Answer, sid: str, page_size: int, english: bool = False) -> InlineKeyboardMarkup:
    return markup(actions.answer_buttons(answer, sid, page_size, lang_of(english)))


def reason_keyboard(sid: str, english: bool) -> InlineKeyboardMarkup:
    return markup(actions.reason_buttons(sid, lang_of(english)))


def target_keyboard(sid: str, ranks: list[int], english: bool) -> InlineKeyboardMarkup:
    return markup(actions.target_buttons(sid, ranks, lang_of(english)))


def file_keyboard(report_id: int, english: bool) -> InlineKeyboardMarkup:
    return markup(actions.file_buttons(report_id, lang_of(english)))


def notification_keyboard(answer: Answer, subscription_id: int, english: bool) -> InlineKeyboardMarkup:
    return markup(actions.notification_buttons(answer, subscription_id, lang_of(english)))


def subscriptions_keyboard(subscriptions: list[Subscription], english: bool) -> InlineKeyboardMarkup | None:
    if not subscriptions:
        return None
    return markup(actions.subscription_buttons([(s.id, s.question) for s in subscriptions], lang_of(english)))


def unit_page_keyboard(page: UnitPage, english: bool) -> InlineKeyboardMarkup:
    return markup(actions.unit_page_buttons(page, lang_of(english)))


def units_keyboard(units: list[list[ReportInfo]]) -> InlineKeyboardMarkup:
    return markup(actions.units_buttons(units))
