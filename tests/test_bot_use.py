"""The bot as people use it (issue 13), end to end against the fake Bot API: inline typing, votes,
the report file, a group's scope, language, forum topics and webhooks."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr

from reportqa.channels.telegram.app import _post_shutdown, build_application, webhook_options
from reportqa.index.builder import build_index
from tests.bot_harness import Harness
from tests.conftest import SEEDS
from tests.fake_telegram import (
    FakeTelegram,
    buttons,
    callback,
    callback_of,
    chosen_inline_result,
    inline_query,
    message,
)

ROOT = Path(__file__).resolve().parents[1]
SCORE = ROOT.parent / "shared" / "eval" / "score.py"
ADMIN = 7


async def logged(bot: Harness) -> list[tuple[str, str]]:
    db = bot.app.bot_data["services"].state.db
    async with db.execute("SELECT question, source FROM questions ORDER BY id") as cursor:
        return [(row[0], row[1]) async for row in cursor]


def passage_ids(call) -> list[str]:
    return [r["id"] for r in call.params["results"] if r["id"].startswith("p")]


async def type_letters(bot: Harness, text: str, user_id: int = 1) -> list:
    """One inline query per prefix of ``text``, as Telegram sends them while someone types."""
    calls = []
    for end in range(1, len(text) + 1):
        [call] = await bot.ask(inline_query(text[:end], user_id=user_id), method="answerInlineQuery")
        calls.append(call)
    return calls


# -- inline typing ---------------------------------------------------------------------------


async def test_typing_three_questions_inline(make_bot) -> None:
    bot = await make_bot(inline_burst_seconds=0.8)
    questions = ["哪些单位开展了执法培训", "法律顾问 2021", "公共服务中心几个窗口"]
    answered = []
    for text in questions:
        answered.append(await type_letters(bot, text))
        await asyncio.sleep(1.4)  # a pause: the burst's last query goes into the log
    assert sum(len(calls) for calls in answered) == 30
    for calls in answered:  # every query answered with something visible, never an empty list
        assert all(call.params["results"] for call in calls)
        assert passage_ids(calls[-1]), calls[-1].params
    first, second, third = answered
    # a dangling character is completed, an unfinished year dropped: the answer does not get worse
    assert passage_ids(first[-2]) == passage_ids(first[-1])  # 哪些单位开展了执法培 = …执法培训
    by_prefix = {q: c for q, c in zip(["法律顾问 2021"[:n] for n in range(1, 11)], second, strict=False)}
    assert passage_ids(by_prefix["法律顾"]) == passage_ids(by_prefix["法律顾问"])
    assert passage_ids(by_prefix["法律顾问 20"]) == passage_ids(by_prefix["法律顾问"])
    assert passage_ids(by_prefix["法律顾问 202"]) == passage_ids(by_prefix["法律顾问"])
    assert passage_ids(third[-1]) != []
    # the same user's next private question is answered: inline has its own budget
    [reply] = await bot.ask(message("哪些单位聘请了法律顾问"))
    assert "太频繁" not in reply.params["text"] and "法律顾问" in reply.params["text"]
    log = await logged(bot)
    assert [q for q, source in log if source == "inline"] == questions
    assert [source for _, source in log].count("message") == 1


async def test_inline_budget_is_its_own_and_says_to_wait(make_bot) -> None:
    bot = await make_bot(inline_rate_limit_per_minute=3, rate_limit_per_minute=2)
    for text in ("执法培训", "法律顾问", "普法"):
        [call] = await bot.ask(inline_query(text), method="answerInlineQuery")
        assert passage_ids(call)
    [call] = await bot.ask(inline_query("双随机"), method="answerInlineQuery")
    [wait] = call.params["results"]
    assert wait["id"] == "wait" and "秒后再试" in wait["title"]
    assert call.params["cache_time"] == 0
    [again] = await bot.ask(inline_query("执法培"), method="answerInlineQuery")  # settles to a cached query
    assert passage_ids(again)
    [english] = await bot.ask(inline_query("training", language="en"), method="answerInlineQuery")
    assert "wait" in english.params["results"][0]["title"]
    [reply] = await bot.ask(message("执法培训"))  # questions keep their own budget
    assert "太频繁" not in reply.params["text"]


async def test_chosen_inline_result_is_the_question_logged(make_bot) -> None:
    bot = await make_bot(inline_burst_seconds=0.5)
    [call] = await bot.ask(inline_query("执法培训"), method="answerInlineQuery")
    picked = passage_ids(call)[0]
    update_id = await bot.push(chosen_inline_result(picked, "执法培训"))
    await bot.handled_all(update_id)
    await type_letters(bot, "普法")  # picked results are known to arrive: bursts are no longer logged
    await asyncio.sleep(0.9)
    assert await logged(bot) == [("执法培训", "inline-chosen")]


# -- feedback ---------------------------------------------------------------------------------


async def test_votes_are_stored_shown_in_stats_and_exported(make_bot, tmp_path: Path) -> None:
    state_db = tmp_path / "votes.sqlite3"
    bot = await make_bot(admins=frozenset({ADMIN}), bot_state_db=state_db)
    [good] = await bot.ask(message("哪些单位在2021年开展了执法培训"))
    [bad] = await bot.ask(message("玉龙镇公共服务中心有多少个窗口"))
    assert [b["text"] for b in buttons(good)][-3:] == ["👍 有用", "👎 不对", "↗ 分享"]

    [ack] = await bot.ask(callback(callback_of(good, "fb:")[:-1] + "1"), method="answerCallbackQuery")
    assert "👍" in ack.params["text"]
    down = callback_of(bad, "fb:")[:-1] + "0"
    [prompt] = await bot.ask(callback(down))  # the first 👎 asks, once, what was wrong
    assert "哪里不对" in prompt.params["text"]
    reasons = [b["text"] for b in buttons(prompt)]
    assert reasons == ["单位不对", "年份不对", "内容不相关", "缺少应有的内容"]
    [saved] = await bot.ask(callback(callback_of(prompt, "fr:")), method="editMessageText")
    assert saved.params["text"] == "谢谢，已记录：单位不对"  # the page showed one result: it is the one
    [same] = await bot.ask(callback(down), method="answerCallbackQuery")
    assert "已经记录" in same.params["text"]
    sent = len(bot.fake.sent("sendMessage"))
    await bot.ask(callback(down[:-1] + "1"), method="answerCallbackQuery")  # changed to 👍 …
    await bot.ask(callback(down), method="answerCallbackQuery")  # … and back: not asked again
    assert len(bot.fake.sent("sendMessage")) == sent
    [other] = await bot.ask(callback(callback_of(prompt, "fr:"), user_id=5), method="answerCallbackQuery")
    assert "先在回答下点" in other.params["text"]  # a reason without a 👎 of one's own is not taken

    stats = "\n".join(c.params["text"] for c in await bot.ask(message("/stats", user_id=ADMIN, chat_id=ADMIN)))
    assert "每周有用率" in stats and "1/2 = 50%" in stats
    assert "最近的 👎" in stats and "玉龙镇公共服务中心有多少个窗口" in stats

    out = tmp_path / "feedback.jsonl"
    env = {**os.environ, "REPORTQA_BOT_STATE_DB": str(state_db)}
    done = subprocess.run([sys.executable, "-m", "reportqa", "feedback", "--export", str(out)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "2 votes" in done.stdout
    cases = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    up = next(c for c in cases if c["feedback"]["helpful"])
    down_case = next(c for c in cases if not c["feedback"]["helpful"])
    assert up["question"] == "哪些单位在2021年开展了执法培训" and len(up["expect"]) == 3
    [shown] = down_case["feedback"]["shown"]
    assert down_case["feedback"]["reason"] == "unit" and down_case["exclude_sources"] == [shown["source"]]
    assert down_case["needs_facts"] is True
    if SCORE.is_file():  # the shared scorer reads the lines, and the 👍 facts are found again
        questions = tmp_path / "up.jsonl"
        questions.write_text(json.dumps(up, ensure_ascii=False) + "\n", encoding="utf-8")
        scored = subprocess.run([sys.executable, str(SCORE), "--questions", str(questions), "--reports",
                                 str(SEEDS), "--cmd", f"{sys.executable} -m reportqa"],
                                capture_output=True, text=True, timeout=300)
        assert "recall@5=1.000" in scored.stdout, scored.stdout + scored.stderr


# -- the report file --------------------------------------------------------------------------


async def test_the_paperclip_sends_the_report_file_then_by_file_id(bot: Harness) -> None:
    [reply] = await bot.ask(message("玉龙镇公共服务中心有多少个窗口"))
    clip = callback_of(reply, "sf:")
    [document] = await bot.ask(callback(clip), method="sendDocument")
    [(name, content)] = bot.fake.uploads
    source = SEEDS / name
    assert source.is_file() and content == source.read_bytes()
    assert "重庆市大足区玉龙镇人民政府 · 2021年" in document.params["caption"]
    assert document.params["parse_mode"] == "HTML"
    [again] = (await bot.ask(callback(clip), method="sendDocument"))[-1:]
    assert again.params["document"] == "doc1" and len(bot.fake.uploads) == 1  # Telegram's file_id, no upload
    [full, *_] = await bot.ask(callback(callback_of(reply, "fs:")))  # 全文 carries the 📎 too
    assert [b["callback_data"] for b in buttons(full)] == [clip]


async def test_no_file_for_outsiders_or_a_changed_file(make_bot, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    shutil.copytree(SEEDS, reports)
    index_dir = tmp_path / "index"
    bot = await make_bot(reports_dir=reports, index_dir=index_dir, allowed_users=frozenset({1}))
    await build_index(reports, index_dir, bot.app.bot_data["services"].settings)
    [reply] = await bot.ask(message("玉龙镇公共服务中心有多少个窗口"))
    clip = callback_of(reply, "sf:")
    [refused] = await bot.ask(callback(clip, user_id=9), method="answerCallbackQuery")
    assert "没有使用本机器人的权限" in refused.params["text"]
    for path in reports.glob("002_*"):
        path.write_text(path.read_text(encoding="utf-8") + "\n补充。", encoding="utf-8")
    [changed] = await bot.ask(callback(clip), method="answerCallbackQuery")
    assert "改动过" in changed.params["text"] and not bot.fake.sent("sendDocument")


# -- a group's scope --------------------------------------------------------------------------


async def test_a_scoped_group_stays_inside_its_scope(bot: Harness) -> None:
    group = {"chat_id": -100, "chat_type": "supergroup"}
    [refused] = await bot.ask(message("/scope 大足区", user_id=2, **group))
    assert "只有群管理员" in refused.params["text"]
    bot.fake.chat_admins.add((-100, 2))
    [topic_word] = await bot.ask(message("/scope 普法", user_id=2, **group))
    assert "范围只能是单位、地区或年份" in topic_word.params["text"]
    [missing] = await bot.ask(message("/scope 绍兴市", user_id=2, **group))
    assert "未收录" in missing.params["text"]
    [done] = await bot.ask(message("/scope 大足区", user_id=2, **group))
    assert "范围已设为：大足区" in done.params["text"]

    [reply] = await bot.ask(message("/ask 哪些单位开展了执法培训", user_id=3, **group))
    text = reply.params["text"]
    assert "📌 范围：大足区" in text and "重庆市大足区应急管理局" in text
    assert "长寿区" not in text and "阿坝" not in text
    [other] = await bot.ask(message("/ask 长寿区 法律顾问", user_id=3, **group))
    assert "未按范围（大足区）" in other.params["text"] and "长寿区招商投资促进局" in other.params["text"]
    [pages] = await bot.ask(message("/ask 执法", user_id=3, **group))  # a page keeps the scope it was asked in
    [edit] = await bot.ask(callback(callback_of(pages, "pg:"), chat_id=-100, chat_type="supergroup"),
                           method="editMessageText")
    assert "📌 范围：大足区" in edit.params["text"] and "第 4–6 条" in edit.params["text"]
    assert "长寿区" not in edit.params["text"] and "阿坝" not in edit.params["text"]
    [private] = await bot.ask(message("哪些单位开展了执法培训", user_id=3, chat_id=3))  # private: unscoped
    assert "范围" not in private.params["text"]
    [inline] = await bot.ask(inline_query("哪些单位聘请了法律顾问", user_id=3), method="answerInlineQuery")
    assert any("阿坝" in r["title"] or "长寿" in r["title"] for r in inline.params["results"])
    [shown] = await bot.ask(message("/scope", user_id=3, **group))  # anyone may see it
    assert "大足区" in shown.params["text"]
    await bot.ask(message("/scope off", user_id=2, **group))
    [unscoped] = await bot.ask(message("/ask 哪些单位聘请了法律顾问", user_id=3, **group))
    assert "范围" not in unscoped.params["text"] and "阿坝" in unscoped.params["text"]


async def test_a_users_own_scope_holds_in_private_and_inline(bot: Harness) -> None:
    [done] = await bot.ask(message("/scope 应急管理局 2021-2023"))
    assert "应急管理局 · 2021–2023" in done.params["text"]
    [reply] = await bot.ask(message("执法培训"))
    assert "📌 范围：应急管理局 · 2021–2023" in reply.params["text"]
    assert "玉龙镇" not in reply.params["text"]
    [inline] = await bot.ask(inline_query("执法培训"), method="answerInlineQuery")
    assert inline.params["results"] and all("应急管理局" in r["title"] for r in inline.params["results"])


# -- language and topics ----------------------------------------------------------------------


async def test_language_follows_the_user_unless_the_question_is_clearly_other(bot: Harness) -> None:
    [emoji] = await bot.ask(message("😀🎉"))  # zh-hans, no words: Chinese
    assert "问题里没有可检索的内容词" in emoji.params["text"]
    [english] = await bot.ask(message("which units hired legal advisers"))  # zh-hans user, English question
    assert "one line per unit" in english.params["text"]
    assert "👍 Helpful" in [b["text"] for b in buttons(english)]
    [chinese] = await bot.ask(message("哪些单位聘请了法律顾问", language="en"))
    assert "按单位列出" in chinese.params["text"]
    [no_words] = await bot.ask(message("2021", language="en"))
    assert "reports, newest first" in no_words.params["text"]


async def test_answers_stay_in_the_askers_forum_topic(bot: Harness) -> None:
    ask = message("/ask 执法培训", chat_id=-100, user_id=3, chat_type="supergroup", topic=42)
    replies = await bot.ask(ask)
    assert len(replies) == 1  # one message per question
    [reply] = replies
    assert reply.params["message_thread_id"] == 42
    assert reply.params["reply_parameters"]["message_id"] == ask["message"]["message_id"]
    [full, *_] = await bot.ask(callback(callback_of(reply, "fs:"), chat_id=-100, chat_type="supergroup", topic=42))
    assert full.params["message_thread_id"] == 42


# -- webhooks ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_webhook_takes_updates_with_the_secret_only(seed_index, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    settings, index_dir = seed_index
    fake = FakeTelegram()
    base = await fake.start()
    port = _free_port()
    settings = settings.model_copy(update={
        "bot_token": SecretStr(fake.token), "bot_api_url": f"{base}/bot", "bot_file_url": f"{base}/file/bot",
        "index_dir": index_dir, "bot_state_db": tmp_path / "bot.sqlite3",
        "webhook_url": f"http://127.0.0.1:{port}/telegram/hook", "webhook_listen": "127.0.0.1",
        "webhook_port": port, "webhook_secret": SecretStr("s3cret-token")})
    app = build_application(settings)
    await app.initialize()
    await app.post_init(app)
    await app.start()
    await app.updater.start_webhook(**webhook_options(settings))
    try:
        [hook] = fake.sent("setWebhook")
        assert hook.params["url"] == settings.webhook_url and hook.params["secret_token"] == "s3cret-token"
        update = {"update_id": 1, **message("执法培训")}
        url = f"http://127.0.0.1:{port}/telegram/hook"
        async with aiohttp.ClientSession() as session:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                async with session.post(url, json=update, headers=headers) as response:
                    assert response.status == 403
            async with session.post(url, json=update,
                                    headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}) as response:
                assert response.status == 200
        [reply] = await fake.wait_for("sendMessage")
        assert "执法" in reply.params["text"]
    finally:
        await app.updater.stop()
        await app.stop()
        await _post_shutdown(app)
        await app.shutdown()
        await fake.stop()
    without_secret = settings.model_copy(update={"webhook_secret": None})
    with pytest.raises(ValueError, match="WEBHOOK_SECRET"):
        webhook_options(without_secret)
