"""``/subscribe 执法培训``, ``/subscriptions``, ``/unsubscribe N`` and the 🔕 buttons: a chat's standing
questions, answered again from each newly indexed report (``notifier.py`` sends what they bring).

Anyone the allowlist admits may subscribe a private chat; in a group, as with ``/scope``, only a bot
administrator or one of the group's administrators changes what the whole group is sent.
"""

from __future__ import annotations

from telegram import CallbackQuery, Message, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from reportqa.channels.telegram.bounds import bounded_id
from reportqa.channels.telegram.keyboards import subscriptions_keyboard
from reportqa.channels.telegram.scopes import may_change_chat
from reportqa.channels.telegram.services import Services, allowed, services, wants_english
from reportqa.channels.telegram.texts import say
from reportqa.conversations.chat_settings import subscribe_reply, unsubscribe_one, unsubscribe_reply
from reportqa.domain.lang import lang_of
from reportqa.present.render import short


async def _chat_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> tuple[Message, Services, bool] | None:
    message = update.effective_message
    if message is None or not await allowed(update, context):
        return None
    return message, services(context), wants_english(update)


async def cmd_subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if (command := await _chat_command(update, context)) is None:
        return
    message, svc, english = command
    user = update.effective_user
    text = await subscribe_reply(svc.settings, svc.holder, svc.state, svc.subscriptions, svc.notifier,
                                 message.chat_id, user.id if user else None, " ".join(context.args or []),
                                 lambda: may_change_chat(update, context), english,
                                 message.message_thread_id if message.is_topic_message else None)
    await message.reply_text(text, do_quote=message.chat.type != ChatType.PRIVATE)


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
    words = [w.lstrip("#＃") for w in (context.args or [])] or [""]
    text = await unsubscribe_reply(svc.subscriptions, message.chat_id, bounded_id(words[0]), words[0],
                                   lambda: may_change_chat(update, context), lang_of(english))
    await message.reply_text(text, do_quote=message.chat.type != ChatType.PRIVATE)


async def _unsubscribe(svc: Services, chat_id: int, subscription_id: int, english: bool) -> str:
    return await unsubscribe_one(svc.subscriptions, chat_id, subscription_id, lang_of(english))


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
