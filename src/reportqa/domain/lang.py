"""The two languages a reply is written in, and the one rule for which a text is in."""

from __future__ import annotations

import re
from typing import Literal

from reportqa.domain.text import has_cjk

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")

_ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")


def language_of(text: str) -> Lang | None:
    """"zh" for a text with Chinese in it, "en" for one that is plainly English words (two, or one
    of four letters or more), None for no words at all (😀🎉, ？？？, 2021, ok): such a text is
    answered in the asker's own language."""
    if has_cjk(text):
        return "zh"
    words = _ENGLISH_WORD.findall(text)
    if len(words) >= 2 or any(len(w) >= 4 for w in words):
        return "en"
    return None


def lang_of(english: bool) -> Lang:
    """The language for the ``english`` flag much of the code still passes around."""
    return "en" if english else "zh"
