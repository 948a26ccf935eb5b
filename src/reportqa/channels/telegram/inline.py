"""Inline mode as people type: ``@bot 执法培`` … ``@bot 执法培训 2021``, a query at every pause.

- Its own per-user budget (``REPORTQA_INLINE_RATE_LIMIT_PER_MINUTE``), apart from questions'; a
  query over it gets an article saying how long to wait, never an empty list.
- A half-typed end (``202``, one dangling character, half an English word) is settled first
  (``typed_query``), so ``执法培`` and ``执法培训`` are one query, answered once: answers are kept a
  short while per user and a repeat costs neither a search nor budget.
- Only what was asked goes into the question log: the result a user picks (Telegram's
  ``chosen_inline_result``, on with BotFather's ``/setinlinefeedback``) or, while none has ever
  arrived, the last query of a typing burst.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from telegram import InlineQueryResultArticle, InputTextMessageContent, Update
from telegram.constants import ParseMode
from telegram.ext import Application, ContextTypes

from reportqa.answers import compose as answers
from reportqa.answers.question import clipped_question
from reportqa.channels.telegram.scopes import chat_scope
from reportqa.channels.telegram.services import record_refusal, refusal_text, reply_english, services, wants_english
from reportqa.channels.telegram.texts import INLINE_HELP_BODY, INLINE_HELP_TITLE, say
from reportqa.conversations.access import RateLimiter
from reportqa.conversations.monitor import Monitor, QuestionEvent
from reportqa.conversations.state import BotState
from reportqa.conversations.typed_query import Completer, settle_typed
from reportqa.domain.rules import load_glossary, load_word_set
from reportqa.present.render import (
    TELEGRAM_LIMIT,
    citation,
    esc,
    section_label,
    snippet_html,
    snippet_text,
    source_label,
    telegram_length,
    unit_label,
)
from reportqa.retrieval.searcher import Result, SearchIndex

log = logging.getLogger(__name__)
INLINE_PAGE = 10
INLINE_MAX_OFFSET = 200
CACHE_PER_USER = 16
CACHE_USERS = 2000
FEEDBACK_FLAG = "inline_feedback_seen"


@dataclass
class InlineAnswer:
    """One settled query's page of inline results, as sent, and what the log needs of it."""

    question: str
    results: list[InlineQueryResultArticle]
    next_offset: str
    filters: dict
    total: int
    latency_ms: float
    at: float = field(default_factory=time.monotonic)
    intent: str = "passages"


SERVICE = "inline"  # the InlineService's key in the application's bot_data


def _service(context: ContextTypes.DEFAULT_TYPE) -> InlineService:
    return context.bot_data[SERVICE]


def service(application: Application) -> InlineService:
    return application.bot_data[SERVICE]


class InlineService:
    """Per-user budget, answer cache and typing-burst log for inline queries."""

    def __init__(self, state: BotState, limit_per_minute: int, cache_seconds: float, burst_seconds: float) -> None:
        self.state = state
        self.monitor: Monitor | None = None  # set by the app: inline questions in the metrics and the log
        self.limiter = RateLimiter(limit_per_minute)
        self.cache_seconds = cache_seconds
        self.burst_seconds = burst_seconds
        self._cache: OrderedDict[int, OrderedDict[tuple[str, int], InlineAnswer]] = OrderedDict()
        self._pending: dict[int, tuple[InlineAnswer, asyncio.TimerHandle]] = {}
        self._flushing: set[asyncio.Task] = set()
        self._completers: dict[str, tuple[Completer, frozenset[str]]] = {}
        self.feedback_seen = False

    async def open(self) -> None:
        self.feedback_seen = await self.state.flag(FEEDBACK_FLAG) == "1"

    # -- the cache ---------------------------------------------------------------------------

    def cached(self, user_id: int, key: tuple[str, int]) -> InlineAnswer | None:
        entries = self._cache.get(user_id)
        entry = entries.get(key) if entries else None
        if entry is None or time.monotonic() - entry.at > self.cache_seconds:
            return None
        return entry

    def keep(self, user_id: int, key: tuple[str, int], entry: InlineAnswer) -> None:
        entries = self._cache.setdefault(user_id, OrderedDict())
        self._cache.move_to_end(user_id)
        entries[key] = entry
        while len(entries) > CACHE_PER_USER:
            entries.popitem(last=False)
        while len(self._cache) > CACHE_USERS:
            self._cache.popitem(last=False)

    def settle(self, searcher: SearchIndex, question: str) -> str:
        """The query as far as it is typed (``typed_query.settle_typed``) against this index's words.
        CPU work (jieba, and once per generation a pass over the vocabulary): call it in a thread."""
        completer, stopwords = self._words(searcher)
        return settle_typed(question, completer, searcher.years, searcher.tokenizer.words, stopwords)

    def _words(self, searcher: SearchIndex) -> tuple[Completer, frozenset[str]]:
        """The index's words for completing a dangling character, and the stopwords (once per generation)."""
        name = searcher.generation.name
        if name not in self._completers:
            config = searcher.settings.config_dir
            words = {w for phrase in load_glossary(config) for w in phrase.split()}
            completer = Completer.build(searcher.term_frequencies(), words)
            stopwords = load_word_set(config / "stopwords_query.txt") | searcher.tokenizer.stopwords
            self._completers = {name: (completer, frozenset(stopwords))}
        return self._completers[name]

    # -- the question log --------------------------------------------------------------------

    def typed(self, user_id: int, entry: InlineAnswer) -> None:
        """A query answered: it becomes the user's pending one, logged when typing pauses (unless
        picked results are known to arrive, which are logged instead)."""
        if self.feedback_seen:
            return
        previous = self._pending.pop(user_id, None)
        if previous is not None:
            previous[1].cancel()
        loop = asyncio.get_running_loop()
        handle = loop.call_later(self.burst_seconds, self._flush_later, user_id)
        self._pending[user_id] = (entry, handle)

    def _flush_later(self, user_id: int) -> None:
        task = asyncio.get_running_loop().create_task(self._flush(user_id))
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)

    async def _flush(self, user_id: int) -> None:
        pending = self._pending.pop(user_id, None)
        if pending is None:
            return
        entry = pending[0]
        await self.state.log_question(chat_type="inline", user_id=user_id, question=entry.question,
                                      filters=entry.filters, results=entry.total, latency_ms=entry.latency_ms,
                                      source="inline")
        self._report(entry.question, entry)

    async def chosen(self, user_id: int, query: str, entry: InlineAnswer | None) -> None:
        """A user picked a result: that query is the question; typing bursts are no longer logged."""
        pending = self._pending.pop(user_id, None)
        if pending is not None:
            pending[1].cancel()
        if not self.feedback_seen:
            self.feedback_seen = True
            await self.state.set_flag(FEEDBACK_FLAG, "1")
        await self.state.log_question(chat_type="inline", user_id=user_id, question=query,
                                      filters=entry.filters if entry else {}, results=entry.total if entry else 0,
                                      latency_ms=entry.latency_ms if entry else 0.0, source="inline-chosen")
        self._report(query, entry)

    def _report(self, question: str, entry: InlineAnswer | None) -> None:
        """An inline question as the monitor counts it (once: the pick, or a typing burst's end)."""
        if self.monitor is not None:
            self.monitor.question(QuestionEvent("telegram", "inline", entry.intent if entry else "passages",
                                                entry.filters if entry else {}, entry.total if entry else 0,
                                                entry.latency_ms if entry else 0.0, question))

    async def close(self) -> None:
        """Log what is pending (a bot stopping mid-burst loses no question)."""
        for user_id in list(self._pending):
            self._pending[user_id][1].cancel()
            with contextlib.suppress(Exception):
                await self._flush(user_id)
        for task in list(self._flushing):
            with contextlib.suppress(Exception):
                await task


def share_html(result: Result) -> str:
    """What an inline result posts: the excerpt and its citation line, within the message limit."""
    cite = (f"\n\n— {esc(citation(result.report))}\n{esc(section_label(result.section))}"
            f"\n📄 {esc(source_label(result.report))}")
    for width in (700, 300, 100):
        body = snippet_html(result, width=width)
        if telegram_length(body + cite) <= TELEGRAM_LIMIT:
            return body + cite
    return cite.strip()  # every part of it is bounded: it fits


def notice_article(article_id: str, title: str, body: str) -> InlineQueryResultArticle:
    """A visible line in the result list (help, wait, nothing found); picking it posts the body."""
    content = InputTextMessageContent(html.escape(body[: TELEGRAM_LIMIT // 2]))
    return InlineQueryResultArticle(id=article_id, title=title[:200], description=body[:300],
                                    input_message_content=content)


def result_articles(answer: answers.Answer, english: bool) -> list[InlineQueryResultArticle]:
    return [
        InlineQueryResultArticle(
            id=f"p{r.passage_id}",
            title=f"{unit_label(r.report)} · {r.report.year or '?'}" + ("" if english else "年"),
            description=snippet_text(r, width=120),
            input_message_content=InputTextMessageContent(share_html(r), parse_mode=ParseMode.HTML,
                                                          disable_web_page_preview=True),
        )
        for r in answer.results
    ]


def _offset(raw: str | None) -> int:
    try:
        return min(max(int(raw or 0), 0), INLINE_MAX_OFFSET)
    except ValueError:
        return 0


async def on_inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    inline = update.inline_query
    if inline is None:
        return
    svc = services(context)
    english = wants_english(update)
    user_id = inline.from_user.id
    if not svc.access.allows(user_id):  # an article saying so, with the id to send an administrator
        await record_refusal(update, context)
        text = refusal_text(update, english)
        await inline.answer([notice_article("refused", say("refused", english), text)], cache_time=0,
                            is_personal=True)
        return
    lang = "en" if english else "zh"
    question = clipped_question(inline.query, svc.settings.max_question_chars)[0]
    searcher = await svc.holder.get() if question else None
    if searcher is not None:
        question = await asyncio.to_thread(_service(context).settle, searcher, question)
    if searcher is None or not question:
        bot_name = context.bot.username or "bot"
        body = INLINE_HELP_BODY[lang].format(bot=bot_name)
        await inline.answer([notice_article("help", INLINE_HELP_TITLE[lang], body)], cache_time=0, is_personal=True)
        return
    offset = _offset(inline.offset)
    key = (question, offset)
    entry = _service(context).cached(user_id, key)
    if entry is None:
        if not _service(context).limiter.allow(user_id):
            wait = _service(context).limiter.retry_after(user_id)
            text = say("inline_wait", english, seconds=wait)
            await inline.answer([notice_article("wait", text, text)], cache_time=0, is_personal=True)
            return
        started = time.perf_counter()
        scope = await chat_scope(svc, searcher, user_id)  # a user's own scope (set in private) holds here too
        answer = await answers.answer_question(searcher, question, top_k=INLINE_PAGE, offset=offset, scope=scope)
        english = reply_english(update, question)
        results = result_articles(answer, english)
        if not results and offset == 0:
            notice = (answer.notice_en if english else answer.notice) or say("nothing_found", english)
            results = [notice_article("none", say("nothing_found", english), notice)]
        more = offset + len(answer.results) < min(answer.total, INLINE_MAX_OFFSET)
        entry = InlineAnswer(question, results, str(offset + INLINE_PAGE) if more else "",
                             answer.to_json()["filters"], answer.total, (time.perf_counter() - started) * 1000,
                             intent=answer.question.intent)
        _service(context).keep(user_id, key, entry)
    await inline.answer(entry.results, cache_time=5, is_personal=True, next_offset=entry.next_offset)
    if offset == 0:
        _service(context).typed(user_id, entry)


async def on_chosen_inline_result(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The result a user picked (sent only with BotFather's /setinlinefeedback on): the question asked."""
    chosen = update.chosen_inline_result
    if chosen is None:
        return
    svc = services(context)
    if not svc.access.allows(chosen.from_user.id):
        return
    searcher = await svc.holder.get()
    inline = _service(context)
    settled = await asyncio.to_thread(inline.settle, searcher,
                                      clipped_question(chosen.query, svc.settings.max_question_chars)[0])
    if settled:
        await inline.chosen(chosen.from_user.id, settled, inline.cached(chosen.from_user.id, (settled, 0)))
