"""Snippets: the part of a passage worth showing, with the question's words located in it.

Matching happens in the normalised text (simplified, NFKC) and is mapped back to the original
characters, so a traditional-character passage is shown as written with the right words marked.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from reportqa.text import to_simplified

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


_BREAKS = "。；！？\n"


def make_snippet(text: str, spans: list[Span], width: int = 180) -> Snippet:
    """A window of about ``width`` characters holding the most matched text, widened to sentence
    boundaries where they are close."""
    if len(text) <= width:
        return Snippet(text, spans, False, False)
    best_start, best_score = 0, -1
    for anchor, _ in spans or [(0, 0)]:
        start = max(0, min(anchor - width // 5, len(text) - width))
        score = sum(min(e, start + width) - max(s, start) for s, e in spans if s < start + width and e > start)
        if score > best_score:
            best_start, best_score = start, score
    start, end = best_start, best_start + width
    # move the start back to the beginning of its sentence when that is near
    for i in range(start, max(-1, start - 40), -1):
        if i == 0 or text[i - 1] in _BREAKS:
            start = i
            break
    end = min(len(text), start + width)
    for i in range(end, min(len(text), end + 30)):
        if text[i - 1] in _BREAKS:
            end = i
            break
    window = text[start:end].strip("\n")
    offset = start + (len(text[start:end]) - len(text[start:end].lstrip("\n")))
    inside = [(max(s, start) - offset, min(e, end) - offset) for s, e in spans if s < end and e > start]
    return Snippet(window, [(s, e) for s, e in inside if e > s], start > 0, end < len(text))


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
