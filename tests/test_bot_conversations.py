"""Conversations with the bot (issue 30), end to end against the fake Bot API: a follow-up refines the
chat's last question, also after a restart; in a group each member's own; a mention anywhere."""

from __future__ import annotations

from pathlib import Path

from tests.bot_harness import Harness, stop_harness
from tests.fake_telegram import buttons, callback, callback_of, message

BOT = "@reportqa_bot"


def mentioning(text: str, **kwargs) -> dict:
    """A group message that mentions the bot wherever ``BOT`` stands in it."""
    at = text.index(BOT)
    offset = len(text[:at].encode("utf-16-le")) // 2
    return message(text, chat_type="supergroup", chat_id=-100,
                   entities=[{"type": "mention", "offset": offset, "length": len(BOT)}], **kwargs)


async def test_a_follow_up_refines_the_last_question_also_after_a_restart(make_bot, tmp_path: Path) -> None:
    state = tmp_path / "conversations.sqlite3"
    bot: Harness = await make_bot(bot_state_db=state)
    [first] = await bot.ask(message("哪些单位开展了普法宣传", user_id=5, chat_id=5))
    assert "接上一个问题" not in first.params["text"]
    [year] = await bot.ask(message("那2021年呢", user_id=5, chat_id=5))
    assert year.params["text"].startswith("<i>接上一个问题：普法宣传 · 2021年</i>")
    assert "年份 2021" in year.params["text"]
    # the next page of a follow-up's answer pages the question it was answered as
    await bot.handled_all(await bot.push(callback(callback_of(year, "pg:"), user_id=5, chat_id=5)))
    [edited] = bot.fake.sent("editMessageText")
    assert "年份 2021" in edited.params["text"] and "第 4–4 个单位，共 4 个" in edited.params["text"]

    await stop_harness(bot)  # the bot restarts; the conversation is in its database
    again: Harness = await make_bot(bot_state_db=state)
    [full] = await again.ask(message("第2条全文", user_id=5, chat_id=5))
    assert full.params["text"].startswith("<i>上一个问题的第 2 条：2021年 哪些单位开展了普法宣传</i>")
    assert any(b.get("callback_data", "").startswith("sf:") for b in buttons(full))  # 📎 the report file
    [town] = await again.ask(message("玉龙镇呢", user_id=5, chat_id=5))
    assert "接上一个问题：普法宣传 · 玉龙镇 · 2021年" in town.params["text"]
    assert "玉龙镇" in town.params["text"] and "主要成效" not in town.params["text"]  # not its overview



async def test_in_a_group_each_member_follows_up_their_own_question(make_bot) -> None:
    bot: Harness = await make_bot()
    await bot.ask(mentioning(f"{BOT} 哪些单位开展了普法宣传", user_id=2))
    [other] = await bot.ask(mentioning(f"{BOT} 那2023年呢", user_id=3))
    assert "接上一个问题" not in other.params["text"]  # user 3 asked nothing before
    [own] = await bot.ask(mentioning(f"{BOT} 那2023年呢", user_id=2))
    assert "接上一个问题：普法宣传 · 2023年" in own.params["text"]


async def test_a_mention_anywhere_is_no_search_word(make_bot) -> None:
    bot: Harness = await make_bot()
    [reply] = await bot.ask(mentioning(f"大家看看 {BOT} 法律顾问", user_id=2))
    text = reply.params["text"]
    assert "法律顾问" in text and "没有找到" not in text
    assert "reportqa_bot" not in text
    [tail] = await bot.ask(mentioning(f"法律顾问，{BOT}", user_id=4))
    assert "没有找到" not in tail.params["text"]
