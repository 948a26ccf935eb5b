"""``/subscribe 执法培训``, ``/subscriptions``, ``/unsubscribe N`` and the 🔕 buttons: a chat's standing
questions, answered again from each newly indexed report (``notifier.py`` sends what they bring).

Anyone the allowlist admits may subscribe a private chat; in a group, as with ``/scope``, only a bot
administrator or one of the group's administrators changes what the whole group is sent.
"""

from __future__ import annotations

import asyncio

from telegram import CallbackQuery, Message, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from reportqa.answers import compose as answers
from reportqa.answers.question import clean_question
from reportqa.answers.reading import parse
from reportqa.answers.scope import apply_scope
from reportqa.channels.telegram.bounds import bounded_id
from reportqa.channels.telegram.keyboards import subscriptions_keyboard
from reportqa.channels.telegram.scopes import chat_scope, may_change_chat
from reportqa.channels.telegram.services import Services, allowed, reply_english, services, wants_english
from reportqa.channels.telegram.texts import say
from reportqa.conversations.subscriptions import Refusal
from reportqa.present.render import short

UNSUBSCRIBE_ALL = frozenset({"all", "全部", "所有"})


async def _chat_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> tuple[Message, Services, bool] | None:
    message = update.effective_message
    if message is None or not await allowed(update, context):
        return None
    return message, services(context), wants_english(update)


async def cmd_subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if (command := await _chat_command(update, context)) is None:
        return
    message, svc, english = command
    group = message.chat.type != ChatType.PRIVATE
    question = clean_question(" ".join(context.args or []))
    limit = svc.settings.max_question_chars
    cut = len(question) > limit
    question = question[:limit]
    if not question:
        await message.reply_text(say("subscribe_usage", english), do_quote=group)
        return
    english = reply_english(update, question)
    if not await may_change_chat(update, context):
        await message.reply_text(say("subscribe_admins", english), do_quote=group)
        return
    searcher = await svc.holder.get()
    parsed = await asyncio.to_thread(parse, searcher, question)
    # a word no report holds yet (无人机巡查) is a topic too: the reports to come may hold it
    if not parsed.concepts and not parsed.absent_words and parsed.report_ids is None and not parsed.missing_unit:
        await message.reply_text(say("subscribe_vague", english), do_quote=group)
        return
    chat_id = message.chat_id
    await svc.notifier.check()  # the reports indexed up to now are the baseline, not news for it
    svc.notifier.wake()  # (and what that look queued for others goes out now)
    user = update.effective_user
    subscription = await svc.subscriptions.add_within(
        chat_id, user.id if user else None, question, english,
        message.message_thread_id if message.is_topic_message else None, svc.settings.max_subscriptions_per_chat)
    if isinstance(subscription, Refusal):
        refusal = (say("subscribe_again", english, id=subscription.existing.id, question=question)
                   if subscription.existing else say("subscribe_full", english, n=subscription.held))
        await message.reply_text(refusal, do_quote=group)
        return
    lines = [say("cut", english, n=limit)] if cut else []
    lines.append(say("subscribed", english, id=subscription.id, question=question))
    if parsed.missing_unit:
        lines.append(say("subscribed_missing", english, unit=parsed.missing_unit))
    else:
        scoped = apply_scope(parsed, await chat_scope(svc, searcher, chat_id)).question
        now = await answers.answer_parsed(searcher, scoped, 1)  # the question parsed above, not again
        if now.total:
            lines.append(say("subscribed_now", english, n=now.total))
    await message.reply_text("\n".join(lines), do_quote=group)


async def cmd_subscriptions(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if (command := await _chat_command(update, context)) is None:
        return
    message, svc, english = command
    held = await svc.subscriptions.of_chat(message.chat_id)
    group = message.chat.type != ChatType.PRIVATE
    if not held:
        await message.reply_text(say("subscriptions_none", english), do_quote=group)
        return
    lines = [say("subscriptions_head", english, n=len(held))]
    lines += [f"#{s.id} {short(s.question, 80)}" for s in held]
    await message.reply_text("\n".join(lines), reply_markup=subscriptions_keyboard(held, english), do_quote=group)


async def cmd_unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if (command := await _chat_command(update, context)) is None:
        return
    message, svc, english = command
    group = message.chat.type != ChatType.PRIVATE
    words = [w.lstrip("#＃") for w in (context.args or [])]
    number = bounded_id(words[0]) if words else None
    if not words or (number is None and words[0].lower() not in UNSUBSCRIBE_ALL):
        await message.reply_text(say("unsubscribe_usage", english), do_quote=group)
        return
    if not await may_change_chat(update, context):
        await message.reply_text(say("subscribe_admins", english), do_quote=group)
        return
    if words[0].lower() in UNSUBSCRIBE_ALL:
        removed = await svc.subscriptions.remove_chat(message.chat_id)
        await message.reply_text(say("unsubscribed_all", english, n=removed), do_quote=group)
        return
    await message.reply_text(await _unsubscribe(svc, message.chat_id, number or 0, english), do_quote=group)


async def _unsubscribe(svc: Services, chat_id: int, subscription_id: int, english: bool) -> str:
    gone = await svc.subscriptions.remove(subscription_id, chat_id)
    if gone is None:
        return say("no_subscription", english, id=subscription_id)
    return say("unsubscribed", english, id=gone.id, question=gone.question)


async def on_unsubscribe_button(update: Update, context: ContextTypes.DEFAULT_TYPE, query: CallbackQuery,
                                message: Message, subscription_id: int) -> None:
    """🔕 under a notification or the /subscriptions list."""
    svc = services(context)
    english = wants_english(update)
    if not await may_change_chat(update, context):
        await query.answer(say("subscribe_admins", english), show_alert=True)
        return
    text = await _unsubscribe(svc, message.chat_id, subscription_id, english)
    await query.answer(text)
    await message.reply_text(text, do_quote=False)
    buttons = [b for row in (message.reply_markup.inline_keyboard if message.reply_markup else ()) for b in row]
    if buttons and all(str(b.callback_data).startswith("un:") for b in buttons):  # the /subscriptions list
        held = await svc.subscriptions.of_chat(message.chat_id)
        await query.edit_message_reply_markup(subscriptions_keyboard(held, english))
