"""A query someone is still typing (inline mode sends one at every pause): what it is about so far.

``settle_typed`` takes off, or completes, what the user has not finished: an unfinished year
(``执法培训 202`` → ``执法培训``, so ``20`` never matches ``20余个``), one dangling Chinese character
(``执法培`` → ``执法培训``: the index's commonest word it starts; dropped when the index has none),
a half-typed English word (``legal advis`` → ``legal adviser``, from the glossary). A finished
query comes back unchanged. Pure: the index's words come in as a ``Completer``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from reportqa.domain.text import has_cjk, normalise

_TRAILING_DIGITS = re.compile(r"(?<![\d.%])(\d{1,3})$")
_TRAILING_WORD = re.compile(r"(?<![A-Za-z])([A-Za-z]{2,})$")
ALONE_RATIO = 4  # a character is a word of its own unless its commonest word is this much commoner


@dataclass(frozen=True)
class Completer:
    """The index's words by first character: the commonest (most passages) longer word each
    character starts, and how many passages hold the character alone."""

    best: Mapping[str, tuple[str, int]]  # 培 → (培训, df)
    alone: Mapping[str, int]  # 培 → df of 培 as a token of its own
    english: frozenset[str]  # the glossary's single words

    @classmethod
    def build(cls, term_df: Iterable[tuple[str, int]], english_words: Iterable[str] = ()) -> Completer:
        best: dict[str, tuple[str, int]] = {}
        alone: dict[str, int] = {}
        for term, df in term_df:
            if not term or not has_cjk(term[0]):
                continue
            if len(term) == 1:
                alone[term] = df
            elif df > best.get(term[0], ("", -1))[1] or (df == best[term[0]][1] and term < best[term[0]][0]):
                best[term[0]] = (term, df)
        return cls(best, alone, frozenset(english_words))

    def complete_char(self, char: str) -> str:
        """What a dangling character stands for: its commonest word when the character is rare on
        its own (培 → 培训), itself when it is a word people use alone (镇 in 有几个镇), nothing when
        the index has neither."""
        longer = self.best.get(char)
        own = self.alone.get(char, 0)
        if longer and longer[1] >= ALONE_RATIO * own:
            return longer[0]
        return char if own else ""

    def complete_english(self, word: str) -> str:
        lowered = word.lower()
        if lowered in self.english:
            return word
        candidates = sorted((w for w in self.english if w.startswith(lowered)), key=lambda w: (len(w), w))
        return candidates[0] if candidates else word


def settle_typed(
    text: str,
    completer: Completer,
    years: Iterable[int],
    words: Callable[[str], list[str]],
    stopwords: frozenset[str] = frozenset(),
) -> str:
    """The query as far as the user has finished it (see the module's docstring)."""
    settled = text.strip()
    digits = _TRAILING_DIGITS.search(settled)
    if digits and digits.start() > 0:
        partial = digits.group(1)
        if any(str(year).startswith(partial) for year in years):
            settled = settled[: digits.start()].rstrip()
    if len(settled) > 1 and has_cjk(settled[-1]) and settled[-1] not in stopwords:
        cut = words(normalise(settled))
        if cut and cut[-1] == settled[-1] and has_cjk(settled[-2]):
            settled = (settled[:-1] + completer.complete_char(settled[-1])).rstrip()
    english = _TRAILING_WORD.search(settled)
    if english and english.start() > 0 and completer.english:
        settled = settled[: english.start()] + completer.complete_english(english.group(1))
    return settled
