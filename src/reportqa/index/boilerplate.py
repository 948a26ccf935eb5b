"""Boilerplate: the clauses that recur across many reports, found from the corpus at index time.

Every report opens with the same formulae (深入学习贯彻习近平法治思想, 加快构建职责明确、依法行政的政府治理体系,
执法严明…) and quotes the same titles (法治政府建设实施纲要). A passage that matches a question only
through them says nothing about what its unit did, so they are no evidence when candidates are
checked against their text (``verify.py``).

A clause is a stretch of normalised text between punctuation (the 、 of a list included). Each report
keeps the keys of its distinct clauses (``report_clause_keys``, stored with the report); a build counts
in how many reports each key occurs and keeps those in at least ``threshold(n)`` of them. Keys are a
CRC-32 with the clause's length: deterministic across processes, cheap enough to compute for every
candidate passage of a question.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Iterable

import numpy as np

_SEPARATORS = r"，,。；;：:！!？?、\n（）()“”\"‘’《》【】\[\]"
_SPLIT = re.compile(f"[{_SEPARATORS}]+")
_NOT_SEPARATOR = re.compile(f"[^{_SEPARATORS}]*")
MIN_CLAUSE_CHARS = 4
SHARE_OF_REPORTS = 0.1  # a clause in a tenth of all reports (and in three at least) is boilerplate
MIN_REPORTS = 3


def clauses(norm_text: str) -> list[str]:
    """The clauses of a normalised text, in order (short fragments left out)."""
    return [c for c in (part.strip() for part in _SPLIT.split(norm_text)) if len(c) >= MIN_CLAUSE_CHARS]


def clause_key(clause: str) -> int:
    data = clause.encode("utf-8")
    return (len(data) << 32) | zlib.crc32(data)


def report_clause_keys(norm_texts: Iterable[str]) -> np.ndarray:
    """The distinct clause keys of one report's passages, sorted (uint64)."""
    keys = {clause_key(c) for text in norm_texts for c in clauses(text)}
    return np.array(sorted(keys), dtype=np.uint64)


def threshold(n_reports: int) -> int:
    return max(MIN_REPORTS, math.ceil(SHARE_OF_REPORTS * n_reports))


def key_counts(per_report: Iterable[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Every clause key of these reports (sorted) and in how many of them it is."""
    arrays = [a for a in per_report if len(a)]
    if not arrays:
        return np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64)
    keys, counts = np.unique(np.concatenate(arrays), return_counts=True)
    return keys, counts.astype(np.int64)


def common_keys(per_report: Iterable[np.ndarray], n_reports: int) -> np.ndarray:
    """The keys of the clauses found in at least ``threshold(n_reports)`` reports, sorted."""
    keys, counts = key_counts(per_report)
    return keys[counts >= threshold(n_reports)]


def candidate_floor(n_reports: int, share: float) -> int:
    """The fewest reports a key of these must be in to be boilerplate once up to ``share`` of them
    are replaced or added (an overlay, ``overlay.py``): the threshold over the fewest reports there
    can then be, less the most the key can gain. A key under it is never boilerplate before the next
    full build, so a build keeps the counts of the keys at or above it, and an overlay recounts those."""
    fewest = n_reports - math.floor(share * n_reports)
    return max(1, threshold(fewest) - math.ceil(share * n_reports))


def recount(keys: np.ndarray, counts: np.ndarray, removed: Iterable[np.ndarray], added: Iterable[np.ndarray],
            n_reports: int) -> np.ndarray:
    """The boilerplate once the reports whose keys are ``removed`` are gone and ``added``'s are in:
    the counted ``keys`` (those at the candidate floor) recounted, against the threshold of the
    ``n_reports`` there are now."""
    now = counts.copy()
    for per_report, sign in ((removed, -1), (added, 1)):
        changed, by = key_counts(per_report)
        where = np.searchsorted(keys, changed)
        found = where < len(keys)
        found[found] = keys[where[found]] == changed[found]
        np.add.at(now, where[found], sign * by[found])
    return keys[now >= threshold(n_reports)]


def content(norm_text: str, boilerplate: frozenset[int]) -> str:
    """The text without its boilerplate clauses (what is left to be evidence of anything)."""
    if not boilerplate:
        return norm_text
    return "，".join(c for c in (part.strip() for part in _SPLIT.split(norm_text))
                    if c and (len(c) < MIN_CLAUSE_CHARS or clause_key(c) not in boilerplate))


def clauses_holding(text: str, words: Iterable[str], searched: str | None = None) -> list[str]:
    """The clauses of ``text`` (split as ``content`` splits) that hold one of ``words``, in order;
    the words are looked for in ``searched`` (the text in lower case, of the same length) if given.

    What a check against the question needs of a passage: a clause holding none of the question's
    words can add nothing to its coverage, so it is never keyed (a question's 400 candidates cost
    what their few matching clauses cost, not their 27 clauses each). A clause is found from a
    word's place by matching to the separators either side, forwards in the text and backwards in
    it reversed (both in C)."""
    searched = text if searched is None else searched
    backwards = text[::-1]
    size = len(text)
    found: dict[int, int] = {}
    for word in words:
        at = searched.find(word) if word else -1
        while at != -1:
            start = size - _NOT_SEPARATOR.match(backwards, size - at).end()
            if start not in found:
                found[start] = _NOT_SEPARATOR.match(text, at).end()
            at = searched.find(word, at + 1)
    return [text[start:found[start]].strip() for start in sorted(found)]


def content_holding(norm_text: str, boilerplate: frozenset[int], words: Iterable[str], searched: str | None = None,
                    ) -> str:
    """``content`` of the clauses holding one of ``words`` (found in ``searched``, as in
    ``clauses_holding``): the same verdict for any check of those words, at the cost of keying a
    few clauses (``verify``'s candidates). Clauses are keyed as written: keys are case-sensitive."""
    return "，".join(c for c in clauses_holding(norm_text, words, searched)
                    if c and (len(c) < MIN_CLAUSE_CHARS or clause_key(c) not in boilerplate))
