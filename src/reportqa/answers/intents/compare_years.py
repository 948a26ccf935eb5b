"""One unit's years side by side on a topic: ``应急管理局2021年和2022年普法对比``, ``大足区应急管理局历年执法培训``.

A comparison question names a unit (or a kind and place that point at one) and a topic; the answer is,
per year, that unit's best passages on the topic (or a plain "nothing on it that year"), and the
figures that changed between years (``培训5次`` → ``培训8次``), each side with its citation. Figures are
read from the passages shown, so every number in the list can be checked in the excerpt above it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from reportqa.answers.question import ParsedQuestion
from reportqa.domain.numbers import FIGURE
from reportqa.retrieval.searcher import Result, SearchIndex

MAX_YEARS = 6  # the most recent years shown; older ones are named as left out
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_CLAUSE_BREAK = re.compile(r"[，。；：、,;:（）()《》“”\"\s!！?？]")
_RATE_SUFFIXES = frozenset("率数量额度")  # one character that makes a word a measure: 办结 + 率
_CJK_WORD = re.compile(r"^[\u3400-\u9fff]{2,}$")


@dataclass(frozen=True)
class Figure:
    """A number a passage reports, named by the word before it: 培训 5 次 (shown as 执法培训)."""

    label: str  # the shortest word ending where the number starts: what years are matched on
    name: str  # the longest such word, for display
    value: float
    measure: str
    written: str  # the clause up to it, as the passage's normalised text has it: 执法培训5次

    @property
    def key(self) -> tuple[str, str]:
        return self.label, "%" if self.measure == "％" else self.measure


def figures_in(text: str, words: Callable[[str], list[str]]) -> list[Figure]:
    """The figures of a text, each named by the words (two characters or more) its clause ends with
    before the number: 开展执法培训5次 → 培训 (执法培训), 5, 次; where none ends there (参训人数达160人),
    the clause's last such word: 人数. A number with no word before it in its clause (a bare count)
    is left out, as are dates (年, 月, 日 are no measure here)."""
    found: list[Figure] = []
    for match in FIGURE.finditer(text):  # the figures excerpts mark: never a year, 余 and 多 allowed
        number = _NUMBER.match(match.group(0))
        assert number is not None  # every FIGURE starts with one
        measure = match.group(0)[number.end():].replace("余", "").replace("多", "").strip()
        if not measure or measure == "月":  # a bare count, or a date's month
            continue
        clause = _CLAUSE_BREAK.split(text[: match.start()])[-1][-16:]
        cut = [w for w in words(clause) if _CJK_WORD.match(w)]
        ending = [w for w in cut if clause.endswith(w)]
        if not ending and cut and clause[-1:] in _RATE_SUFFIXES and clause[:-1].endswith(cut[-1]):
            ending = [cut[-1] + clause[-1]]  # 办结率, 参训人数
        ending = ending or cut[-1:]
        if not ending:
            continue
        start = match.start() - len(clause)
        found.append(Figure(min(ending, key=len), max(ending, key=len), float(number.group(0)), measure,
                            text[start : match.end()].strip()))
    return found


@dataclass(frozen=True)
class FigureChange:
    label: str  # as the earlier year names it
    measure: str
    before: tuple[int, Figure, Result]  # (year, figure, the passage it is in)
    after: tuple[int, Figure, Result]


def figure_changes(years: list[tuple[int, list[Result]]], words: Callable[[str], list[str]]) -> list[FigureChange]:
    """The figures named alike (same word, same measure) in consecutive years shown whose values differ;
    the first mention in a year's best passages stands for that year."""
    per_year: list[tuple[int, dict[tuple[str, str], tuple[Figure, Result]]]] = []
    for year, results in years:
        seen: dict[tuple[str, str], tuple[Figure, Result]] = {}
        for result in results:
            for figure in figures_in(result.norm_text, words):
                seen.setdefault(figure.key, (figure, result))
        per_year.append((year, seen))
    changes: list[FigureChange] = []
    for (year_a, a), (year_b, b) in itertools.pairwise(per_year):
        for key in a.keys() & b.keys():
            (fa, ra), (fb, rb) = a[key], b[key]
            if fa.value != fb.value:
                changes.append(FigureChange(fa.name, key[1], (year_a, fa, ra), (year_b, fb, rb)))
    changes.sort(key=lambda c: (c.before[0], c.before[2].rank, c.before[2].text.find(c.before[1].written)))
    return changes


@dataclass
class YearColumn:
    year: int
    results: list[Result]  # empty: the unit's report of that year says nothing on the topic
    has_report: bool = True  # False: no report of the unit for that year at all


@dataclass
class Comparison:
    unit: str  # the unit compared, as cited
    years: list[YearColumn]
    changes: list[FigureChange] = field(default_factory=list)
    other_units: int = 0  # units the question's words also fit (the best-answering one is compared)
    years_left_out: list[int] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "unit": self.unit,
            "years": [{"year": c.year, "has_report": c.has_report, "passage_ids": [r.passage_id for r in c.results]}
                      for c in self.years],
            "changes": [{"label": c.label, "measure": c.measure, "before": _side(c.before), "after": _side(c.after)}
                        for c in self.changes],
            "other_units": self.other_units,
            "years_left_out": self.years_left_out,
        }


def _side(side: tuple[int, Figure, Result]) -> dict:
    year, figure, result = side
    return {"year": year, "value": figure.value, "text": figure.written, "passage_id": result.passage_id}


def per_year_count(years: int) -> int:
    """Passages shown for each year: two side by side for two or three years, one beyond."""
    return 2 if years <= 3 else 1


async def compare_years(index: SearchIndex, parsed: ParsedQuestion,
                        ranked: Callable) -> tuple[Comparison, list[Result]] | None:
    """The comparison for a question naming units and a topic, or None when it names no unit or no
    report of those units says anything on the topic in any year asked. ``ranked`` is
    ``answers.ranked_answers`` (checked passages, best first)."""
    if parsed.report_ids is None or not parsed.report_ids or not parsed.concepts:
        return None
    overall = await ranked(index, replace(parsed, intent="passages"), 1)
    if not len(overall):
        return None
    best = int(overall.docs[0])
    best_report = index.reports[int(index.passage_report[best])]
    unit_key = best_report.unit_key
    reports = [index.reports[i] for i in parsed.report_ids if i in index.reports
               and index.reports[i].unit_key == unit_key]
    units = {index.reports[i].unit_key for i in parsed.report_ids if i in index.reports}
    held = sorted({r.year for r in reports if r.year})
    asked = sorted(set(parsed.years)) if parsed.years else held
    shown, left_out = asked[-MAX_YEARS:], asked[:-MAX_YEARS]
    count = per_year_count(len(shown))
    columns: list[YearColumn] = []
    results: list[Result] = []
    for year in shown:
        ids = {r.id for r in reports if r.year == year}
        if not ids:
            columns.append(YearColumn(year, [], has_report=False))
            continue
        year_parsed = replace(parsed, intent="passages", years=[year], report_ids=ids)
        page = (await ranked(index, year_parsed, count)).page(0, count)
        found = await index.results(year_parsed, page, len(results))
        results += found
        columns.append(YearColumn(year, found))
    comparison = Comparison(best_report.unit or "", columns, other_units=len(units) - 1, years_left_out=left_out)
    comparison.changes = figure_changes([(c.year, c.results) for c in columns if c.results], index.tokenizer.words)
    return comparison, results
