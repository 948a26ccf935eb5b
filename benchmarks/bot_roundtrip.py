"""The bot end to end against the fake Bot API: a transcript, round-trip latency and throughput.

    .venv/bin/python -m benchmarks.bot_roundtrip [--questions 100] [--transcript]

Starts the fake Bot API server (tests/fake_telegram.py) and the real Application on the sample
reports, then (1) plays a private conversation, a group exchange and an inline query and prints
what the bot sent as text, (2) asks questions one at a time and reports the round trip (update
pushed → sendMessage received), (3) pushes a burst from many chats at once and reports throughput,
(4) the same burst against ``python bot.py`` in its own process, as it runs in production (the fake
server and this driver then no longer share the bot's interpreter), (5) a slow question beside fast
ones from other chats: the fast ones must not wait for it.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from pydantic import SecretStr

from reportqa.answers import compose as answers
from reportqa.index.builder import build_index
from reportqa.present.render import html_to_text
from reportqa.settings import Settings
from tests.bot_harness import start_harness, stop_harness
from tests.fake_telegram import FakeTelegram, bot_message, callback, document, inline_query, message

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ["哪些单位在2021年开展了执法培训", "which units hired legal advisers", "应急局安全生产法宣传",
             "玉龙镇公共服务中心有多少个窗口", "双随机一公开", "信访办结率是多少", "2023年清理了多少件规范性文件",
             "执法人员素质不高的问题", "新冠疫苗接种情况", "哪些单位打算用抖音快手开展普法宣传"]


def show(title: str, calls, brief: bool = False) -> None:
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
                print(f"[inline] {result['title']} — {result.get('description', '')[:60]}…")
            if call.params["results"] and not brief:
                print("posts:\n" + html_to_text(call.params["results"][0]["input_message_content"]["message_text"]))
        elif call.method == "sendDocument":
            document_ = call.params.get("document")
            how = f"upload {document_['upload']}" if isinstance(document_, dict) else f"file_id {document_}"
            print(f"[sendDocument] {how}\ncaption: {html_to_text(call.params.get('caption', ''))}")
        elif call.method == "answerCallbackQuery" and call.params.get("text"):
            print(f"[toast] {call.params['text']}")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--burst", type=int, default=500)
    parser.add_argument("--transcript", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        reports = tmp_path / "reports"  # a copy: the transcript's upload writes into it
        shutil.copytree(Settings(_env_file=None).reports_dir, reports)
        settings = Settings(index_dir=tmp_path / "index", reports_dir=reports, admins=frozenset({1}), _env_file=None)
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
                if "下一页 ▶" in data:
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
                await transcript_of_an_upload(harness, fake)
                await transcript_of_everyday_use(harness, fake)

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
            await slow_question_beside_fast_ones(harness, fake)
        finally:
            await stop_harness(harness)
            await fake.stop()
        await burst_against_bot_process(settings.index_dir, tmp_path, args.burst)


async def transcript_of_an_upload(harness, fake: FakeTelegram) -> None:
    """An administrator sends a .docx; then a question finds it."""
    import docx

    document_ = docx.Document()
    document_.add_paragraph("重庆市某某区交通运输局")
    document_.add_heading("2024年法治政府建设情况报告", level=1)
    document_.add_heading("一、主要工作", level=2)
    document_.add_paragraph("（一）加强执法培训。全年组织无人机巡查执法培训4期，参训执法人员160人次。")
    buffer = io.BytesIO()
    document_.save(buffer)
    fake.files["upload-1"] = buffer.getvalue()
    before = len(fake.sent("sendMessage"))
    update = await harness.push(document("交通局2024年报告.docx", file_id="upload-1", size=len(buffer.getvalue())))
    await harness.handled_all(update, timeout=300)
    show("admin uploads 交通局2024年报告.docx", fake.sent("sendMessage")[before:])
    show("private: 无人机巡查执法培训", await harness.ask(message("无人机巡查执法培训")))


async def transcript_of_everyday_use(harness, fake: FakeTelegram) -> None:
    """Issue 13: inline typing, a 👎 with its reason, 📎 twice, a group's scope, a forum topic."""
    def data_of(call) -> dict[str, str]:
        markup = call.params.get("reply_markup") or {}
        return {b["text"]: b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row}

    typed = "执法培训 2021"
    for end in (3, 4, 7, 9):
        show(f"inline, typing: @reportqa_bot {typed[:end]}",
             await harness.ask(inline_query(typed[:end], user_id=5), "answerInlineQuery"), brief=True)
    [reply] = await harness.ask(message("玉龙镇公共服务中心有多少个窗口"))
    show("private: a question", [reply])
    buttons = data_of(reply)
    before = len(fake.calls)
    await harness.ask(callback(buttons["👎 不对"]))
    show("private: 👎", fake.calls[before:])
    [prompt] = fake.sent("sendMessage")[-1:]
    before = len(fake.calls)
    await harness.ask(callback(data_of(prompt)["单位不对"]), "editMessageText")
    show("private: the reason", fake.calls[before:])
    show("private: 📎 原文 1", await harness.ask(callback(buttons["📎 原文 1"]), "sendDocument"))
    show("private: 📎 原文 1 again", await harness.ask(callback(buttons["📎 原文 1"]), "sendDocument"))
    group = {"chat_id": -300, "chat_type": "supergroup"}
    fake.chat_admins.add((-300, 8))
    show("group admin: /scope 大足区", await harness.ask(message("/scope 大足区", user_id=8, **group)))
    for question in ("/ask 哪些单位开展了执法培训", "/ask 长寿区 法律顾问"):
        show(f"group: {question}", await harness.ask(message(question, user_id=9, **group)))
    show("admin: /stats", await harness.ask(message("/stats", user_id=1)))
    [topic] = await harness.ask(message("/ask 双随机一公开", user_id=9, topic=77, **group))
    print(f"\n--- forum topic 77: the answer went to message_thread_id={topic.params.get('message_thread_id')}")


async def slow_question_beside_fast_ones(harness, fake: FakeTelegram) -> None:
    """One question made slow (its search sleeps 2 s) while other chats ask: their answers must come
    at the usual speed, not after the slow one."""
    original = answers.answer_question
    slow_text = "新冠疫苗接种情况"

    async def answer(index, question, *args, **kwargs):  # type: ignore[no-untyped-def]
        if slow_text in question:
            await asyncio.sleep(2.0)
        return await original(index, question, *args, **kwargs)

    answers.answer_question = answer
    try:
        before = len(fake.sent("sendMessage"))
        started = time.perf_counter()
        slow_id = await harness.push(message(slow_text, chat_id=30_000, user_id=30_000))
        fast_ids = [await harness.push(message(QUESTIONS[i % 4], chat_id=30_001 + i, user_id=30_001 + i))
                    for i in range(20)]
        await harness.handled_all(*fast_ids, timeout=60)
        fast_done = time.perf_counter() - started
        await harness.handled_all(slow_id, timeout=60)
        slow_done = time.perf_counter() - started
        answered = len(fake.sent("sendMessage")) - before
        print(f"slow question (2 s) beside 20 fast ones from other chats: fast ones all answered after "
              f"{fast_done * 1000:.0f} ms, the slow one after {slow_done * 1000:.0f} ms ({answered} replies)")
    finally:
        answers.answer_question = original


async def burst_against_bot_process(index_dir: Path, tmp_path: Path, burst: int) -> None:
    fake = FakeTelegram()
    base = await fake.start()
    env = {**os.environ, "REPORTQA_BOT_TOKEN": fake.token, "REPORTQA_BOT_API_URL": f"{base}/bot",
           "REPORTQA_BOT_FILE_URL": f"{base}/file/bot", "REPORTQA_INDEX_DIR": str(index_dir),
           "REPORTQA_BOT_STATE_DB": str(tmp_path / "bot-process.sqlite3"),
           "REPORTQA_RATE_LIMIT_PER_MINUTE": "100000", "NO_PROXY": "127.0.0.1,localhost"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "bot.py"), cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        await fake.wait_for("deleteWebhook", timeout=60)
        await fake.push(message("预热", chat_id=1, user_id=1))  # the first question loads the index
        await fake.wait_for("sendMessage", timeout=60)
        for round_ in range(3):
            before = len(fake.sent("sendMessage"))
            started = time.perf_counter()
            for i in range(burst):
                await fake.push(message(QUESTIONS[i % len(QUESTIONS)], chat_id=40_000 + i, user_id=40_000 + i))
            await fake.wait_for("sendMessage", count=before + burst, timeout=600)
            elapsed = time.perf_counter() - started
            print(f"burst against `python bot.py` (own process), round {round_ + 1}: {burst} questions from "
                  f"{burst} chats answered in {elapsed:.2f} s = {burst / elapsed:.0f} questions/s")
    finally:
        process.terminate()
        await process.wait()
        await fake.stop()


if __name__ == "__main__":
    asyncio.run(main())
