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
    """About ``width`` characters starting at a sentence start, chosen to hold the most matched
    text; never ends inside a matched word."""
    if len(text) <= width:
        return Snippet(text, spans, False, False)
    starts = [0] + [i + 1 for i, ch in enumerate(text[:-1]) if ch in _BREAKS]

    def covered(start: int) -> tuple[int, int, int]:
        """(distinct matched words, matched characters, -lead before the first match) from ``start``."""
        end = start + width
        inside = [(s, e) for s, e in spans if s >= start and e <= end]
        lead = inside[0][0] - start if inside else width
        return len({text[s:e] for s, e in inside}), sum(e - s for s, e in inside), -lead

    start = max(starts, key=covered)
    end = min(len(text), start + width)
    for i in range(end, min(len(text), end + 30)):  # finish the sentence when it is close
        if text[i - 1] in _BREAKS:
            end = i
            break
    for s, e in spans:  # never cut a matched word in two
        if s < end < e:
            end = e
    window = text[start:end]
    offset = start + (len(window) - len(window.lstrip("\n")))
    window = window.strip("\n")
    inside = [(max(s, offset) - offset, min(e, offset + len(window)) - offset) for s, e in spans
              if s < offset + len(window) and e > offset]
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
