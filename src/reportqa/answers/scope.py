"""A chat's standing scope (``/scope 大足区``, ``/scope 应急管理局 2021-2023``): which units, places and
years its questions are about unless a question says otherwise.

A scope is kept as the text the administrator wrote and read again against the index that answers
(a rebuilt index may hold more of 大足区's reports); ``read_scope`` says what it names, or why it
cannot be a scope, and ``apply_scope`` narrows a parsed question by it. Both are pure.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from reportqa.answers.question import ParsedQuestion

MAX_SCOPE_CHARS = 60
OFF_WORDS = frozenset({"off", "none", "clear", "关闭", "取消", "清除", "无", "全部"})


@dataclass(frozen=True)
class Scope:
    text: str  # as written by whoever set it
    years: tuple[int, ...]
    report_ids: frozenset[int] | None  # None: no unit or place part
    label: str  # 大足区 · 2021–2023
    units: tuple[str, ...]  # the indexed units it covers
    filter_is_place: bool


@dataclass(frozen=True)
class ScopeProblem:
    """Why a text cannot be a scope, in both languages."""

    zh: str
    en: str


def years_label(years: tuple[int, ...] | list[int]) -> str:
    years = sorted(years)
    if len(years) > 2 and years == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}–{years[-1]}"
    return "、".join(map(str, years))


def read_scope(parsed: ParsedQuestion) -> Scope | ScopeProblem:
    """What a scope text (parsed as a question would be) names: a unit, a kind, a place and/or
    years, and nothing else. A topic word (普法) is not a scope; a unit or place with no indexed
    report is refused (the chat would get nothing)."""
    if parsed.missing_unit:
        return ScopeProblem(f"未收录{parsed.missing_unit}的报告，不能设为范围。",
                            f"No reports from {parsed.missing_unit} are indexed; that cannot be a scope.")
    topic = [c.label for c in parsed.concepts] + parsed.unmatched_units
    if topic:
        words = "、".join(topic)
        return ScopeProblem(f"范围只能是单位、地区或年份；“{words}”不是。",
                            f"A scope is units, places or years; “{words}” is none of those.")
    if parsed.report_ids is None and not parsed.years:
        return ScopeProblem("没有识别出单位、地区或年份，例如：/scope 大足区 或 /scope 应急管理局 2021-2023",
                            "No unit, place or year found; e.g. /scope 大足区 or /scope 应急管理局 2021-2023")
    if parsed.report_ids is not None and not parsed.report_ids:
        return ScopeProblem("这个范围内没有报告。", "No reports are in that scope.")
    parts = [parsed.filter_label or "、".join(parsed.unit_names[:3])] if parsed.report_ids is not None else []
    if parsed.years:
        parts.append(years_label(parsed.years))
    return Scope(
        text=parsed.text,
        years=tuple(parsed.years),
        report_ids=frozenset(parsed.report_ids) if parsed.report_ids is not None else None,
        label=" · ".join(p for p in parts if p),
        units=tuple(parsed.unit_names),
        filter_is_place=parsed.filter_is_place,
    )


@dataclass(frozen=True)
class Scoped:
    question: ParsedQuestion
    applied: bool  # the scope narrowed the question (at least in part)
    overridden: bool  # the question named its own unit, place or year where the scope has one


def names_units(parsed: ParsedQuestion) -> bool:
    return bool(parsed.report_ids is not None or parsed.missing_unit or parsed.unit_words or parsed.unmatched_units)


def apply_scope(parsed: ParsedQuestion, scope: Scope | None) -> Scoped:
    """The question inside the scope: the scope's units where the question names none, its years
    where the question names none. A question that names a unit, a place or a year of its own is
    answered for what it names (the chat is told the scope was not used for that part)."""
    if scope is None:
        return Scoped(parsed, False, False)
    changes: dict = {}
    overridden = False
    if scope.report_ids is not None:
        if names_units(parsed):
            overridden = True
        else:
            changes.update(report_ids=set(scope.report_ids), unit_names=list(scope.units),
                           filter_label=scope.label.split(" · ")[0] or None, filter_is_place=scope.filter_is_place)
    if scope.years:
        if parsed.years:
            overridden = True
        else:
            changes["years"] = list(scope.years)
    if not changes:
        return Scoped(parsed, False, overridden)
    scoped = replace(parsed, **changes)
    if not scoped.concepts and scoped.intent != "overview" and not scoped.unmatched_units:
        scoped = replace(scoped, intent="overview")  # no topic: the scope's reports themselves
    return Scoped(scoped, True, overridden)
