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
    with caplog.at_level(logging.WARNING, logger="reportqa.channels.telegram.bounds"):
        dropped = [await bot.push(huge_user), await bot.push(endless)]
        good = await bot.push(message("执法培训", chat_id=9, user_id=9))
        await bot.handled_all(good)
        await asyncio.sleep(0.2)
    assert [c.params["chat_id"] for c in bot.fake.sent("sendMessage")] == [9]
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert f"dropping update {dropped[0]}: a number out of range" in logged
    assert f"dropping update {dropped[1]}: a text of 80,000 characters" in logged


# -- every limit holds when many updates arrive at once -----------------------------------------


async def test_every_limit_holds_when_many_updates_arrive_at_once(make_bot) -> None:
    bot = await make_bot(rate_limit_per_minute=4, max_subscriptions_per_chat=3)

    def texts_in(chat_id: int) -> list[str]:
        return [c.params["text"] for c in bot.fake.sent("sendMessage") if c.params["chat_id"] == chat_id]

    async def burst(updates: list[dict]) -> None:
        ids = [await bot.push(update) for update in updates]
        await bot.handled_all(*ids, timeout=120)

    # one user's questions: 4 a minute, however many arrive together
    await burst([message("执法培训", chat_id=40, user_id=40) for _ in range(20)])
    asked = texts_in(40)
    assert len(asked) == 20 and sum("太频繁" in t for t in asked) == 16

    # one chat's subscriptions: at most 3, and one question once
    group = -500
    bot.fake.chat_admins.add((group, 41))
    await burst([message(f"/subscribe 执法培训 {2001 + i}", chat_id=group, user_id=41, chat_type="supergroup")
                 for i in range(12)])
    replies = texts_in(group)
    assert sum("已订阅 #" in t for t in replies) == 3 and sum("订阅已达 3 个" in t for t in replies) == 9
    await burst([message("/subscribe 法律顾问", chat_id=42, user_id=42) for _ in range(6)])
    replies = texts_in(42)
    assert sum("已订阅 #" in t for t in replies) == 1 and sum("已订阅过" in t for t in replies) == 5
    subscriptions = bot.app.bot_data["services"].subscriptions
    assert len(await subscriptions.of_chat(group)) == 3 and len(await subscriptions.of_chat(42)) == 1

    # one vote per user per answer, its reason asked once, however fast the presses come
    [answer] = await bot.ask(message("法律顾问", chat_id=43, user_id=43))
    down = callback_of(answer, "fb:").rsplit(":", 1)[0] + ":0"
    await burst([callback(down, chat_id=43, user_id=43) for _ in range(8)])
    assert sum("哪里不对" in t for t in texts_in(43)) == 1
    db = bot.app.bot_data["services"].state.db
    assert (await db.execute_fetchall("SELECT COUNT(*) FROM votes WHERE user_id = 43"))[0][0] == 1

    # exports count against the user's budget and run one at a time
    [answer] = await bot.ask(message("执法培训", chat_id=44, user_id=44))
    await burst([callback(callback_of(answer, "ex:"), chat_id=44, user_id=44) for _ in range(8)])
    documents = [c for c in bot.fake.sent("sendDocument") if c.params["chat_id"] == 44]
    assert 1 <= len(documents) <= 3  # the budget of 4, less the question
