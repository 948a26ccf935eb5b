"""Checking candidates against their text before they are shown.

The postings rank passages by their words; this reads the candidates themselves:

- **boilerplate** (``boilerplate.py``: clauses found in many reports) and **statements of absence**
  (``config/section_kinds.toml`` ``[absence]``: 无行政执法权, 缺乏专业培训, 尚未开展) are no evidence: the
  coverage rule is applied again to what is left of the text;
- a **plans or problems passage never stands for what a unit did**: a units answer about doing
  takes each unit's evidence from its done sections;
- a question about **problems or plans** gets those sections first, a question asking for a **number**
  the passages holding a figure next to what it asks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from reportqa.answers.question import ParsedQuestion
from reportqa.domain.numbers import FIGURE
from reportqa.domain.section_kinds import DONE
from reportqa.domain.text import normalise
from reportqa.retrieval.retriever import PassageRow
from reportqa.retrieval.searcher import PHRASE_APART, Ranking, SearchIndex

FETCH_BATCH = 40  # candidate passages read from SQLite at a time, after the first window
FIRST_WINDOW_MARGIN = 4  # the first window: what the page needs and this many more (most candidates pass:
# 40 rows read where 10 would do cost 0.5 ms of a 2.8 ms answer at 100k passages)
FIGURE_REACH = 16  # a figure this many characters from the word asked about belongs to it
_SENTENCE_END = re.compile(r"[。；！？!?\n]")


@dataclass(frozen=True)
class Checked:
    """A candidate that passed, with what ordering needs."""

    doc: int
    score: float
    figure: bool  # holds a figure next to what is asked


def evidence_text(norm_text: str, index: SearchIndex, keep_absence: bool, words: tuple[str, ...] | None = None,
                  ) -> str:
    """What of a passage can be evidence: no boilerplate clause, and (unless the question is about
    problems) no statement that something is lacking. With ``words`` (all a check looks for, in
    lower case), only the clauses holding one of them: the same verdict for that check, for a few
    clauses' work (a clause never holds a word across its punctuation)."""
    text = index.without_boilerplate(norm_text, words)
    if not keep_absence:
        text = index.kinds.without_absence(text)
    return text.lower()


def has_figure_near(text: str, words: list[str]) -> bool:
    """A number right beside one of the question's words (执法检查工作23次, 持证比例98%以上)."""
    figures = [m.span() for m in FIGURE.finditer(text)]
    if not figures:
        return False
    for word in words:
        start = text.find(word)
        while start != -1:
            end = start + len(word)
            for s, e in figures:  # near, and in the same sentence
                if s - end <= FIGURE_REACH and start - e <= FIGURE_REACH // 2 and not _SENTENCE_END.search(
                        text, min(end, e), max(start, s)):
                    return True
            start = text.find(word, end)
    return False


@dataclass(frozen=True)
class TextCheck:
    """The coverage rule of ``search.covers`` compiled for one question, applied to plain texts."""

    concepts: tuple[tuple[float, tuple[tuple[tuple[tuple[str, float], ...], float, str, float], ...], bool], ...]
    satisfied: float
    min_whole: float
    min_own: float

    @classmethod
    def of(cls, index: SearchIndex, parsed: ParsedQuestion) -> TextCheck:
        concepts = []
        content_weight = 0.0
        for concept in parsed.concepts:
            ways = [_way(index, alt, concept.phrase_of(i)) for i, alt in enumerate(concept.alternatives)]
            weight = max(w for _, w, _ in ways)
            # a way of saying it counts as much as it says (search.covers): as a share of the concept
            ways = [(tokens, total, phrase, total / weight if weight > 0 else 1.0) for tokens, total, phrase in ways]
            # another word for it (政府律师 for 公职律师) is a compound as the question's own: whole, or in part
            ways += [(*_way(index, alt, "".join(alt) if len(alt) > 1 else ""), 1.0) for alt in concept.synonyms]
            concepts.append((weight, tuple(ways), concept.label in parsed.required))
            content_weight += weight
        satisfied = float(sum(index.idf(t) for t in parsed.filter_tokens if t in index.term_id))  # (search.covers)
        settings = index.settings
        return cls(tuple(concepts), satisfied, settings.min_coverage * (content_weight + satisfied),
                   settings.min_content_coverage * content_weight)

    @property
    def words(self) -> tuple[str, ...]:
        """Every string ``passes`` looks for in a text."""
        found = {phrase for _, ways, _ in self.concepts for _, _, phrase, _ in ways if phrase}
        found |= {t for _, ways, _ in self.concepts for tokens, _, _, _ in ways for t, _ in tokens}
        return tuple(sorted(w for w in found if w))

    def passes(self, text: str, unit: str = "") -> bool:
        """Whether a passage's evidence text answers; ``unit`` (its unit's normalised name) may hold a
        required concept instead (只看交通的: a 交通局's passage)."""
        covered = 0.0
        for weight, ways, required in self.concepts:
            best = 0.0
            for tokens, total, phrase, worth in ways:
                if total <= 0:
                    continue
                if phrase:  # whole: in full; its pieces all apart: in part; a piece missing: not at all
                    share = 1.0 if phrase in text else (PHRASE_APART if all(t in text for t, _ in tokens) else 0.0)
                else:
                    share = sum(w for t, w in tokens if t in text) / total
                best = max(best, share * worth)
                if best >= 1.0:
                    break
            if required and best < 1.0 and unit and any(tokens and all(t in unit for t, _ in tokens)
                                                       for tokens, _, _, _ in ways):
                best = 1.0
            if required and best <= 0:  # 只看培训的: 培训 or nothing
                return False
            covered += weight * best
        return bool(self.concepts) and covered + self.satisfied >= self.min_whole - 1e-9 and (
            covered >= self.min_own - 1e-9)


def _way(index: SearchIndex, tokens: tuple[str, ...], phrase: str) -> tuple[tuple[tuple[str, float], ...], float, str]:
    """One way of saying a concept: its tokens with their IDF, their sum, the compound it is."""
    weights = tuple((t, index.idf(t)) for t in tokens)
    return weights, sum(w for _, w in weights), phrase


async def verified(index: SearchIndex, parsed: ParsedQuestion, ranking: Ranking, need: int) -> Ranking:
    """The candidates that their text bears out, in the order the question calls for.

    What needs no text is done for all of them: a units answer about doing keeps done sections
    only, a question about problems or plans gets those sections first. The text is then read in
    windows from the top until ``need`` results (units, for a units answer) have passed, so a
    question costs a page's worth of reading; the candidates below stay in their order, unread.
    """
    if len(ranking) == 0:
        return ranking
    docs, scores = ranking.docs, ranking.scores
    kinds = index.passage_kind[docs].astype(np.int64)
    if parsed.intent == "units" and parsed.focus == DONE:  # what a unit plans or lacks is not what it did
        keep = kinds == DONE
        docs, scores, kinds = docs[keep], scores[keep], kinds[keep]
    if parsed.focus != DONE:  # the sections asked about first, each group in its scores' order
        order = np.argsort(~((kinds & parsed.focus) > 0), kind="stable")
        docs, scores = docs[order], scores[order]
    problems = "problems" in index.kinds.names and bool(parsed.focus & index.kinds.bit("problems"))
    # a question about what is lacking (哪些单位没有发生行政复议案件) takes such statements as its answer
    asks_absence = problems or (index.kinds.absence is not None and bool(index.kinds.absence.search(
        normalise(parsed.text))))
    check = TextCheck.of(index, parsed)
    # the clauses holding the question's words are all the check reads; a figure may sit in the next
    looked_for = None if parsed.wants_figure else check.words
    words = sorted({t for c in parsed.concepts for alt in c.alternatives for t in alt}, key=len, reverse=True)
    groups = index.unit_group(docs) if parsed.intent == "units" else None
    kept: list[Checked] = []
    rows: dict[int, PassageRow] = {}
    seen_groups: set[int] = set()
    read = 0

    def full() -> bool:
        return (len(seen_groups) if groups is not None else len(kept)) >= need

    while read < len(docs) and not full():
        window = docs[read : read + (FETCH_BATCH if read else need + FIRST_WINDOW_MARGIN)]
        rows.update(await index.passage_rows([int(index.passage_ids[d]) for d in window]))
        for doc in window:  # stops as soon as the page is full: the rest stay in their order, unread
            row = rows.get(int(index.passage_ids[doc]))
            text = evidence_text(row.norm_text if row else "", index, asks_absence, looked_for)
            read += 1
            if not check.passes(text, index.unit_name(int(doc)) if parsed.required else ""):
                continue
            figure = parsed.wants_figure and has_figure_near(text, words)
            kept.append(Checked(int(doc), float(scores[read - 1]), figure))
            if groups is not None:
                seen_groups.add(int(groups[read - 1]))
            if full():
                break
    if parsed.wants_figure:
        kept.sort(key=lambda c: not c.figure)  # stable: the scores' order within
    return Ranking(np.concatenate([np.array([c.doc for c in kept], dtype=np.int64), docs[read:]]),
                   np.concatenate([np.array([c.score for c in kept]), scores[read:]]), rows)
