"""English questions: who they ask about, written as a Chinese question would name it.

"Which district education commissions reported for 2025?", "How many items did Qingdao introduce?",
"Which street offices in Hangzhou's Shangcheng district …": the places are romanised Chinese names
(the gazetteer's and the indexed towns', read with pypinyin: Qingdao = 青岛, Shangcheng = 上城, Yulong =
玉龙), and the unit words are glossary words whose Chinese is a kind or a class of unit (district = 区,
education commission = 教委, street office = 街道办事处). A run of them becomes the Chinese the catalog
reads (杭州上城区街道办事处; after "which": 哪些区教委), so English questions are filtered exactly as
Chinese ones; the rest of the question is translated by the glossary as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

from reportqa.domain.text import normalise

_WORD = re.compile(r"[a-z][a-z'\-]*|\d+(?:\.\d+)?%?")
_WHICH = frozenset({"which", "what", "whose"})
MIN_ROMANISED_LETTERS = 4  # shorter words (an, he, yi) are too often English or a single syllable


@dataclass(frozen=True)
class EnglishUnits:
    """What an English question's unit words say in Chinese, and the question without them."""

    chinese: str  # 哪些区教委, 青岛, 杭州上城区街道办事处
    rest: str  # the English left for the glossary


def romanised(name: str) -> str:
    """A Chinese name as one lower-case word of toneless pinyin (青岛 → qingdao, 上城 → shangcheng)."""
    from pypinyin import lazy_pinyin  # its tables load on the first English question naming a place

    return "".join(lazy_pinyin(name)).lower()


@cache
def _romanised_table(names: tuple[str, ...]) -> dict[str, str]:
    """Romanised form → the name (the first of several names read alike, in the order given)."""
    table: dict[str, str] = {}
    for name in names:
        if len(name) >= 2 and re.fullmatch(r"[\u3400-\u9fff]+", name):
            table.setdefault(romanised(name), name)
    return table


def english_units(text: str, place_names: Iterable[str], is_unit_word: Callable[[str], bool],
                  glossary: dict[str, tuple[str, ...]]) -> EnglishUnits:
    """The runs of place names and unit words in an English text, in Chinese, and the text without them.

    ``place_names``: Chinese names to recognise romanised (short forms first: 上城 before 上城区);
    ``is_unit_word(chinese)``: whether a glossary translation is a kind or class of unit (区, 教委)."""
    table = _romanised_table(tuple(place_names))
    words = _WORD.findall(text.lower())
    runs: list[list[str]] = []
    current: list[str] = []
    kept: list[str] = []
    after_which = False
    i = 0
    while i < len(words):
        word = words[i].removesuffix("'s").removesuffix("’s")
        chinese, size = _place_at(words, i, table) if len(word) >= MIN_ROMANISED_LETTERS else (None, 0)
        if chinese is None:
            chinese, size = _unit_word_at(words, i, glossary, is_unit_word)
        if chinese is not None:
            if not current and after_which:
                current.append("哪些")
            current.append(chinese)
            i += size
            continue
        if current:
            runs.append(current)
            current = []
        after_which = words[i] in _WHICH
        kept.append(words[i])
        i += 1
    if current:
        runs.append(current)
    return EnglishUnits(" ".join("".join(run) for run in runs), " ".join(kept))


def _place_at(words: list[str], i: int, table: dict[str, str]) -> tuple[str | None, int]:
    """A romanised place at ``words[i]`` (Qingdao; Shang Cheng as two words)."""
    for size in (2, 1):
        if i + size <= len(words):
            joined = "".join(w.removesuffix("'s") for w in words[i : i + size])
            if joined in table:
                return table[joined], size
    return None, 0


def _unit_word_at(words: list[str], i: int, glossary: dict[str, tuple[str, ...]],
                  is_unit_word: Callable[[str], bool]) -> tuple[str | None, int]:
    """A glossary phrase at ``words[i]`` whose Chinese names a kind or class of unit (the longest)."""
    for size in range(min(4, len(words) - i), 0, -1):
        span = words[i : i + size]
        forms = {" ".join(span), " ".join([*span[:-1], _singular(span[-1])])}
        for form in forms:
            for chinese in glossary.get(form, ()):
                if is_unit_word(normalise(chinese)):
                    return normalise(chinese), size
    return None, 0


def _singular(word: str) -> str:
    for suffix, repl in (("ies", "y"), ("ses", "s"), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + repl
    return word
