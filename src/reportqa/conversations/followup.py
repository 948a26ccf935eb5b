"""Reading a message as a follow-up of the last answer (pure; the words are ``config/followups.toml``).

A message that only makes sense after the last one refines it: another year (那2023年呢), another unit
or place (玉龙镇呢, 换成朝阳区), a narrower topic (只看培训的), the last answer's unit (它明年打算怎么做), the
Nth result (第二条详细说说, 第2条全文), more of it (还有吗), and the English equivalents. A message
without a follow-up marker is a question of its own, however short.

A question is held as a ``Frame``: its years, the words that named its units or places, and the rest
(its topic, with what it asks for: 哪些单位开展了普法宣传). A follow-up's frame takes what it says and
keeps the rest from the last one, and the merged frame is asked as an ordinary question, so paging,
scopes, exports and the JSON work on it as on any other.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from reportqa.domain.rules import load_intents
from reportqa.domain.text import normalise

_CN_NUMBERS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_EN_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
                "eighth": 8, "ninth": 9, "tenth": 10, "last": -1}
_CN_ORDINAL = re.compile(r"第\s*(?P<n>\d{1,3}|[一二两三四五六七八九十]{1,3})\s*(?:条|个|项|段|家|篇|点|则|位)?")
_EN_ORDINAL = re.compile(
    r"\b(?:the\s+)?(?:(?P<word>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last)|"
    r"(?P<n>\d{1,3})(?:st|nd|rd|th))\b|(?:\bresult|\bitem|\bnumber|\bno\.?|#)\s*(?P<k>\d{1,3})\b", re.IGNORECASE)
_NARROW_CUE = "只看"  # how a merged question writes a narrowing (one of intents.toml's [narrow] cues)
_PUNCTUATION = re.compile(r"[\s,.;:!?~、,。;:!?~…“”\"'‘’()（）\[\]【】]+")


@dataclass(frozen=True)
class FollowupRules:
    starts: tuple[str, ...]
    ends: tuple[str, ...]
    narrow: tuple[str, ...]
    refer: tuple[str, ...]
    topic_refer: tuple[str, ...]
    units_prefix: str
    detail: tuple[str, ...]
    more: frozenset[str]


@cache
def load_followup_rules(config_dir: Path) -> FollowupRules:
    path = config_dir / "followups.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    markers, results = data.get("markers", {}), data.get("results", {})

    def words(table: dict, key: str) -> tuple[str, ...]:
        return tuple(sorted({normalise(w).lower() for w in table.get(key, []) if w.strip()}, key=len, reverse=True))

    narrow = {"cues": load_intents(config_dir).get("narrow", ())}  # one list: the question reads them too
    return FollowupRules(words(markers, "starts"), words(markers, "ends"), words(narrow, "cues"),
                         words(markers, "refer"), words(markers, "topic_refer"),
                         normalise(markers.get("units_prefix", "哪些单位")), words(results, "detail"),
                         frozenset(_bare(w) for w in words(results, "more")))


def _bare(text: str) -> str:
    return _PUNCTUATION.sub("", text.lower())


def _phrase_at(text: str, phrase: str, start: int) -> bool:
    """``phrase`` stands at ``start`` (as whole words when it is English)."""
    if not text.startswith(phrase, start):
        return False
    if not phrase.isascii():
        return True
    end = start + len(phrase)
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isascii() and before.isalnum()) and not (after.isascii() and after.isalnum())


def _find(text: str, phrase: str) -> int:
    start = text.find(phrase)
    while start != -1 and not _phrase_at(text, phrase, start):
        start = text.find(phrase, start + 1)
    return start


def _without(text: str, phrases: tuple[str, ...]) -> tuple[str, bool]:
    """The text without every whole occurrence of the phrases (longest first), and whether any was."""
    found = False
    for phrase in phrases:
        start = _find(text, phrase)
        while start != -1:
            text = text[:start] + " " + text[start + len(phrase):]
            found = True
            start = _find(text, phrase)
    return text, found


# -- the last answer's results ----------------------------------------------------------------------


def result_asked(message: str, rules: FollowupRules) -> int | None:
    """The result number a message asks for in full (第二条详细说说 → 2, 第2条全文, the second one in
    full, result 3); -1 for the last one; None when it asks something else."""
    text = normalise(message).lower()
    match = _CN_ORDINAL.search(text) or _EN_ORDINAL.search(text)
    if match is None:
        return None
    rest, _ = _without(text[: match.start()] + " " + text[match.end():], rules.detail)
    if _bare(rest):
        return None  # 第二条 inside a question of its own (第二条规定了什么): not a result
    groups = match.groupdict()
    if groups.get("word"):
        return _EN_ORDINALS[groups["word"].lower()]
    number = groups.get("n") or groups.get("k") or ""
    if number.isdigit():
        return int(number) if int(number) > 0 else None
    return _chinese_number(number)


def _chinese_number(text: str) -> int | None:
    """一 … 九十九 (第十二条)."""
    if not text:
        return None
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_CN_NUMBERS.get(tens, 0) if tens else 1) * 10 + (_CN_NUMBERS.get(ones, 0) if ones else 0)
    value = _CN_NUMBERS.get(text)
    return value if value else None


def more_asked(message: str, rules: FollowupRules) -> bool:
    """还有吗, 更多, more, anything else: the next page of the last answer."""
    return _bare(normalise(message)) in rules.more


# -- follow-up markers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Markers:
    """What in a message says it follows the last answer, and the message without those words."""

    rest: str  # normalised, markers taken out
    start: bool = False  # 那…, 换成…, what about …
    end: bool = False  # …呢
    narrow: bool = False  # 只看…
    refer: bool = False  # 它…, it …
    topic_refer: bool = False  # 这方面

    @property
    def any(self) -> bool:
        return self.start or self.end or self.narrow or self.refer or self.topic_refer


def read_markers(message: str, rules: FollowupRules) -> Markers:
    text = _PUNCTUATION.sub(" ", normalise(message).lower()).strip()
    start = next((p for p in rules.starts if _phrase_at(text, p, 0)), None)
    if start is not None:
        text = text[len(start):]
    text = text.strip()
    end = next((p for p in rules.ends if text.endswith(p)), None)
    if end is not None:
        text = text[: len(text) - len(end)]
    text, narrow = _without(text, rules.narrow)
    text, topic_refer = _without(text, rules.topic_refer)
    text, refer = _without(text, rules.refer)
    return Markers(" ".join(text.split()), start is not None, end is not None, narrow, refer, topic_refer)


# -- frames -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """A question as its parts: years, the words naming units or places, and the rest."""

    years: tuple[int, ...] = ()
    units: tuple[str, ...] = ()
    topic: str = ""  # the rest of the question: what it asks about and how (哪些单位开展了普法宣传)
    has_topic: bool = False  # the rest holds a topic (words to search), not only how it asks
    units_intent: bool = False  # asks "which units"
    kept: tuple[str, ...] = field(default=())  # what a merged frame took from the last one: topic, units, years

    def question(self) -> str:
        """The frame written as a question (2023年 玉龙镇 哪些单位开展了普法宣传)."""
        years = " ".join(f"{y}年" for y in self.years)
        return " ".join(p for p in (years, " ".join(self.units), self.topic) if p).strip()


def merge(previous: Frame, current: Frame, markers: Markers, rules: FollowupRules) -> Frame:
    """The question a follow-up asks: what it says, and the rest from the last question."""
    kept: list[str] = []
    years = current.years
    if not years and previous.years:
        years, _ = previous.years, kept.append("years")
    units = current.units
    if not units and previous.units:
        units, _ = previous.units, kept.append("units")
    if markers.narrow:  # 只看培训的: the last topic, the new words required (question.py reads 只看)
        topic = f"{previous.topic} {_NARROW_CUE} {current.topic}".strip()
        kept.append("topic")
    elif markers.topic_refer:  # 这方面: within the last topic
        topic = " ".join(p for p in (previous.topic, current.topic) if p)
        kept.append("topic")
    elif current.has_topic:  # 那执法培训呢: a new topic, asked as the last one was (which units)
        topic = current.topic
        if previous.units_intent and not current.units_intent:
            topic = f"{rules.units_prefix} {topic}"
    elif markers.refer and current.topic:  # 它明年打算怎么做: the unit's plans, not the last topic
        topic = current.topic
    else:  # 那2023年呢, 玉龙镇呢: the last topic again
        topic = previous.topic
        kept.append("topic")
    return Frame(tuple(years), tuple(units), topic, bool(topic), previous.units_intent or current.units_intent,
                 tuple(kept))


def is_followup(markers: Markers, current: Frame, asks_on_its_own: bool) -> bool:
    """Whether a message with these markers follows the last answer. A question of its own that only
    ends in 呢 (哪些单位开展了执法培训呢) does not: it has its topic and asks in full."""
    if markers.start or markers.narrow or markers.refer or markers.topic_refer:
        return True
    return markers.end and not (current.has_topic and asks_on_its_own)
