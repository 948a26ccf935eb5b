"""👍 / 👎 under every answer, the same on every messenger: one vote per user per answer (the other
button changes it); the first 👎 asks once, optionally, what was wrong; a wrong unit or year is about
one result of the page (or all), asked when the page showed several. The channel draws the outcome
(Telegram: a toast and an edited message; WeCom and DingTalk: a message)."""

from __future__ import annotations

from dataclasses import dataclass, field

from reportqa.conversations.state import BotState
from reportqa.domain.lang import Lang
from reportqa.present.actions import ALL_RESULTS, REASON_LABELS
from reportqa.present.catalog import say

TARGETED_REASONS = frozenset({"unit", "year"})  # about one result of the page, not the answer as a whole


@dataclass(frozen=True)
class Voted:
    """What a press of 👍 or 👎 did: the line to show, whether the vote changed (metrics) and whether to
    ask now what was wrong."""

    text: str
    changed: bool
    ask_reason: bool


async def cast_vote(state: BotState, sid: str, user_id: int, helpful: bool, offset: int, lang: Lang) -> Voted:
    vote = await state.vote(sid, user_id, helpful, offset)
    if not vote.changed:
        return Voted(say("vote_same", lang), False, False)
    ask = not helpful and not vote.asked_reason
    if ask:
        await state.mark_reason_asked(sid, user_id)
    return Voted(say("vote_up" if helpful else "vote_down", lang), True, ask)


@dataclass(frozen=True)
class Reasoned:
    """What a reason did: saved (``text``), refused (``refused``: no 👎 to explain), or to be placed on
    one of these ranks of the page first (``ranks``: the page showed several)."""

    text: str
    refused: bool = False
    ranks: list[int] = field(default_factory=list)


async def give_reason(state: BotState, sid: str, user_id: int, reason: str, lang: Lang) -> Reasoned:
    if not await state.set_reason(sid, user_id, reason):
        return Reasoned(say("vote_first", lang), refused=True)
    label = REASON_LABELS[reason][1 if lang == "en" else 0]
    if reason in TARGETED_REASONS:  # a wrong unit or year is about a result: which one (issue 32)
        page = await state.voted_page(sid, user_id)
        shown = page[1] if page else []
        if page is not None and len(shown) > 1:
            return Reasoned(say("reason_which", lang, reason=label),
                            ranks=[page[0] + i + 1 for i in range(len(shown))])
        if shown:  # one result shown: it is the one
            await state.set_targets(sid, user_id, [shown[0].passage_id])
    return Reasoned(say("reason_saved", lang, reason=label))


async def pick_target(state: BotState, sid: str, user_id: int, number: int, lang: Lang) -> Reasoned:
    """The result a wrong unit or year is about (its place on the page), or all of them: stored with the
    vote, so the feedback export excludes only that result's report."""
    page = await state.voted_page(sid, user_id)
    shown = page[1] if page else []
    if page is None or not (number == ALL_RESULTS or 0 <= number < len(shown)):
        return Reasoned(say("vote_first", lang), refused=True)
    chosen = shown if number == ALL_RESULTS else [shown[number]]
    if not await state.set_targets(sid, user_id, [p.passage_id for p in chosen]):
        return Reasoned(say("vote_first", lang), refused=True)
    reason = await state.vote_reason(sid, user_id)
    label = REASON_LABELS.get(reason or "", ("", ""))[1 if lang == "en" else 0]
    if number == ALL_RESULTS:
        return Reasoned(say("reason_saved", lang, reason=f"{say('reason_all', lang)} · {label}"))
    return Reasoned(say("reason_saved_one", lang, rank=page[0] + number + 1, reason=label))
