"""A unit at a glance (``/unit 名称``): its reports by year, each with its outline, and the topics it
reports most, so a newcomer sees what a unit does before asking about it.

A unit is what ``ReportInfo.unit_key`` says: the same kind in the same place, or one ministry; a report
whose unit or place is unknown stands alone. Topics are the words found in the most of the unit's
passages, weighed by how rare they are in the whole index (a word every report uses, 法治 or 工作,
says nothing about this unit), without the unit's own name and place.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from reportqa.answers.compose import outline_of
from reportqa.answers.wording import is_generic_word
from reportqa.domain.rules import load_word_set
from reportqa.domain.section_kinds import DONE
from reportqa.domain.text import normalise
from reportqa.retrieval.searcher import ReportInfo, SearchIndex

TOPICS = 8
MIN_LIFT_LOG = math.log(2)  # a topic is in at least twice the share of the unit's passages as of all
DOMINANT_SHARE = 0.25
_TOPIC_WORD = re.compile(r"^[\u3400-\u9fff]{2,}$")
_NUMBERED = re.compile(r"^[一二三四五六七八九十百]+[中届次]?$")  # 十九, 二中 (of 十九届二中全会)


@dataclass(frozen=True)
class UnitReport:
    report: ReportInfo
    outline: list[str]  # its top-level headings


@dataclass(frozen=True)
class UnitPage:
    name: str
    region: str | None
    reports: list[UnitReport]  # newest first
    topics: list[str]
    passages: int


def units_among(index: SearchIndex, report_ids: Iterable[int]) -> list[list[ReportInfo]]:
    """The reports grouped by unit, units by name (unknown last), each unit's reports newest first."""
    groups: dict[str, list[ReportInfo]] = {}
    for report_id in report_ids:
        report = index.reports.get(report_id)
        if report is not None:
            groups.setdefault(report.unit_key, []).append(report)
    units = [sorted(g, key=lambda r: (r.year or 0, r.date or "", r.id), reverse=True) for g in groups.values()]
    return sorted(units, key=lambda g: (g[0].unit is None, g[0].unit or g[0].source, g[0].region or ""))


def unit_of(index: SearchIndex, report_id: int) -> list[ReportInfo]:
    """Every report of the unit that wrote this one (just this one when its unit is not known)."""
    report = index.reports.get(report_id)
    if report is None:
        return []
    return units_among(index, [r.id for r in index.reports.values() if r.unit_key == report.unit_key])[0]


def top_topics(passages: list[str], tokens: Callable[[str], list[str]], idf: Callable[[str], float],
               exclude: set[str], count: int = TOPICS, index_share: float = 0.0,
               generic: Callable[[str], bool] = is_generic_word) -> list[str]:
    """The words that set the unit's passages apart from the index: in many of them, and in a larger
    share of them than of all passages (keyness: passages × log of that ratio, ``idf`` being the log
    of the inverse share in the index). 需要 or 完善, in every report, are never topics however often
    the unit writes them. When the unit is much of the index (``index_share`` of its passages, over
    a quarter: a bureau's library of its own reports) nothing can stand out against the rest, and the
    words are weighed by passages × IDF alone. A word inside a topic already chosen (执法 beside
    执法培训), or holding one, is not chosen again; words of one passage only are not topics, nor are
    ``generic`` words (function words and everyday verbs: 关于, 实现, 加快 — issue 32)."""
    seen: Counter[str] = Counter()
    for text in passages:
        seen.update({t for t in tokens(text) if _TOPIC_WORD.match(t) and not _NUMBERED.match(t) and t not in exclude
                     and not generic(t)})
    total = max(len(passages), 1)
    weight: dict[str, float] = {}
    for word, n in seen.items():
        if n < 2:
            continue
        lift = math.log(n / total) + idf(word)  # log of (share in the unit / share in the index)
        if index_share > DOMINANT_SHARE:
            weight[word] = n * idf(word)
        elif lift >= MIN_LIFT_LOG:
            weight[word] = n * lift
    scored = sorted(((k, w) for w, k in weight.items() if k > 0), key=lambda s: (-s[0], s[1]))
    chosen: list[str] = []
    for _, word in scored:
        if any(word in other or other in word for other in chosen):
            continue
        chosen.append(word)
        if len(chosen) == count:
            break
    return chosen


async def unit_page(index: SearchIndex, reports: list[ReportInfo]) -> UnitPage:
    """The page of one unit's reports (as ``units_among`` groups them)."""
    texts: list[str] = []
    entries: list[UnitReport] = []
    for report in reports:
        rows = await index.report_sections(report.id)
        # what it did, not what it plans or lacks (下一步打算, 存在的问题 are every report's closing)
        texts += [row.norm_text for row in rows if index.kinds.of_passage(row.section, row.norm_text) == DONE]
        entries.append(UnitReport(report, outline_of([row.section for row in rows])))
    own = " ".join(normalise(x) for r in reports for x in (r.unit or "", r.region or "") if x)
    exclude = (set(index.tokenizer.words(own)) if own else set()) | load_word_set(
        index.settings.config_dir / "topic_stopwords.txt")
    share = sum(r.passage_count for r in reports) / max(index.passage_count, 1)
    topics = top_topics(texts, index.tokenizer.phrases, index.idf, exclude, index_share=share)
    first = reports[0]
    return UnitPage(first.unit or "", first.region, entries, topics, sum(r.passage_count for r in reports))
