"""The bot end to end against the fake Bot API: a transcript, round-trip latency and throughput.

    .venv/bin/python -m benchmarks.bot_roundtrip [--questions 100] [--transcript]

Starts the fake Bot API server (tests/fake_telegram.py) and the real Application on the sample
reports, then (1) plays a private conversation, a group exchange and an inline query and prints
what the bot sent as text, (2) asks questions one at a time and reports the round trip (update
pushed → sendMessage received), (3) pushes a burst from many chats at once and reports throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from pydantic import SecretStr

from reportqa.indexer import build_index
from reportqa.render import html_to_text
from reportqa.settings import Settings
from tests.fake_telegram import FakeTelegram, bot_message, callback, inline_query, message
from tests.test_bot import start_harness, stop_harness

QUESTIONS = ["哪些单位在2021年开展了执法培训", "which units hired legal advisers", "应急局安全生产法宣传",
             "玉龙镇公共服务中心有多少个窗口", "双随机一公开", "信访办结率是多少", "2023年清理了多少件规范性文件",
             "执法人员素质不高的问题", "新冠疫苗接种情况", "哪些单位打算用抖音快手开展普法宣传"]


def show(title: str, calls) -> None:
    print(f"\n--- {title}")
    for call in calls:
        if call.method in {"sendMessage", "editMessageText"}:
            print(f"[{call.method}]")
            print(html_to_text(call.params["text"]))
            markup = call.params.get("reply_markup") or {}
            labels = [b["text"] for row in markup.get("inline_keyboard", []) for b in row]
            if labels:
                print("buttons: " + " | ".join(labels))
        elif call.method == "answerInlineQuery":
            for result in call.params["results"]:
                print(f"[inline] {result['title']} — {result['description'][:60]}…")
            if call.params["results"]:
                print("posts:\n" + html_to_text(call.params["results"][0]["input_message_content"]["message_text"]))


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--burst", type=int, default=500)
    parser.add_argument("--transcript", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        settings = Settings(index_dir=tmp_path / "index", _env_file=None)
        await build_index(settings.reports_dir, settings.index_dir, settings)
        fake = FakeTelegram()
        base = await fake.start()
        settings = settings.model_copy(update={
            "bot_token": SecretStr(fake.token), "bot_api_url": f"{base}/bot", "bot_file_url": f"{base}/file/bot",
            "bot_state_db": tmp_path / "bot.sqlite3", "rate_limit_per_minute": 100_000,
        })
        harness = await start_harness(settings, fake)
        try:
            if args.transcript:
                [reply] = await harness.ask(message("哪些单位在2021年开展了执法培训"))
                show("private: the example question", [reply])
                markup = [b for row in reply.params["reply_markup"]["inline_keyboard"] for b in row]
                data = {b["text"]: b.get("callback_data") for b in markup}
                show("private: next page", await harness.ask(callback(data["下一页 ▶"]), "editMessageText"))
                show("private: full section 1", await harness.ask(callback(data["📄 全文 1"])))
                show("private: outline 3", await harness.ask(callback(data["🗂 目录 3"])))
                show("group: chatter (no reply expected), then a mention", [])
                await harness.handled_all(await harness.push(message("今天开会吗", chat_id=-100, user_id=2,
                                                                     chat_type="supergroup")))
                mention = message("@reportqa_bot 法律顾问", chat_id=-100, user_id=2, chat_type="supergroup",
                                  entities=[{"type": "mention", "offset": 0, "length": 13}])
                show("group: @mention", await harness.ask(mention))
                show("group: reply to the bot", await harness.ask(message(
                    "双随机一公开", chat_id=-100, user_id=3, chat_type="supergroup",
                    reply_to=bot_message(chat_id=-100, chat_type="supergroup"))))
                show("inline: @reportqa_bot 执法培训", await harness.ask(inline_query("执法培训"), "answerInlineQuery"))

            # round trip, one question at a time
            latencies = []
            for i in range(args.questions):
                started = time.perf_counter()
                await harness.ask(message(QUESTIONS[i % len(QUESTIONS)], chat_id=10_000 + i, user_id=10_000 + i))
                latencies.append((time.perf_counter() - started) * 1000)
            latencies.sort()
            p90 = latencies[int(len(latencies) * 0.9)]
            p99 = latencies[max(0, int(len(latencies) * 0.99) - 1)]
            print(f"\nround trip over {len(latencies)} questions: median {statistics.median(latencies):.1f} ms, "
                  f"p90 {p90:.1f} ms, p99 {p99:.1f} ms")

            # a burst from many chats at once
            before = len(fake.sent("sendMessage"))
            started = time.perf_counter()
            ids = [await harness.push(message(QUESTIONS[i % len(QUESTIONS)], chat_id=20_000 + i, user_id=20_000 + i))
                   for i in range(args.burst)]
            await harness.handled_all(*ids, timeout=600)
            elapsed = time.perf_counter() - started
            answered = len(fake.sent("sendMessage")) - before
            print(f"burst: {args.burst} questions from {args.burst} chats answered in {elapsed:.2f} s "
                  f"= {answered / elapsed:.0f} questions/s, errors: {len(harness.errors)}")
        finally:
            await stop_harness(harness)
            await fake.stop()


if __name__ == "__main__":
    asyncio.run(main())
