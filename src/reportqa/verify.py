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

from reportqa import store
from reportqa.boilerplate import content
from reportqa.question import ParsedQuestion
from reportqa.search import Ranking, SearchIndex, covers
from reportqa.section_kinds import DONE
from reportqa.text import normalise

FETCH_BATCH = 200  # candidate passages read from SQLite at a time
_FIGURE = re.compile(r"(?<![\d.])(?!(?:19|20)\d{2}\s*年)\d+(?:\.\d+)?%?")  # a figure, not a year
FIGURE_REACH = 16  # a figure this many characters from the word asked about belongs to it
_SENTENCE_END = re.compile(r"[。；！？!?\n]")


@dataclass(frozen=True)
class Checked:
    """A candidate that passed, with what ordering needs."""

    doc: int
    score: float
    focused: bool  # its section is of the kind the question is about
    figure: bool  # holds a figure next to what is asked


def evidence_text(norm_text: str, index: SearchIndex, keep_absence: bool) -> str:
    """What of a passage can be evidence: no boilerplate clause, and (unless the question is about
    problems) no statement that something is lacking."""
    text = content(norm_text, index.boilerplate)
    if not keep_absence:
        text = index.kinds.without_absence(text)
    return text.lower()


def has_figure_near(text: str, words: list[str]) -> bool:
    """A number right beside one of the question's words (执法检查工作23次, 持证比例98%以上)."""
    figures = [m.span() for m in _FIGURE.finditer(text)]
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


async def verified(index: SearchIndex, parsed: ParsedQuestion, ranking: Ranking) -> Ranking:
    """The candidates that their text bears out, in the order the question calls for."""
    if len(ranking) == 0:
        return ranking
    problems = bool(parsed.focus & index.kinds.bit("problems")) if "problems" in index.kinds.names else False
    # a question about what is lacking (哪些单位没有发生行政复议案件) takes such statements as its answer
    asks_absence = problems or (index.kinds.absence is not None and bool(index.kinds.absence.search(
        normalise(parsed.text))))
    doing_units = parsed.intent == "units" and parsed.focus == DONE
    words = sorted({t for c in parsed.concepts for alt in c.alternatives for t in alt}, key=len, reverse=True)
    kept: list[Checked] = []
    for start in range(0, len(ranking), FETCH_BATCH):
        docs = ranking.docs[start : start + FETCH_BATCH]
        ids = [int(index.passage_ids[d]) for d in docs]
        texts = await store.read_norm_texts(index.db, ids)
        for doc, score, pid in zip(docs, ranking.scores[start : start + FETCH_BATCH], ids, strict=True):
            kind = int(index.passage_kind[doc])
            if doing_units and kind != DONE:
                continue  # what a unit plans or lacks is not what it did
            text = evidence_text(texts.get(pid, ""), index, keep_absence=asks_absence)
            if not covers(parsed, lambda token, text=text: token in text, index.idf, index.settings):
                continue
            focused = parsed.focus != DONE and bool(kind & parsed.focus)
            figure = parsed.wants_figure and has_figure_near(text, words)
            kept.append(Checked(int(doc), float(score), focused, figure))
    kept.sort(key=lambda c: (not c.focused, not c.figure))  # stable: the scores' order within
    return Ranking(np.array([c.doc for c in kept], dtype=np.int64), np.array([c.score for c in kept]))
