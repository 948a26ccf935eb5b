"""Issue 31, the bot's items, each on the real Application against the fake Bot API: answers bound to
their chat (item 2), every input parsed with bounds (item 3), limits that hold under a burst."""

from __future__ import annotations

import asyncio
import logging

from tests.bot_harness import Harness
from tests.fake_telegram import callback, callback_of, message

EXPIRED = "这个按钮已过期，请重新提问。"


# -- item 2: every answer belongs to its chat --------------------------------------------------


async def test_a_session_button_pressed_in_another_chat_is_refused_like_an_expired_one(bot: Harness) -> None:
    [answer] = await bot.ask(message("/ask 执法培训", chat_id=-100, user_id=1, chat_type="supergroup"))
    buttons = {prefix: callback_of(answer, prefix) for prefix in ("pg:", "ex:", "fb:")}
    for prefix, data in buttons.items():  # copied into a private chat, and into another group
        for chat_id, chat_type in ((2, "private"), (-200, "supergroup")):
            [refused] = await bot.ask(callback(data, user_id=2, chat_id=chat_id, chat_type=chat_type),
                                      method="answerCallbackQuery")
            assert refused.params["text"] == EXPIRED, (prefix, chat_id)
    [why] = await bot.ask(callback(buttons["fb:"].rsplit(":", 2)[0].replace("fb:", "fr:") + ":1", user_id=2,
                                   chat_id=2), method="answerCallbackQuery")
    assert why.params["text"] == EXPIRED
    assert not bot.fake.sent("sendDocument") and not bot.fake.sent("editMessageText")
    assert [c.params["chat_id"] for c in bot.fake.sent("sendMessage")] == [-100]  # nothing went elsewhere
    # in its own chat the same buttons work
    [document] = await bot.ask(callback(buttons["ex:"], user_id=3, chat_id=-100, chat_type="supergroup"),
                               method="sendDocument")
    assert document.params["chat_id"] == -100
    [page] = await bot.ask(callback(buttons["pg:"], user_id=3, chat_id=-100, chat_type="supergroup"),
                           method="editMessageText")
    assert page.params["chat_id"] == -100


async def test_a_foreign_button_with_an_allowlisted_chat_is_still_refused(make_bot) -> None:
    """User 5 is admitted in group -300 (the chat is allowlisted) and asks there; the session id
    pressed in group -400, also allowlisted, is refused: admission to the bot is not a pass into
    another chat's answers."""
    bot = await make_bot(allowed_chats=frozenset({-300, -400}))
    [answer] = await bot.ask(message("/ask 法律顾问", chat_id=-300, user_id=5, chat_type="supergroup"))
    data = callback_of(answer, "ex:")
    [refused] = await bot.ask(callback(data, user_id=5, chat_id=-400, chat_type="supergroup"),
                              method="answerCallbackQuery")
    assert refused.params["text"] == EXPIRED and not bot.fake.sent("sendDocument")


# -- item 3: every input from Telegram parsed with bounds ---------------------------------------


async def test_hostile_button_data_is_answered_politely(bot: Harness) -> None:
    for data in ("fs:99999999999999999999", "ol:9223372036854775808", "sf:99999999999999999999",
                 "up:99999999999999999999", "fs:١٢٣", "fs:12\n", "un:999999999999", "pg:abcd:0\n"):
        [call] = await bot.ask(callback(data), method="answerCallbackQuery")
        assert call.params["text"] in ("无效的按钮。", EXPIRED, "该段落已不在索引中（报告已更新），请重新提问。",
                                       "本聊天没有编号为 999999999999 的订阅。"), data
    assert [c.params["text"] for c in bot.fake.sent("sendMessage")] == ["本聊天没有编号为 999999999999 的订阅。"]
    assert not bot.errors  # no traceback, no "something went wrong"


async def test_unsubscribe_numbers_are_bounded(bot: Harness) -> None:
    for text, expected in (("/unsubscribe 99999999999999999999999", "用法"), ("/unsubscribe ²", "用法"),
                           ("/unsubscribe ١٢", "用法"), ("/unsubscribe -1", "用法"),
                           ("/unsubscribe 9223372036854775807", "没有编号为")):
        [reply] = await bot.ask(message(text))
        assert expected in reply.params["text"], (text, reply.params["text"])


async def test_an_update_out_of_bounds_is_dropped_with_a_log_line(bot: Harness, caplog) -> None:
    huge_user = message("执法培训", user_id=10**30, chat_id=10**30)
    endless = message("执法培训" * 20_000, chat_id=8, user_id=8)
    with caplog.at_level(logging.WARNING, logger="reportqa.bot.bounds"):
        dropped = [await bot.push(huge_user), await bot.push(endless)]
        good = await bot.push(message("执法培训", chat_id=9, user_id=9))
        await bot.handled_all(good)
        await asyncio.sleep(0.2)
    assert [c.params["chat_id"] for c in bot.fake.sent("sendMessage")] == [9]
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert f"dropping update {dropped[0]}: a number out of range" in logged
    assert f"dropping update {dropped[1]}: a text of 80,000 characters" in logged
