"""Snippets: the part of a passage worth showing, with the question's words located in it.

Matching happens in the normalised text (simplified, NFKC) and is mapped back to the original
characters, so a traditional-character passage is shown as written with the right words marked.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from reportqa.domain.numbers import FIGURE
from reportqa.domain.text import to_simplified

Span = tuple[int, int]


def _char_map(text: str, norm_text: str) -> list[int] | None:
    """For each position of ``norm_text``, the position in ``text``; None when they align 1:1."""
    if len(text) == len(norm_text):
        return None
    mapping: list[int] = []
    for i, ch in enumerate(text):
        mapping.extend([i] * len(to_simplified(unicodedata.normalize("NFKC", ch))))
    return mapping


def find_spans(text: str, norm_text: str, terms: list[str]) -> list[Span]:
    """Where the terms occur, as merged spans of the original ``text``."""
    lowered = norm_text.lower()
    spans: list[Span] = []
    for term in sorted(set(terms), key=len, reverse=True):
        if not term:
            continue
        start = lowered.find(term)
        while start != -1:
            spans.append((start, start + len(term)))
            start = lowered.find(term, start + len(term))
    mapping = _char_map(text, norm_text)
    if mapping is not None:
        spans = [(mapping[min(s, len(mapping) - 1)], mapping[min(e - 1, len(mapping) - 1)] + 1) for s, e in spans]
    spans.sort()
    merged: list[Span] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


@dataclass(frozen=True)
class Snippet:
    text: str
    spans: list[Span]  # relative to ``text``
    cut_before: bool
    cut_after: bool


_SENTENCE = re.compile(r"[^。；！？!?\n]*(?:[。；！？!?]+|\n|$)")
_CLAUSE_END = "，,、：:"
FIGURE_REACH = 16  # a figure this many characters from a matched word is what the question asks


def sentences(text: str) -> list[Span]:
    """The sentences of a text as spans (a sentence ends at 。；！？ or a line end)."""
    out: list[Span] = []
    for match in _SENTENCE.finditer(text):
        if match.end() > match.start() and text[match.start():match.end()].strip():
            out.append(match.span())
    return out


def figure_spans(text: str, spans: list[Span], start: int = 0, end: int | None = None) -> list[Span]:
    """The figures in ``text[start:end]`` that stand beside a matched word (执法检查工作23次)."""
    end = len(text) if end is None else end
    found = []
    for match in FIGURE.finditer(text, start, end):
        s, e = match.span()
        if any(s - me <= FIGURE_REACH and ms - e <= FIGURE_REACH // 2
               and not any(ch in "。；！？!?\n" for ch in text[min(me, e):max(ms, s)]) for ms, me in spans):
            found.append((s, e))
    return found


def key_marks(text: str, spans: list[Span], sentence: Span) -> list[Span]:
    """What an excerpt marks (issue 32: sparingly): the question's words in its key sentence only, each
    word once (its first occurrence there) — not every occurrence in the passage."""
    seen: set[str] = set()
    kept: list[Span] = []
    for start, end in sorted(spans):
        if start >= sentence[0] and end <= sentence[1] and (word := text[start:end].lower()) not in seen:
            seen.add(word)
            kept.append((start, end))
    return kept


def make_snippet(text: str, spans: list[Span], width: int = 180, figures: bool = False) -> Snippet:
    """Whole sentences, about ``width`` characters: the sentence carrying the most of the question's
    words (and, when ``figures``, a figure beside them), then its neighbours while they fit. A
    sentence too long to show whole is cut after a clause, never inside a word; the key sentence's
    words are marked once each, with the figures asked for beside them."""
    units = sentences(text) or [(0, len(text))]

    def worth(unit: Span) -> tuple[bool, int, int]:
        """(a figure beside the words, how much of the question it says, how often)."""
        inside = [(s, e) for s, e in spans if s >= unit[0] and e <= unit[1]]
        figure = bool(figures and inside and figure_spans(text, inside, unit[0], unit[1]))
        return figure, sum(len(w) for w in {text[s:e] for s, e in inside}), len(inside)

    best = max(range(len(units)), key=lambda i: (worth(units[i]), -i))
    spans = key_marks(text, spans, units[best])
    if len(text) <= width:
        marks = spans + (figure_spans(text, spans) if figures else [])
        return Snippet(text, _merge(marks), False, False)
    first = last = best
    while True:  # grow by whole sentences while they fit: the next one first, then the one before
        if last + 1 < len(units) and units[last + 1][1] - units[first][0] <= width:
            last += 1
        elif first > 0 and units[last][1] - units[first - 1][0] <= width:
            first -= 1
        else:
            break
    start, end = units[first][0], units[last][1]
    if end - start > width * 1.5:  # one very long sentence: end after the clause that holds the matches
        inside = [e for s, e in spans if s >= start and e <= end]
        limit = max(start + width, max(inside, default=start))
        cut = next((i + 1 for i in range(limit, end) if text[i] in _CLAUSE_END), end)
        end = cut if cut - start <= width * 1.5 else end
    window = text[start:end]
    lead = len(window) - len(window.lstrip())
    window = window.strip()
    offset = start + lead
    marks = [(s, e) for s, e in spans if s >= offset and e <= offset + len(window)]
    if figures:
        marks += figure_spans(text, marks, offset, offset + len(window))
    relative = [(s - offset, e - offset) for s, e in _merge(marks)]
    return Snippet(window, relative, start > 0, end < len(text))


def _merge(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def mark(snippet: Snippet, before: str, after: str, escape=lambda s: s) -> str:
    """The snippet text with each span wrapped in ``before``/``after`` (text escaped by ``escape``)."""
    out: list[str] = []
    position = 0
    for start, end in snippet.spans:
        out.append(escape(snippet.text[position:start]))
        out.append(before + escape(snippet.text[start:end]) + after)
        position = end
    out.append(escape(snippet.text[position:]))
    body = "".join(out)
    return ("…" if snippet.cut_before else "") + body + ("…" if snippet.cut_after else "")
