"""The turns every chat channel runs the same way, whatever draws the reply: a question (budget →
cleaned and cut → the chat's scope → a follow-up of the chat's last question or a question of its
own → a session for its buttons, logged), a page of a session's answer, and a session's whole answer
as a file. Telegram, WeCom and DingTalk call these; each draws the result in its own markup.

``Core`` is what they need of a running bot; Telegram's ``Services`` and the other channels'
``ChatService`` both have it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Protocol

from reportqa.answers.compose import Answer, answer_question
from reportqa.answers.question import clipped_question
from reportqa.conversations.access import InFlight, RateLimiter
from reportqa.conversations.followup_store import ConversationStore
from reportqa.conversations.monitor import Monitor, QuestionEvent
from reportqa.conversations.scopes import usable_scope
from reportqa.conversations.state import BotState, Session, ShownPassage
from reportqa.conversations.turns import Turn, answer_turn
from reportqa.domain.lang import language_of
from reportqa.retrieval.searcher import Result
from reportqa.retrieval.serving import IndexHolder
from reportqa.settings import Settings

PHRASE_CHARS = 30


class Core(Protocol):
    """What a turn needs of the running bot."""

    settings: Settings
    holder: IndexHolder
    state: BotState
    limiter: RateLimiter
    conversations: ConversationStore
    exports: InFlight
    monitor: Monitor | None


@dataclass(frozen=True)
class Asker:
    """Who asks, where: the chat and user as the state database keys them (``identity.py`` for the
    platforms with string ids), whether the chat is a group, its kind as logged, the user's own
    language and the channel's name (metrics, the question log)."""

    chat_id: int
    user_id: int | None
    group: bool
    chat_kind: str
    user_english: bool
    channel: str

    @property
    def conversation(self) -> tuple[int, int]:
        """A private chat is one conversation; in a group each member's is their own (0: no user)."""
        return self.chat_id, (self.user_id if self.group and self.user_id is not None else 0)


@dataclass(frozen=True)
class Asked:
    """A question's turn: refused for the budget (``limited`` seconds to wait), empty, or a turn —
    an answer with the session its buttons name, or one result in full or a note (no session)."""

    english: bool
    question: str = ""
    limited: int | None = None
    empty: bool = False
    cut: int | None = None  # the question was cut to this many characters
    turn: Turn | None = None
    sid: str | None = None
    started: float = 0.0


def reply_english(question: str, user_english: bool) -> bool:
    """Replies follow the user's language unless the question is clearly in the other one."""
    language = language_of(question)
    return language == "en" if language is not None else user_english


def shown_passages(results: list[Result]) -> list[ShownPassage]:
    """What a page showed, as the export needs it: each result's source and a phrase of its text
    (white space taken out, as score.py compares)."""
    return [ShownPassage(r.passage_id, r.report.source, "".join(r.text.split())[:PHRASE_CHARS]) for r in results]


async def ask(core: Core, asker: Asker, raw: str) -> Asked:
    """A message answered in its chat: within the user's budget and the chat's scope, as a follow-up
    of the conversation's last question where it is one; the conversation and the answer's session
    stored before the reply is drawn."""
    english = asker.user_english
    if not core.limiter.allow(asker.user_id):
        return Asked(english, limited=core.limiter.retry_after(asker.user_id) if asker.user_id is not None else 1)
    limit = core.settings.max_question_chars
    question, was_cut = clipped_question(raw, limit)
    if not question:
        return Asked(english, empty=True)
    cut = limit if was_cut else None
    started = time.perf_counter()
    searcher = await core.holder.get()
    scope = await usable_scope(searcher, await core.state.scope(asker.chat_id))
    chat_id, user_key = asker.conversation
    context = await core.conversations.get(chat_id, user_key)
    turn = await answer_turn(searcher, question, context, core.settings.page_size, scope=scope,
                             ttl=core.conversations.ttl)  # 那2023年呢 refines the last question
    if turn.context is not None and turn.context != context:
        await core.conversations.put(chat_id, user_key, turn.context)
    english = reply_english(question, asker.user_english)
    if turn.answer is None:  # 第二条详细说说: one result of the last answer in full, or a note
        report_question(core, asker, "result", {}, int(turn.passage is not None), started, question)
        return Asked(english, question, cut=cut, turn=turn, started=started)
    answer = turn.answer
    sid = await core.state.new_session(answer.question.text, asker.chat_id, asker.user_id,
                                       scope=scope.text if scope else None, filters=answer.to_json()["filters"],
                                       shown=shown_passages(answer.results))
    return Asked(english, question, cut=cut, turn=turn, sid=sid, started=started)


async def asked_sent(core: Core, asker: Asker, asked: Asked) -> None:
    """After an answer went out: the question's log row, JSON line and metrics."""
    if asked.turn is None or asked.turn.answer is None:
        return
    answer = asked.turn.answer
    filters = answer.to_json()["filters"]
    await core.state.log_question(chat_type=asker.chat_kind, user_id=asker.user_id, question=asked.question,
                                  filters=filters, results=answer.total,
                                  latency_ms=(time.perf_counter() - asked.started) * 1000)
    report_question(core, asker, answer.question.intent, filters, answer.total, asked.started, asked.question)


def report_question(core: Core, asker: Asker, intent: str, filters: dict, hits: int, started: float,
                    question: str) -> None:
    """The question's JSON log line and metrics (conversations/monitor.py)."""
    if core.monitor is not None:
        core.monitor.question(QuestionEvent(asker.channel, asker.chat_kind, intent, filters, hits,
                                            (time.perf_counter() - started) * 1000, question))


async def chat_session(core: Core, sid: str | None, chat_id: int) -> Session | None:
    """The session a button names when it was answered in the chat the button is pressed in; None
    when it is unknown, expired or another chat's (its question, scope and export stay there)."""
    if not sid:
        return None
    session = await core.state.session(sid)
    if session is None or session.chat_id != chat_id:
        return None
    return session


async def page(core: Core, session: Session, offset: int) -> Answer | None:
    """A page of a session's answer, in the scope it was asked in (None: no results there); what it
    showed is recorded for the votes on it."""
    searcher = await core.holder.get()
    scope = await usable_scope(searcher, session.scope)
    answer = await answer_question(searcher, session.question, top_k=core.settings.page_size, offset=offset,
                                   scope=scope)
    if not answer.results:
        return None
    await core.state.record_shown(session.sid, offset, shown_passages(answer.results))
    return answer


@dataclass(frozen=True)
class Export:
    """A session's whole answer as a file."""

    data: bytes
    name: str
    results: int


async def export(core: Core, session: Session, export_format: str, english: bool) -> Export:
    """📊 / 📝: the session's whole answer (every unit or passage, in its scope) as .xlsx or .docx, in
    the language its page was answered in. The caller admits it first: an export counts as a question
    against the user's budget, and one runs at a time per user (``core.exports``)."""
    from reportqa.present.export import EXPORT_LIMIT, export_bytes, export_name

    searcher = await core.holder.get()
    scope = await usable_scope(searcher, session.scope)
    answer = await answer_question(searcher, session.question, top_k=EXPORT_LIMIT, scope=scope)
    data = await asyncio.to_thread(export_bytes, answer, export_format, english)
    return Export(data, export_name(answer, export_format), len(answer.results))
