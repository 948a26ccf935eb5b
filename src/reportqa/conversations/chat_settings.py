"""What a chat is set to, changed the same way on every messenger: ``/scope`` (its standing units,
places and years), ``/subscribe`` and ``/unsubscribe`` (its standing questions). Each returns the
reply's plain text; the channel says who may change a chat (``may_change``: asked only when a change
is asked for, as on Telegram it is a call to the platform).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Protocol

from reportqa.answers.compose import answer_parsed
from reportqa.answers.question import clean_question, clipped_question
from reportqa.answers.reading import parse
from reportqa.answers.scope import MAX_SCOPE_CHARS, OFF_WORDS, Scope, ScopeProblem, apply_scope
from reportqa.conversations.scopes import scope_of, scope_reports, usable_scope
from reportqa.conversations.state import BotState
from reportqa.conversations.subscriptions import Refusal, SubscriptionStore
from reportqa.domain.lang import Lang, lang_of
from reportqa.present.catalog import say
from reportqa.retrieval.serving import IndexHolder
from reportqa.settings import Settings

MayChange = Callable[[], Awaitable[bool]]
UNSUBSCRIBE_ALL = frozenset({"all", "全部", "所有"})


class News(Protocol):
    """The newsroom as ``/subscribe`` needs it: the reports indexed up to now are the baseline."""

    async def check(self) -> int: ...

    def wake(self) -> None: ...


async def scope_reply(settings: Settings, holder: IndexHolder, state: BotState, chat_id: int, user_id: int | None,
                      raw: str, may_change: MayChange, lang: Lang) -> str:
    """``/scope`` (what it is), ``/scope 大足区`` (set it), ``/scope off`` (end it)."""
    text = clean_question(raw)
    if not text:
        current = await state.scope(chat_id)
        if current is None:
            return say("scope_none", lang)
        scope = await scope_of(await holder.get(), current)
        return say("scope_is", lang, scope=scope.label if isinstance(scope, Scope) else current)
    if not await may_change():
        return say("scope_admins", lang)
    if text.lower() in OFF_WORDS:
        await state.set_scope(chat_id, None, user_id)
        return say("scope_off", lang)
    text = text[:MAX_SCOPE_CHARS]
    searcher = await holder.get()
    scope = await scope_of(searcher, text)
    if isinstance(scope, ScopeProblem):
        return scope.en if lang == "en" else scope.zh
    await state.set_scope(chat_id, text, user_id)
    return say("scope_set", lang, scope=scope.label, n=scope_reports(searcher, scope))


async def subscribe_reply(settings: Settings, holder: IndexHolder, state: BotState, subscriptions: SubscriptionStore,
                          news: News, chat_id: int, user_id: int | None, raw: str, may_change: MayChange,
                          user_english: bool, thread_id: int | None = None) -> str:
    """``/subscribe 执法培训``: a standing question of the chat (a word no report holds yet is a topic
    too: the reports to come may hold it)."""
    from reportqa.conversations.asking import reply_english

    question, cut = clipped_question(raw, settings.max_question_chars)
    if not question:
        return say("subscribe_usage", lang_of(user_english))
    english = reply_english(question, user_english)
    lang = lang_of(english)
    if not await may_change():
        return say("subscribe_admins", lang)
    searcher = await holder.get()
    parsed = await asyncio.to_thread(parse, searcher, question)
    if not parsed.concepts and not parsed.absent_words and parsed.report_ids is None and not parsed.missing_unit:
        return say("subscribe_vague", lang)
    await news.check()  # the reports indexed up to now are the baseline, not news for it
    news.wake()  # (and what that look queued for others goes out now)
    subscription = await subscriptions.add_within(chat_id, user_id, question, english, thread_id,
                                                  settings.max_subscriptions_per_chat)
    if isinstance(subscription, Refusal):
        if subscription.existing:
            return say("subscribe_again", lang, id=subscription.existing.id, question=question)
        return say("subscribe_full", lang, n=subscription.held)
    lines = [say("cut", lang, n=settings.max_question_chars)] if cut else []
    lines.append(say("subscribed", lang, id=subscription.id, question=question))
    if parsed.missing_unit:
        lines.append(say("subscribed_missing", lang, unit=parsed.missing_unit))
    else:
        scoped = apply_scope(parsed, await usable_scope(searcher, await state.scope(chat_id))).question
        now = await answer_parsed(searcher, scoped, 1)  # the question parsed above, not again
        if now.total:
            lines.append(say("subscribed_now", lang, n=now.total))
    return "\n".join(lines)


async def unsubscribe_reply(subscriptions: SubscriptionStore, chat_id: int, number: int | None, word: str,
                            may_change: MayChange, lang: Lang) -> str:
    """``/unsubscribe 3`` or ``/unsubscribe all`` (``number``: the id as the channel read it)."""
    if number is None and word.lower() not in UNSUBSCRIBE_ALL:
        return say("unsubscribe_usage", lang)
    if not await may_change():
        return say("subscribe_admins", lang)
    if number is None:
        return say("unsubscribed_all", lang, n=await subscriptions.remove_chat(chat_id))
    return await unsubscribe_one(subscriptions, chat_id, number, lang)


async def unsubscribe_one(subscriptions: SubscriptionStore, chat_id: int, number: int, lang: Lang) -> str:
    """One of this chat's subscriptions ended (another chat's number ends nothing)."""
    gone = await subscriptions.remove(number, chat_id)
    if gone is None:
        return say("no_subscription", lang, id=number)
    return say("unsubscribed", lang, id=gone.id, question=gone.question)
