"""Answers: a ranked question → what the reply says (units, passages or an overview), with notices.

``search.py`` ranks; this module composes. A units answer is one line per unit, a passages answer the
best passages, an overview a unit's or a place's reports themselves (their outline and strongest
achievements) for a question that names who or when but no topic. Before anything is shown the
candidates are checked against their text (``verify.py``): boilerplate and statements of absence are
not evidence, a plans or problems passage never stands for what a unit did.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field

from reportqa.question import ParsedQuestion
from reportqa.search import Ranking, Result, SearchIndex


@dataclass
class ReportOverview:
    """One report in an overview: its place in the list and its outline (top-level headings)."""

    report_id: int
    outline: list[str]


@dataclass
class Answer:
    question: ParsedQuestion
    results: list[Result]
    total: int  # results available before paging (units for a units answer, reports for an overview)
    offset: int = 0
    notice: str | None = None  # why there is nothing, and what there is instead
    notice_en: str | None = None
    overviews: list[ReportOverview] = field(default_factory=list)  # an overview's reports, in order

    def to_json(self) -> dict:
        q = self.question
        data = {
            "question": q.text,
            "intent": q.intent,
            "language": q.language,
            "filters": {"years": q.years, "units": self.filter_units()},
            "unit_asked": q.filter_label,
            "missing_unit": q.missing_unit,
            "terms": [c.label for c in q.concepts],
            "unmatched_units": q.unmatched_units,
            "total": self.total,
            "notice": self.notice,
            "results": [r.to_json() for r in self.results],
        }
        if self.overviews:
            data["reports"] = [{"report_id": o.report_id, "outline": o.outline} for o in self.overviews]
        return data

    def filter_units(self) -> list[str]:
        """The indexed units the question named (full names), for the JSON filters and the reply."""
        return self.question.unit_names


def _years_text(years: list[int]) -> str:
    return "、".join(str(y) for y in years) or "无"


def empty_notice(index: SearchIndex, parsed: ParsedQuestion) -> tuple[str, str]:
    """Why nothing was found, and what exists instead."""
    if parsed.years and not set(parsed.years) & set(index.years):
        asked = _years_text(parsed.years)
        return (f"没有{asked}年的报告。已收录的年份：{_years_text(index.years)}。",
                f"No reports for {', '.join(map(str, parsed.years))}. "
                f"Years indexed: {', '.join(map(str, index.years)) or 'none'}.")
    if not parsed.concepts:
        return ("问题里没有可检索的内容词，请换个说法，例如“执法培训”“法律顾问”。",
                "The question has no searchable words; try e.g. 'enforcement training'.")
    if parsed.report_ids is not None:
        units = sorted({index.catalog.display.get(i, "") for i in parsed.report_ids} - {""})
        named = parsed.filter_label or "、".join(units[:5]) + (f"等{len(units)}个单位" if len(units) > 5 else "")
        return (f"{named} 的报告中没有找到相关内容。", f"Nothing relevant in the reports of {named}.")
    return ("报告中没有找到相关内容。", "Nothing relevant was found in the reports.")


def missing_notice(parsed: ParsedQuestion, found: bool) -> tuple[str, str]:
    """未收录X的报告: the unit or place named has no report; what was searched instead."""
    label = parsed.missing_unit
    if not found:
        return f"未收录{label}的报告。", f"No reports from {label} are indexed."
    if parsed.report_ids is None:
        return (f"未收录{label}的报告，以下为其他单位报告中的相关内容。",
                f"No reports from {label} are indexed; related passages from other units follow.")
    return (f"未收录{label}的报告，以下为未注明地区的报告中的相关内容。",
            f"No reports from {label} are indexed; related passages from reports of unknown place follow.")


async def answer_question(
    index: SearchIndex, question: str, top_k: int | None = None, offset: int = 0, today: dt.date | None = None
) -> Answer:
    """Parse and rank in a worker thread (CPU work never blocks the event loop), then compose."""
    parsed = await asyncio.to_thread(index.parse, question, today)
    return await answer_parsed(index, parsed, top_k, offset)


def _ranked_for(index: SearchIndex, parsed: ParsedQuestion) -> Ranking:
    ranked = index.rank(parsed)
    return index.group_by_unit(ranked) if parsed.intent == "units" else ranked


async def answer_parsed(
    index: SearchIndex, parsed: ParsedQuestion, top_k: int | None = None, offset: int = 0
) -> Answer:
    """The reply to a parsed question: a page of ``top_k`` from ``offset``."""
    top_k = top_k or index.settings.top_k
    offset = max(0, offset)
    ranked = await asyncio.to_thread(_ranked_for, index, parsed)
    page = ranked.page(offset, top_k)
    results = await index.results(parsed, page, offset)
    answer = Answer(parsed, results, total=len(ranked), offset=offset)
    if parsed.missing_unit:
        answer.notice, answer.notice_en = missing_notice(parsed, bool(ranked))
    elif not ranked:
        answer.notice, answer.notice_en = empty_notice(index, parsed)
    return answer
