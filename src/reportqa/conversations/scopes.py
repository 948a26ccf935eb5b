"""A chat's standing scope (``/scope 大足区``) as the served index reads it: every channel's questions,
pages, exports and notices are answered within it."""

from __future__ import annotations

import asyncio
import logging

from reportqa.answers.reading import parse
from reportqa.answers.scope import Scope, ScopeProblem, read_scope
from reportqa.retrieval.searcher import SearchIndex

log = logging.getLogger(__name__)
_read: dict[tuple[str, str], Scope | ScopeProblem] = {}  # (generation, text) → what it names there


async def scope_of(searcher: SearchIndex, text: str) -> Scope | ScopeProblem:
    """A scope text read against this index (cached: a chat's every question needs it)."""
    key = (searcher.generation.name, text)
    if key not in _read:
        if len(_read) > 1000:
            _read.clear()
        _read[key] = read_scope(await asyncio.to_thread(parse, searcher, text))
    return _read[key]


async def usable_scope(searcher: SearchIndex, text: str | None) -> Scope | None:
    """A stored scope text as this index reads it; None for none, or when the index no longer holds
    anything of it (questions then go unscoped rather than unanswered)."""
    if not text:
        return None
    scope = await scope_of(searcher, text)
    if isinstance(scope, ScopeProblem):
        log.warning("the scope %r names nothing in this index", text)
        return None
    return scope


def scope_reports(searcher: SearchIndex, scope: Scope) -> int:
    """How many reports a scope holds (its units' reports in its years)."""
    reports = len(scope.report_ids) if scope.report_ids is not None else len(searcher.reports)
    if scope.years:
        ids = scope.report_ids if scope.report_ids is not None else searcher.reports.keys()
        reports = sum(1 for i in ids if i in searcher.reports and searcher.reports[i].year in scope.years)
    return reports
