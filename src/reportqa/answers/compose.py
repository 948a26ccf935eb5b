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
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from reportqa.answers.evidence import verified
from reportqa.answers.lead_ins import carry_items
from reportqa.answers.question import ParsedQuestion
from reportqa.answers.reading import parse, reading
from reportqa.answers.scope import Scope, Scoped, apply_scope
from reportqa.domain.model import PREAMBLE, SECTION_SEPARATOR
from reportqa.domain.numbers import FIGURE, SPOKEN_FIGURE
from reportqa.domain.section_kinds import DONE, SectionKinds
from reportqa.retrieval.retriever import PassageRow
from reportqa.retrieval.searcher import CANDIDATE_POOL, Ranking, Result, SearchIndex

if TYPE_CHECKING:
    from reportqa.answers.intents.compare_years import Comparison


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
    scope: str | None = None  # the label of the chat's scope the question was answered in
    scope_applied: bool = False  # the scope narrowed it (else the question named its own)
    scope_overridden: bool = False  # the question named a unit, place or year of its own
    comparison: Comparison | None = None  # a unit's years side by side (its passages are ``results``)

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
            "absent_words": q.absent_words,
            "read_as": [{"typed": typed, "read": meant} for typed, meant in q.slips],
            "total": self.total,
            "notice": self.notice,
            "results": [r.to_json() for r in self.results],
        }
        if self.scope is not None:
            data["scope"] = {"label": self.scope, "applied": self.scope_applied, "overridden": self.scope_overridden}
        if self.overviews:
            data["reports"] = [{"report_id": o.report_id, "outline": o.outline} for o in self.overviews]
        if self.comparison is not None:
            data["comparison"] = self.comparison.to_json()
        return data

    def filter_units(self) -> list[str]:
        """The indexed units the question named (full names), for the JSON filters and the reply."""
        return self.question.unit_names


def _years_text(years: list[int]) -> str:
    return "、".join(str(y) for y in years) or "无"


def empty_notice(index: SearchIndex, parsed: ParsedQuestion) -> tuple[str, str]:
    """Why nothing was found, and what exists instead: never the wording's fault when a filter is."""
    if parsed.years and not set(parsed.years) & set(index.years):
        asked = _years_text(parsed.years)
        return (f"没有{asked}年的报告。已收录的年份：{_years_text(index.years)}。",
                f"No reports for {', '.join(map(str, parsed.years))}. "
                f"Years indexed: {', '.join(map(str, index.years)) or 'none'}.")
    if parsed.years and parsed.report_ids is not None and not parsed.missing_unit:
        held = sorted({r.year for i in parsed.report_ids if (r := index.reports.get(i)) is not None and r.year})
        if not set(held) & set(parsed.years):  # 玉龙镇2023年做了什么: 玉龙镇 has 2021 only
            named = _named(index, parsed)
            return (f"{named}没有{_years_text(parsed.years)}年的报告（已收录：{_years_text(held)}年）。",
                    f"{named} has no report for {', '.join(map(str, parsed.years))} "
                    f"(indexed: {', '.join(map(str, held)) or 'none'}).")
    if not parsed.concepts:
        return ("问题里没有可检索的内容词，请换个说法，例如“执法培训”“法律顾问”。",
                "The question has no searchable words; try e.g. 'enforcement training'.")
    if parsed.report_ids is not None:
        named = _named(index, parsed)
        return (f"{named} 的报告中没有找到相关内容。", f"Nothing relevant in the reports of {named}.")
    return ("报告中没有找到相关内容。", "Nothing relevant was found in the reports.")


def _named(index: SearchIndex, parsed: ParsedQuestion) -> str:
    """What a question's unit filter names: its label, or its first units."""
    units = sorted({reading(index).catalog.display.get(i, "") for i in parsed.report_ids or ()} - {""})
    return parsed.filter_label or "、".join(units[:5]) + (f"等{len(units)}个单位" if len(units) > 5 else "")


def absent_notice(parsed: ParsedQuestion) -> tuple[str, str]:
    """The words no report contains: nothing can answer the question."""
    words = "、".join(f"“{w}”" for w in parsed.absent_words)
    return (f"没有任何报告提到{words}，因此没有相关内容。", f"No report mentions {words}, so nothing answers this.")


UNITS_LISTED = 5  # units named in a notice of what a place holds instead


def _held_instead(index: SearchIndex, parsed: ParsedQuestion) -> tuple[str, str]:
    """东北（…）已收录：江源区卫生健康局（2025）… — the units a missing unit's places do have reports of."""
    if not parsed.place_report_ids or not parsed.place_label:
        return "", ""
    years: dict[str, set[int]] = {}
    for rid in parsed.place_report_ids:
        report = index.reports.get(rid)
        if report is not None and report.unit:
            years.setdefault(report.unit, set()).update({report.year} if report.year else set())
    listed = [f"{unit}（{'、'.join(map(str, sorted(ys)))}）" if ys else unit for unit, ys in sorted(years.items())]
    more = len(listed) - UNITS_LISTED
    zh = "、".join(listed[:UNITS_LISTED]) + (f"等{len(listed)}个单位" if more > 0 else "")
    en = ", ".join(listed[:UNITS_LISTED]) + (f" and {more} more" if more > 0 else "")
    return f"{parsed.place_label}已收录：{zh}。", f" Indexed from {parsed.place_label}: {en}."


def missing_notice(parsed: ParsedQuestion, found: bool, index: SearchIndex | None = None) -> tuple[str, str]:
    """未收录X的报告: the unit or place named has no report; what was searched instead, and what its
    places hold."""
    label = parsed.missing_unit
    if not found:
        held, held_en = _held_instead(index, parsed) if index is not None else ("", "")
        return f"未收录{label}的报告。{held}", f"No reports from {label} are indexed.{held_en}"
    if parsed.report_ids is None:
        return (f"未收录{label}的报告，以下为其他单位报告中的相关内容。",
                f"No reports from {label} are indexed; related passages from other units follow.")
    return (f"未收录{label}的报告，以下为未注明地区的报告中的相关内容。",
            f"No reports from {label} are indexed; related passages from reports of unknown place follow.")


async def answer_question(
    index: SearchIndex,
    question: str,
    top_k: int | None = None,
    offset: int = 0,
    today: dt.date | None = None,
    scope: Scope | None = None,
) -> Answer:
    """Parse and rank in a worker thread (CPU work never blocks the event loop), then compose;
    inside ``scope`` (a chat's standing units, places, years) where the question names none."""
    top_k = top_k or index.settings.top_k
    offset = max(0, offset)
    scoped, ranking = await asyncio.to_thread(_read_and_rank, index, question, today, scope, top_k, offset)
    answer = await answer_parsed(index, scoped.question, top_k, offset, ranking)
    if scope is not None:
        answer.scope, answer.scope_applied, answer.scope_overridden = scope.label, scoped.applied, scoped.overridden
    return answer


async def answer_within(
    index: SearchIndex,
    question: str,
    report_ids: set[int],
    top_k: int | None = None,
    scope: Scope | None = None,
) -> Answer | None:
    """The question answered from ``report_ids`` only (a subscription's new reports), inside the
    chat's scope; None when those reports hold nothing for it, or when a unit or place it names has
    no report at all (other units' passages are never offered in its place)."""
    parsed = await asyncio.to_thread(parse, index, question, None)
    scoped = apply_scope(parsed, scope).question
    if scoped.missing_unit:
        return None
    within = set(report_ids) if scoped.report_ids is None else scoped.report_ids & set(report_ids)
    if not within:
        return None
    answer = await answer_parsed(index, replace(scoped, report_ids=within), top_k)
    return answer if answer.results else None


POOL_PER_RESULT = 8  # candidates examined per result wanted, for answers longer than a page


def _pool(need: int) -> int:
    """The candidates ranked for ``need`` results: a page needs the usual pool; an export of a thousand
    units, passages enough for them (a unit has several)."""
    return max(CANDIDATE_POOL, need * POOL_PER_RESULT)


def _read_and_rank(index: SearchIndex, question: str, today: dt.date | None, scope: Scope | None, top_k: int,
                   offset: int) -> tuple[Scoped, Ranking | None]:
    """The question parsed and scoped, and its page's candidates ranked when the answer will rank them
    (not an overview, not a word no report holds): one worker-thread hop for both, not two (0.2 ms of
    a 3 ms answer). A comparison ranks its own years; this ranking is then what it falls back to."""
    scoped = apply_scope(parse(index, question, today), scope)
    if not _ranks(scoped.question):
        return scoped, None
    return scoped, index.rank(scoped.question, _pool(offset + top_k + 1))


def _ranks(parsed: ParsedQuestion) -> bool:
    """Whether the answer ranks passages: not for a word no report holds (nothing is relevant), not
    for an overview (the reports themselves)."""
    return not parsed.absent_words and parsed.intent != "overview"


async def ranked_answers(index: SearchIndex, parsed: ParsedQuestion, need: int, ranking: Ranking | None = None,
                         ) -> Ranking:
    """Ranked (or ``ranking``, ranked already for ``need``), checked against their text as far as
    ``need`` results, one a unit for a units answer."""
    if ranking is None:
        ranking = await asyncio.to_thread(index.rank, parsed, _pool(need))
    ranked = await verified(index, parsed, ranking, need)
    return index.group_by_unit(ranked) if parsed.intent == "units" else ranked


async def answer_parsed(
    index: SearchIndex, parsed: ParsedQuestion, top_k: int | None = None, offset: int = 0,
    ranking: Ranking | None = None,
) -> Answer:
    """The reply to a parsed question: a page of ``top_k`` from ``offset`` (``ranking``: its
    candidates, when ranked already for that page)."""
    top_k = top_k or index.settings.top_k
    offset = max(0, offset)
    if parsed.absent_words:  # a word no report contains: nothing is relevant, and the reply names it
        answer = Answer(parsed, [], 0, offset)
        answer.notice, answer.notice_en = absent_notice(parsed)
        return answer
    if parsed.intent == "overview":
        answer = await overview(index, parsed, top_k, offset)
        answer.results = await carry_items(index, answer.results)  # a lead-in with the items it introduces
        return answer
    if parsed.compares and parsed.intent == "passages" and offset == 0:
        from reportqa.answers.intents.compare_years import compare_years  # it ranks with ranked_answers, below

        compared = await compare_years(index, parsed, ranked_answers)
        if compared is not None:
            comparison, results = compared
            return Answer(parsed, results, total=len(results), comparison=comparison)
    ranked = await ranked_answers(index, parsed, offset + top_k + 1, ranking)  # one more: is there a next page
    page = ranked.page(offset, top_k)
    results = await carry_items(index, await index.results(parsed, page, offset))  # …主要表现在： with its items
    answer = Answer(parsed, results, total=len(ranked), offset=offset)
    if parsed.missing_unit:
        answer.notice, answer.notice_en = missing_notice(parsed, bool(ranked), index)
    elif not ranked:
        answer.notice, answer.notice_en = empty_notice(index, parsed)
    return answer


# -- overview: a unit's (or a place's, or a year's) reports themselves -----------------------------



def achievement_strength(row: PassageRow, kinds: SectionKinds) -> float | None:
    """How much a passage reports as done: the figures it gives (培训3期, 办结率98%, 三位律师), then its length;
    None for plans and problems. A preamble counts little: it says what the report is about."""
    if kinds.of_passage(row.section, row.norm_text) != DONE:
        return None
    figures = len(FIGURE.findall(row.norm_text)) + len(SPOKEN_FIGURE.findall(row.norm_text))
    length = min(len(row.norm_text), 600) / 600
    return (2 * figures + length) * (0.2 if row.section == PREAMBLE else 1.0)


def outline_of(sections: list[str]) -> list[str]:
    """A report's top-level headings in order, each once (一、… 二、… 三、…)."""
    out: list[str] = []
    for section in sections:
        if section == PREAMBLE:
            continue
        top = section.split(SECTION_SEPARATOR)[0]
        if top not in out:
            out.append(top)
    return out


def _newest_first(index: SearchIndex, ids: set[int]) -> list[int]:
    return sorted(ids, key=lambda i: (index.reports[i].year or 0, index.reports[i].date or "",
                                      index.reports[i].unit or "", -i), reverse=True)


async def _strongest(index: SearchIndex, report_id: int) -> tuple[list[tuple[float, PassageRow]], list[str]]:
    rows = await index.report_sections(report_id)
    scored = [(strength, row) for row in rows if (strength := achievement_strength(row, index.kinds)) is not None]
    scored.sort(key=lambda item: (-item[0], item[1].ordinal))
    return scored, outline_of([row.section for row in rows])


def _result(index: SearchIndex, rank: int, strength: float, row: PassageRow) -> Result:
    return Result(rank, strength, row.id, index.reports[row.report_id], row.section, row.text, row.norm_text,
                  row.ordinal, [])


async def overview(index: SearchIndex, parsed: ParsedQuestion, top_k: int, offset: int) -> Answer:
    """The reports a question names by unit, place or year but no topic, newest first: for one
    report its outline and strongest achievements, for several one line each (its citation, its
    outline, its strongest achievement)."""
    if parsed.missing_unit:  # nothing of what was named: say so, never show someone else's report
        answer = Answer(parsed, [], 0, offset)
        answer.notice, answer.notice_en = missing_notice(parsed, False, index)
        return answer
    ids = set(parsed.report_ids) if parsed.report_ids is not None else set(index.reports)
    if parsed.years:
        ids = {i for i in ids if index.reports[i].year in parsed.years}
    reports = _newest_first(index, ids)
    if parsed.focus != DONE:
        return await _focused_sections(index, parsed, reports, top_k, offset)
    if len(reports) == 1:
        scored, outline = await _strongest(index, reports[0])
        page = scored[offset : offset + top_k]
        results = [_result(index, offset + i + 1, strength, row) for i, (strength, row) in enumerate(page)]
        answer = Answer(parsed, results, len(scored), offset, overviews=[ReportOverview(reports[0], outline)])
    else:
        results, overviews = [], []
        for i, report_id in enumerate(reports[offset : offset + top_k]):
            scored, outline = await _strongest(index, report_id)
            overviews.append(ReportOverview(report_id, outline))
            if scored:
                results.append(_result(index, offset + i + 1, *scored[0]))
        answer = Answer(parsed, results, len(reports), offset, overviews=overviews)
    if not reports:
        answer.notice, answer.notice_en = empty_notice(index, parsed)
    return answer


async def _focused_sections(index: SearchIndex, parsed: ParsedQuestion, reports: list[int], top_k: int,
                            offset: int) -> Answer:
    """明年工作计划, 经信局存在什么不足: the plans or problems sections of the reports named (or of all),
    newest report first, each report's in their order."""
    rows: list[PassageRow] = []
    for report_id in reports:
        rows += [row for row in await index.report_sections(report_id)
                 if index.kinds.of_passage(row.section, row.norm_text) & parsed.focus]
    page = rows[offset : offset + top_k]
    results = [_result(index, offset + i + 1, 0.0, row) for i, row in enumerate(page)]
    answer = Answer(parsed, results, len(rows), offset)
    if not rows:
        answer.notice, answer.notice_en = empty_notice(index, parsed)
    return answer
