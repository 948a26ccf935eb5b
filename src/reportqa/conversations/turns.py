"""One turn of a conversation: a message and what the conversation remembers → the reply's content.

Every channel (``ask --conversation``, ``reportqa chat``, the bot) answers a message through
``answer_turn`` with the ``Context`` it keeps for the chat, and keeps the context it returns. A
follow-up is answered as the question it stands for (``followup.py``); a message without a follow-up
marker, or one after the context has expired, is a question of its own.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from dataclasses import dataclass, replace
from typing import Literal

from reportqa.answers.compose import Answer, answer_question
from reportqa.answers.question import ParsedQuestion, parse_years
from reportqa.answers.reading import parse
from reportqa.answers.scope import Scope
from reportqa.answers.wording import load_chat_phrasing, strip_chat
from reportqa.conversations.followup import (
    FollowupRules,
    Frame,
    is_followup,
    load_followup_rules,
    merge,
    more_asked,
    read_markers,
    result_asked,
)
from reportqa.domain.lang import lang_of
from reportqa.domain.text import normalise
from reportqa.present.catalog import say
from reportqa.present.render import (
    TELEGRAM_LIMIT,
    esc,
    fit_blocks,
    render_answer_html,
    render_passage_html,
    telegram_length,
)
from reportqa.retrieval.searcher import Result, SearchIndex
from reportqa.settings import Settings

# how long a chat's last question is followed up, unless a channel passes Settings.conversation_minutes
DEFAULT_TTL_SECONDS = float(Settings.model_fields["conversation_minutes"].default) * 60
_ASKS = ("哪", "什么", "怎么", "如何", "多少", "几", "是否", "有没有", "谁", "吗")


@dataclass(frozen=True)
class Context:
    """What a conversation remembers of its last answer: the question as it was answered (a
    follow-up's merged question), the page it showed and when."""

    question: str
    offset: int = 0
    at: float = 0.0

    def expired(self, now: float, ttl: float) -> bool:
        return now - self.at > ttl


@dataclass(frozen=True)
class Followup:
    """What a turn took from before, for the reply (接上一个问题：普法宣传 · 2023年) and the JSON."""

    kind: Literal["refine", "result", "more"]
    previous: str  # the last question as it was answered
    asked_as: str  # what this turn was answered as
    label: str  # the merged question's topic · units · years
    rank: int | None = None  # the result asked for in full

    def lead(self, english: bool) -> str:
        if self.kind == "result":
            return (f"Result {self.rank} of: {self.previous}" if english
                    else f"上一个问题的第 {self.rank} 条：{self.previous}")
        if self.kind == "more":
            return say("more_of", lang_of(english), question=self.previous)
        return say("following_on", lang_of(english), label=self.label)

    def to_json(self) -> dict:
        data = {"kind": self.kind, "previous": self.previous, "asked_as": self.asked_as, "label": self.label}
        if self.rank is not None:
            data["rank"] = self.rank
        return data


@dataclass
class Turn:
    """A turn's reply: an answer (a question's, or a page of the last one), or one result of the last
    answer in full, or a note (no such result); with what it took from before and what to remember."""

    message: str
    answer: Answer | None = None
    passage: Result | None = None
    note: str | None = None
    note_en: str | None = None
    followup: Followup | None = None
    context: Context | None = None

    def to_json(self) -> dict:
        """One JSON object a turn (``ask --json --conversation``): an answer's, the one result asked
        for, or no results with the note."""
        if self.answer is not None:
            data = self.answer.to_json()
            data["asked_as"] = data["question"]
            data["question"] = self.message
        else:
            results = []
            if self.passage is not None:
                results = [self.passage.to_json()]
            data = {"question": self.message, "intent": "passages", "filters": {"years": [], "units": []},
                    "total": len(results), "notice": self.note, "results": results}
        data["followup"] = self.followup.to_json() if self.followup is not None else None
        return data


def frame_of(parsed: ParsedQuestion, text: str, index: SearchIndex, today: dt.date | None) -> Frame:
    """A parsed question as a frame: its years, its unit words, and the rest of its text."""
    _, rest = parse_years(normalise(text), today or dt.date.today())
    for word in sorted(parsed.unit_words, key=len, reverse=True):
        rest = rest.replace(word, " ")
    rest, _ = strip_chat(rest, load_chat_phrasing(index.settings.config_dir), index.tokenizer.boundaries)
    has_topic = bool(parsed.concepts or parsed.unmatched_units or parsed.absent_words)
    return Frame(tuple(parsed.years), tuple(parsed.unit_words), " ".join(rest.split()), has_topic,
                 parsed.intent == "units")


_FOCUS_LABELS = {"plans": "下一步打算", "problems": "存在的问题"}


def label_of(parsed: ParsedQuestion, index: SearchIndex | None = None) -> str:
    """普法宣传 · 玉龙镇 · 2023年: what a question asks about, for the reply's follow-up line."""
    topic = "、".join(c.label for c in parsed.concepts) or "、".join(parsed.unmatched_units)
    if index is not None and parsed.focus:
        topic = "、".join(p for p in (topic, *(_FOCUS_LABELS.get(name, name) for name in index.kinds.names
                                              if parsed.focus & index.kinds.bit(name))) if p)
    years = "、".join(map(str, parsed.years)) + "年" if parsed.years else ""
    return " · ".join(p for p in (topic, parsed.filter_label or "", years) if p)


def turn_messages(turn: Turn, english: bool) -> list[str]:
    """A turn's reply as Telegram HTML messages (the first says what was taken from before)."""
    lead = esc(turn.followup.lead(english)) if turn.followup is not None else ""
    if turn.answer is not None:
        return [render_answer_html(turn.answer, english, lead=f"<i>{lead}</i>" if lead else "")]
    if turn.passage is not None:
        pieces = render_passage_html(turn.passage, TELEGRAM_LIMIT - telegram_length(lead) - 2)
        return [f"<i>{lead}</i>\n{pieces[0]}" if lead else pieces[0], *pieces[1:]]
    note = (turn.note_en if english else turn.note) or ""
    return [fit_blocks([f"<i>{lead}</i>" if lead else "", esc(note)])]


async def answer_turn(
    index: SearchIndex,
    message: str,
    context: Context | None,
    top_k: int,
    today: dt.date | None = None,
    scope: Scope | None = None,
    now: float | None = None,
    ttl: float = DEFAULT_TTL_SECONDS,
) -> Turn:
    """A message answered within a conversation whose last answer ``context`` remembers."""
    now = time.time() if now is None else now
    rules = load_followup_rules(index.settings.config_dir)
    if context is not None and not context.expired(now, ttl):
        rank = result_asked(message, rules)
        if rank is not None:
            return await _result(index, message, context, rank, today, scope)
        if more_asked(message, rules):
            return await _more(index, message, context, top_k, today, scope, now)
        turn = await _refined(index, message, context, rules, top_k, today, scope, now)
        if turn is not None:
            return turn
    answer = await answer_question(index, message, top_k, today=today, scope=scope)
    return Turn(message, answer, context=Context(message, 0, now))


async def _result(index: SearchIndex, message: str, context: Context, rank: int, today: dt.date | None,
                  scope: Scope | None) -> Turn:
    """第二条详细说说: the Nth result of the last answer, in full (the last answer is kept)."""
    if rank == -1:  # the last one
        counted = await answer_question(index, context.question, 1, today=today, scope=scope)
        rank = max(counted.total, 1)
    answer = await answer_question(index, context.question, 1, offset=rank - 1, today=today, scope=scope)
    followup = Followup("result", context.question, context.question, label_of(answer.question, index), rank)
    if not answer.results or answer.results[0].rank != rank:
        total = answer.total
        return Turn(message, note=f"上一个问题没有第 {rank} 条结果（共 {total} 条）。",
                    note_en=f"The last question has no result {rank} ({total} in all).", followup=followup,
                    context=context)
    shown = answer.results[0]
    passage = await index.passage(shown.passage_id)
    return Turn(message, passage=replace(passage or shown, rank=rank, score=shown.score), followup=followup,
                context=context)


async def _more(index: SearchIndex, message: str, context: Context, top_k: int, today: dt.date | None,
                scope: Scope | None, now: float) -> Turn:
    """还有吗: the next page of the last answer."""
    offset = context.offset + top_k
    answer = await answer_question(index, context.question, top_k, offset=offset, today=today, scope=scope)
    followup = Followup("more", context.question, context.question, label_of(answer.question, index))
    if not answer.results:
        return Turn(message, note="没有更多结果了。", note_en="No more results.", followup=followup, context=context)
    return Turn(message, answer, followup=followup, context=Context(context.question, offset, now))


async def _refined(index: SearchIndex, message: str, context: Context, rules: FollowupRules, top_k: int,
                   today: dt.date | None, scope: Scope | None, now: float) -> Turn | None:
    """那2023年呢, 玉龙镇呢, 只看培训的, 它明年打算怎么做: the last question refined; None for a message
    that is a question of its own."""
    markers = read_markers(message, rules)
    if not markers.any:
        return None
    parsed = await asyncio.to_thread(parse, index, markers.rest, today)
    current = frame_of(parsed, markers.rest, index, today)
    asks = parsed.intent == "units" or parsed.wants_figure or any(w in markers.rest for w in _ASKS)
    if not is_followup(markers, current, asks):
        return None
    last = await asyncio.to_thread(parse, index, context.question, today)
    merged = merge(frame_of(last, context.question, index, today), current, markers, rules)
    question = merged.question()
    if not question:
        return None
    answer = await answer_question(index, question, top_k, today=today, scope=scope)
    followup = Followup("refine", context.question, question, label_of(answer.question, index))
    return Turn(message, answer, followup=followup, context=Context(question, 0, now))
