"""What the retriever is asked: a question read into concepts, filters and an intent.

``answers/question.py`` reads a question into a ``ParsedQuestion``; the retriever (``searcher.py``)
ranks and checks passages against it. The types live here, below both, so that retrieval never
imports the reading of questions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Intent = Literal["units", "passages", "overview"]
SYNONYM_WEIGHT = 0.5  # a synonym of an asked word scores half of what the word itself does


@dataclass(frozen=True)
class Concept:
    """One thing the question asks about.

    ``alternatives`` are ways of saying it, each a tuple of the finest index tokens it consists of
    (法律顾问 → 法律, 顾问); a passage covers the concept as far as it holds the tokens of its best
    alternative. ``tokens`` are what is scored: the finest tokens and the longer compounds around
    them (法律顾问 itself), so an exact phrase outranks scattered words.
    """

    label: str
    alternatives: tuple[tuple[str, ...], ...]
    tokens: tuple[str, ...]
    synonyms: tuple[tuple[str, ...], ...] = ()  # other words for it (config/synonyms.txt): cover it, score less
    phrases: tuple[str, ...] = ()  # per alternative, the compound it is (行政执法), "" if none

    def phrase_of(self, index: int) -> str:
        return self.phrases[index] if index < len(self.phrases) else ""


def finest(tokens: list[str]) -> list[str]:
    """Tokens that contain no other token of the list (jieba's search mode emits 执法, 培训 and
    执法培训; the finest are 执法 and 培训)."""
    unique = list(dict.fromkeys(tokens))
    return [t for t in unique if not any(o != t and o in t for o in unique)]


@dataclass
class ParsedQuestion:
    text: str
    language: Literal["zh", "en"]
    intent: Intent
    years: list[int] = field(default_factory=list)
    unit_words: list[str] = field(default_factory=list)  # the words that named units or places
    unit_names: list[str] = field(default_factory=list)  # the indexed units those words point at
    report_ids: set[int] | None = None  # the reports those words point at; None = no unit filter
    missing_unit: str | None = None  # a unit or place named that no indexed report is from
    place_label: str | None = None  # the places (or region) of a missing unit, when they have other reports
    place_report_ids: set[int] = field(default_factory=set)  # those places' reports of any unit
    filter_label: str | None = None  # what the unit words ask for: 绍兴市市场监督管理局, 大足区
    filter_is_place: bool = False  # the words named only places (地区), not a unit or a kind
    concepts: list[Concept] = field(default_factory=list)
    unknown_words: list[str] = field(default_factory=list)  # English words the glossary lacks
    unmatched_units: list[str] = field(default_factory=list)  # unit names no indexed report has
    optional_tokens: list[str] = field(default_factory=list)  # scored, but not needed to answer
    filter_tokens: list[str] = field(default_factory=list)  # the unit words' tokens: satisfied by the filter
    wants_figure: bool = False  # asks for a number (多少, 几, 比例, how many)
    asks_overview: bool = False  # asks what a unit did (做了什么, 主要举措, overview)
    compares: bool = False  # asks for a unit's years side by side (对比, 历年, compare)
    focus: int = 0  # section kinds the question is about (section_kinds bits; 0 = what was done)
    absent_words: list[str] = field(default_factory=list)  # topic words no report contains: nothing answers
    slips: list[tuple[str, str]] = field(default_factory=list)  # input-method slips read as meant (陪训 → 培训)
    chat_phrases: list[str] = field(default_factory=list)  # chat phrasing taken out (帮我查一下, 怎么样)
    content_text: str = ""  # the question's text without its years, units and cues: what it says in a row
    required: list[str] = field(default_factory=list)  # concepts every answer must hold (只看培训的: 培训)

    @property
    def tokens(self) -> list[str]:
        """Every token to score, alternatives included, each once."""
        return list(dict.fromkeys([*(t for c in self.concepts for t in c.tokens), *self.optional_tokens]))

    @property
    def weak_tokens(self) -> list[str]:
        """The synonyms' tokens, scored at ``SYNONYM_WEIGHT`` (those not asked for themselves)."""
        asked = set(self.tokens)
        return list(dict.fromkeys(t for c in self.concepts for alt in c.synonyms for t in alt if t not in asked))
