"""Hostile and broken messages: every update is answered, refused or rate-limited; nothing crashes."""

from __future__ import annotations

import re
import time
from collections import defaultdict

from tests.bot_harness import Harness
from tests.fake_telegram import callback, inline_query, message

RTL_AND_CONTROLS = "\u202e\u2066\u200f\u0007\x00"


def sent_texts(bot: Harness) -> list[str]:
    return [c.params["text"] for c in bot.fake.sent("sendMessage")]


async def test_a_ten_thousand_character_question(bot: Harness) -> None:
    [reply] = await bot.ask(message("哪些单位开展了执法培训" + "，请详细说明" * 1666))
    text = reply.params["text"]
    assert len(text) <= 4096 and "问题过长" in text


async def test_only_emoji_or_punctuation(bot: Harness) -> None:
    for text in ("😀😀🎉", "？？？！！…", "......", "🇨🇳", "\u200b\u200b"):
        [reply] = await bot.ask(message(text))
        body = reply.params["text"]
        assert body and len(body) <= 4096
        assert "错" not in body  # not the error message


async def test_html_and_markdown_injection_is_shown_as_text(bot: Harness) -> None:
    attack = '<a href="http://evil.example">点我</a> *粗体* _斜体_ [链接](http://evil.example) `code` 执法培训'
    [reply] = await bot.ask(message(attack))
    text = reply.params["text"]
    assert reply.params["parse_mode"] == "HTML"
    assert "<a href" not in text and '&lt;a href="http://evil.example"&gt;点我&lt;/a&gt;' in text
    # every tag in the reply is one the bot itself writes
    assert set(re.findall(r"</?([a-z]+)", text)) <= {"b", "i", "code", "blockquote", "u"}


async def test_right_to_left_and_control_characters_are_dropped(bot: Harness) -> None:
    [plain] = await bot.ask(message("执法培训", chat_id=5, user_id=5))
    [hostile] = await bot.ask(message(f"{RTL_AND_CONTROLS}执法{RTL_AND_CONTROLS}培训", chat_id=6, user_id=6))
    assert not any(ch in hostile.params["text"] for ch in RTL_AND_CONTROLS)
    assert hostile.params["text"] == plain.params["text"]


async def test_forged_stale_and_oversized_callbacks(bot: Harness) -> None:
    for data in ("pg:" + "9" * 60, "fs:-1", "fs:1e9", "ol:" + "x" * 61, "pg:abc:99999999999999999999", "",
                 "\u202e", "<b>", "pg:'; DROP TABLE sessions; --:0"):
        [call] = await bot.ask(callback(data), method="answerCallbackQuery")
        assert call.params.get("text")
    assert not bot.fake.sent("sendMessage")
    # a real button still works afterwards
    [reply] = await bot.ask(message("执法培训"))
    assert reply.params["reply_markup"]


async def test_inline_queries_with_garbage_offsets(bot: Harness) -> None:
    for offset in ("-5", "99999999999999999999999", "NaN", "１０", "0x10", " "):
        [call] = await bot.ask(inline_query("执法培训", offset=offset), method="answerInlineQuery")
        assert isinstance(call.params["results"], list)
    [call] = await bot.ask(inline_query("<script>" * 40), method="answerInlineQuery")
    assert isinstance(call.params["results"], list)


async def test_an_update_that_does_not_parse_does_not_stop_the_others(bot: Harness) -> None:
    """A malformed update (no chat, a date that is text) is dropped; the next ones are answered."""
    bad = await bot.push({"message": {"message_id": "x", "date": "yesterday", "text": "执法培训"}})
    good = await bot.push(message("执法培训", chat_id=7, user_id=7))
    await bot.handled_all(good)
    assert [c for c in bot.fake.sent("sendMessage") if c.params.get("chat_id") == 7]
    polls_then = len(bot.fake.get_updates_offsets)
    await bot.fake.wait_for_polls(polls_then + 2)
    assert bot.fake.get_updates_offsets[-1] > bad  # the offset moved past the bad update


async def test_a_flood_of_a_thousand_updates_from_many_users(make_bot) -> None:
    """1,000 messages at once from 200 users, 40 of them not allowed, 3 questions a minute each:
    every message gets exactly one reply — an answer, a refusal or "too many" — and nothing fails."""
    allowed = frozenset(range(1000, 1160))
    bot = await make_bot(allowed_users=allowed, rate_limit_per_minute=3)
    users = list(range(1000, 1200))
    questions = ["执法培训", "法律顾问", "双随机一公开", "2021年普法", "which units hired legal advisers"]
    pushed_at: dict[int, list[float]] = defaultdict(list)
    ids = []
    started = time.perf_counter()
    for round_ in range(5):
        for user_id in users:
            pushed_at[user_id].append(time.perf_counter())
            ids.append(await bot.push(message(questions[round_], chat_id=user_id, user_id=user_id)))
    await bot.handled_all(*ids, timeout=300)
    elapsed = time.perf_counter() - started
    replies: dict[int, list] = defaultdict(list)
    for call in bot.fake.sent("sendMessage"):
        replies[call.params["chat_id"]].append(call)
    assert sum(len(v) for v in replies.values()) == 1000
    kinds: dict[str, int] = defaultdict(int)
    latencies = []
    for user_id in users:
        texts = [c.params["text"] for c in replies[user_id]]
        assert len(texts) == 5, (user_id, texts)
        if user_id in allowed:
            assert sum("太频繁" in t for t in texts) == 2
            kinds["answered"] += 3
            kinds["rate_limited"] += 2
        else:
            assert all("没有使用本机器人的权限" in t for t in texts)
            kinds["refused"] += 5
        latencies += [c.at - t for c, t in zip(sorted(replies[user_id], key=lambda c: c.at), pushed_at[user_id],
                                               strict=True)]
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    print(f"\nflood: 1000 updates from 200 users in {elapsed:.1f} s: {dict(kinds)}, errors {len(bot.errors)}, "
          f"p50 {latencies[500] * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms")
    assert not bot.errors
