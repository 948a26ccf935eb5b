"""The real python-telegram-bot Application against a fake Bot API server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import pytest

from reportqa.index.builder import build_index
from reportqa.settings import Settings
from tests.bot_harness import Harness
from tests.fake_telegram import FakeTelegram, bot_message, buttons, callback, inline_query, message

ROOT = Path(__file__).resolve().parents[1]


# -- private chat ---------------------------------------------------------------------------


async def test_private_question_is_answered_with_citations_and_buttons(bot: Harness) -> None:
    [reply] = await bot.ask(message("哪些单位在2021年开展了执法培训"))
    assert reply.params["parse_mode"] == "HTML"
    text = reply.params["text"]
    assert "重庆市大足区应急管理局" in text and "重庆市大足区玉龙镇人民政府" in text
    assert "<b>执法</b>" in text or "<b>培训</b>" in text
    assert "年份 2021" in text and "按单位列出" in text
    assert len(text) <= 4096
    data = [b.get("callback_data", "") for b in buttons(reply)]
    assert any(d.startswith("fs:") for d in data) and any(d.startswith("ol:") for d in data)
    assert "重庆市长寿区招商投资促进局" not in text  # its 培训 is not 执法培训: it has no enforcement power
    assert all(len(d.encode()) <= 64 for d in data)
    share = [b for b in buttons(reply) if "switch_inline_query" in b]
    assert share and share[0]["switch_inline_query"] == "哪些单位在2021年开展了执法培训"


async def test_units_answer_lists_each_unit_once(bot: Harness) -> None:
    [reply] = await bot.ask(message("哪些单位聘请了法律顾问"))
    text = reply.params["text"]
    units = ["重庆市长寿区招商投资促进局", "重庆市大足区玉龙镇人民政府", "阿坝藏族羌族自治州经济和信息化局"]
    assert all(text.count(f". {u}</b>") == 1 for u in units)  # one heading line per unit
    assert "第 1–3 个单位" in text


async def test_paging_edits_the_message(bot: Harness) -> None:
    [reply] = await bot.ask(message("执法"))
    assert "第 1–3 条" in reply.params["text"]
    next_page = next(b["callback_data"] for b in buttons(reply) if b.get("callback_data", "").startswith("pg:"))
    [edit] = await bot.ask(callback(next_page), method="editMessageText")
    assert "第 4–6 条" in edit.params["text"]
    assert edit.params["parse_mode"] == "HTML"
    previous = [b["callback_data"] for b in buttons(edit) if b.get("text", "").startswith("◀")]
    assert previous and previous[0].endswith(":0")
    assert bot.fake.sent("answerCallbackQuery")


async def test_full_section_and_outline(bot: Harness) -> None:
    [reply] = await bot.ask(message("玉龙镇公共服务中心有多少个窗口"))
    full = next(b["callback_data"] for b in buttons(reply) if b.get("callback_data", "").startswith("fs:"))
    [section] = await bot.ask(callback(full))
    assert "共设有10个窗口" in section.params["text"]
    assert "重庆市大足区玉龙镇人民政府 · 2021年 · 2021-11-23" in section.params["text"]
    outline = next(b["callback_data"] for b in buttons(reply) if b.get("callback_data", "").startswith("ol:"))
    [toc] = await bot.ask(callback(outline))
    assert "2021年法治政府建设情况报告" in toc.params["text"]
    assert "• 一、推进法治政府建设的主要举措及成效 › （二）深化“放管服”，加强服务型政府建设" in toc.params["text"]


async def test_forged_and_stale_buttons_are_answered_politely(bot: Harness) -> None:
    for data in ("pg:nosuchsid:3", "fs:99999999", "ol:424242", "drop table", "pg:x:-1"):
        await bot.ask(callback(data), method="answerCallbackQuery")
    assert not bot.fake.sent("sendMessage")


async def test_empty_answer_says_what_exists(bot: Harness) -> None:
    [reply] = await bot.ask(message("2019年哪些单位开展了执法培训"))
    assert "没有2019年的报告" in reply.params["text"] and "2021、2023" in reply.params["text"]
    # nothing to page, read or share: only the votes (a 👎 on "nothing" says something is missing)
    assert [b["callback_data"][:2] for b in buttons(reply)] == ["fb", "fb"]


async def test_english_user_gets_english_words_around_chinese_excerpts(bot: Harness) -> None:
    [reply] = await bot.ask(message("which units hired legal advisers", language="en"))
    text = reply.params["text"]
    assert "one line per unit" in text and "法律顾问" in text


# -- groups -----------------------------------------------------------------------------------


async def test_group_chatter_is_ignored(bot: Harness) -> None:
    ids = [await bot.push(message(text, chat_id=-100, user_id=2, chat_type="supergroup"))
           for text in ("大家好", "执法培训的材料发群里了", "哪些单位开展了执法培训")]
    await bot.handled_all(*ids)
    assert not bot.fake.sent("sendMessage")


async def test_group_mention_ask_and_reply_are_answered_quoting_the_asker(bot: Harness) -> None:
    mention = message("@reportqa_bot 执法培训", chat_id=-100, user_id=2, chat_type="supergroup",
                      entities=[{"type": "mention", "offset": 0, "length": len("@reportqa_bot")}])
    [reply] = await bot.ask(mention)
    assert reply.params["reply_parameters"]["message_id"] == mention["message"]["message_id"]
    assert "执法培训" in reply.params["text"] and "@reportqa_bot" not in reply.params["text"]

    ask = message("/ask 法律顾问", chat_id=-100, user_id=3, chat_type="supergroup")
    [reply] = await bot.ask(ask)
    assert reply.params["reply_parameters"]["message_id"] == ask["message"]["message_id"]
    assert "法律顾问" in reply.params["text"]

    answer_to_bot = message("双随机一公开", chat_id=-100, user_id=4, chat_type="supergroup",
                            reply_to=bot_message(chat_id=-100, chat_type="supergroup"))
    [reply] = await bot.ask(answer_to_bot)
    assert "双随机" in reply.params["text"]


# -- inline mode ------------------------------------------------------------------------------


async def test_inline_query_offers_cited_excerpts(bot: Harness) -> None:
    [call] = await bot.ask(inline_query("执法培训"), method="answerInlineQuery")
    results = call.params["results"]
    assert 1 <= len(results) <= 10
    first = results[0]
    assert " · 20" in first["title"]
    assert first["description"]
    content = first["input_message_content"]
    assert content["parse_mode"] == "HTML"
    assert "📄" in content["message_text"] and "—" in content["message_text"]
    assert len(content["message_text"]) <= 4096


async def test_empty_inline_query_shows_how_to_use_it(bot: Harness) -> None:
    [call] = await bot.ask(inline_query(""), method="answerInlineQuery")
    [article] = call.params["results"]
    assert "@reportqa_bot" in article["description"]


async def test_inline_query_with_a_garbage_offset(bot: Harness) -> None:
    [call] = await bot.ask(inline_query("执法", offset="not-a-number"), method="answerInlineQuery")
    assert call.params["results"]


# -- commands ---------------------------------------------------------------------------------


async def test_commands(make_bot) -> None:
    bot = await make_bot(admins=frozenset({7}))
    assert {c.params.get("language_code") for c in bot.fake.sent("setMyCommands")} == {None, "en"}
    [help_zh] = await bot.ask(message("/start"))
    assert "哪些单位在2021年开展了执法培训" in help_zh.params["text"]
    [help_en] = await bot.ask(message("/help", language="en"))
    assert "Send a question" in help_en.params["text"]
    [units] = await bot.ask(message("/units"))
    text = units.params["text"]
    assert "重庆市大足区应急管理局" in text and "单位不详" in text
    # by region: 重庆市's four units (000 is placed by its text, its unit unknown), then 四川省's
    assert "<b>四川省</b>" in text and "<b>重庆市</b>" in text
    chongqing = text[text.index("<b>重庆市</b>"):]
    chongqing = chongqing[: chongqing.index("<b>四川省</b>")] if "<b>四川省</b>" in chongqing else chongqing
    assert "重庆市大足区应急管理局" in chongqing and "重庆市长寿区招商投资促进局" in chongqing
    assert "阿坝藏族羌族自治州经济和信息化局" not in chongqing
    [years] = await bot.ask(message("/years"))
    assert "2021: 4 份报告" in years.params["text"]
    [unit] = await bot.ask(message("/unit 应急"))
    assert "004_c1f201046002a3b5.txt" in unit.params["text"]
    [missing] = await bot.ask(message("/unit 税务"))
    assert "没有名称包含“税务”的单位" in missing.params["text"]
    [refused] = await bot.ask(message("/stats", user_id=1))
    assert "管理员" in refused.params["text"]
    [stats] = await bot.ask(message("/stats", user_id=7))
    assert "提问统计" in stats.params["text"]


async def test_questions_are_logged_and_counted(make_bot) -> None:
    bot = await make_bot(admins=frozenset({7}))
    await bot.ask(message("执法培训"))
    await bot.ask(message("新冠疫苗接种情况"))
    [stats] = await bot.ask(message("/stats", user_id=7))
    text = stats.params["text"]
    assert "共 2" in text and "新冠疫苗接种情况 ×1" in text
    services = bot.app.bot_data["services"]
    async with services.state.db.execute("SELECT chat_type, user_id, filters, results, latency_ms FROM questions") as c:
        rows = await c.fetchall()
    assert rows[0][0] == "private" and rows[0][1] == 1 and rows[0][3] > 0 and rows[0][4] > 0
    assert rows[1][3] == 0


# -- safety -----------------------------------------------------------------------------------


async def test_access_refused(make_bot) -> None:
    bot = await make_bot(allowed_users=frozenset({42}))
    [reply] = await bot.ask(message("执法培训", user_id=1))
    assert "没有使用本机器人的权限" in reply.params["text"]
    assert "执法" not in reply.params["text"]
    [call] = await bot.ask(inline_query("执法培训", user_id=1), method="answerInlineQuery")
    [article] = call.params["results"]  # the refusal with the user's id, never a result
    assert article["id"] == "refused" and "您的用户 ID：1" in article["input_message_content"]["message_text"]
    [allowed] = await bot.ask(message("执法培训", user_id=42, chat_id=42))
    assert "执法" in allowed.params["text"]


async def test_rate_limit(make_bot) -> None:
    bot = await make_bot(rate_limit_per_minute=2)
    replies = [(await bot.ask(message(f"执法培训 {i}")))[0].params["text"] for i in range(3)]
    assert "太频繁" not in replies[0] and "太频繁" not in replies[1]
    assert "太频繁" in replies[2]


async def test_long_question_and_user_html_are_handled(bot: Harness) -> None:
    [reply] = await bot.ask(message("<b>执法培训</b> & " + "很长的问题" * 2000))
    text = reply.params["text"]
    assert "问题过长" in text and len(text) <= 4096
    assert "&lt;b&gt;执法培训&lt;/b&gt; &amp;" in text


async def test_an_unknown_update_is_ignored(bot: Harness) -> None:
    ids = [
        await bot.push({"edited_message": message("执法")["message"]}),
        await bot.push({"some_future_update": {"x": 1}}),
        await bot.push({"message": {**{k: v for k, v in message("x")["message"].items() if k != "text"},
                                    "sticker": {"file_id": "s", "file_unique_id": "u", "width": 512, "height": 512,
                                                "is_animated": False, "is_video": False, "type": "regular"}}}),
        await bot.push({"my_chat_member": {"chat": {"id": -5, "type": "group", "title": "g"},
                                           "from": {"id": 3, "is_bot": False, "first_name": "a"}, "date": 0,
                                           "old_chat_member": {"status": "left", "user": {"id": 999, "is_bot": True,
                                                                                          "first_name": "b"}},
                                           "new_chat_member": {"status": "member", "user": {"id": 999, "is_bot": True,
                                                                                            "first_name": "b"}}}}),
    ]
    await bot.handled_all(*ids)
    assert not bot.fake.sent("sendMessage")


@pytest.fixture
async def hostile_index(tmp_path: Path, seed_index) -> tuple[Path, Settings]:
    settings, _ = seed_index
    reports = tmp_path / "hostile"
    reports.mkdir()
    long_section = "".join(f"第{i}项：组织<b>执法</b>培训&考核>合格。" for i in range(400))
    (reports / "a&b<c>.txt").write_text(
        "重庆市测试区<司法>局\n2022年法治政府建设情况报告\n一、主要举措\n"
        "（一）加强执法培训。组织<script>alert(1)</script>执法培训3次 & 考核 > 合格。\n"
        f"（二）超长章节。{long_section}\n",
        encoding="utf-8",
    )
    index_dir = tmp_path / "hostile-index"
    settings = settings.model_copy(update={"passage_max_chars": 100_000, "index_dir": index_dir,
                                           "reports_dir": reports})
    await build_index(reports, index_dir, settings)
    return index_dir, settings


async def test_report_text_with_markup_is_escaped_and_long_sections_split(make_bot, hostile_index) -> None:
    index_dir, settings = hostile_index
    bot = await make_bot(index_dir=index_dir, reports_dir=settings.reports_dir,
                         passage_max_chars=settings.passage_max_chars)
    [reply] = await bot.ask(message("执法培训考核"))
    text = reply.params["text"]
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "a&amp;b&lt;c&gt;.txt" in text
    assert "&lt;b&gt;" in text and "&gt;合格" in text and "&amp;" in text
    full_buttons = [b["callback_data"] for b in buttons(reply) if b.get("callback_data", "").startswith("fs:")]
    before = len(bot.fake.sent("sendMessage"))
    for data in full_buttons:
        await bot.ask(callback(data))
    pieces = bot.fake.sent("sendMessage")[before:]
    assert len(pieces) > len(full_buttons)  # the long section needed several messages
    assert all(len(p.params["text"]) <= 4096 for p in pieces)
    assert all(p.params["text"].count("<b>") == p.params["text"].count("</b>") for p in pieces)


async def test_concurrent_questions_from_many_chats(bot: Harness) -> None:
    ids = [await bot.push(message(q, chat_id=100 + i, user_id=100 + i))
           for i, q in enumerate(["执法培训", "法律顾问", "双随机一公开", "信访办结率", "普法宣传"] * 4)]
    await bot.handled_all(*ids, timeout=30)
    replies = bot.fake.sent("sendMessage")
    assert len(replies) == 20
    assert {r.params["chat_id"] for r in replies} == {100 + i for i in range(20)}


# -- the process --------------------------------------------------------------------------------


async def test_bot_py_runs_against_the_fake_and_stops_on_sigint(seed_index, tmp_path: Path) -> None:
    _, index_dir = seed_index
    fake = FakeTelegram()
    base = await fake.start()
    env = {**os.environ, "REPORTQA_BOT_TOKEN": fake.token, "REPORTQA_BOT_API_URL": f"{base}/bot",
           "REPORTQA_BOT_FILE_URL": f"{base}/file/bot", "REPORTQA_INDEX_DIR": str(index_dir),
           "REPORTQA_BOT_STATE_DB": str(tmp_path / "bot.sqlite3"), "NO_PROXY": "127.0.0.1,localhost"}
    from tests.test_bot_first_day import free_port

    env["REPORTQA_METRICS_PORT"] = str(port := free_port())  # issue 32: /metrics and /health by the bot process
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "bot.py"), cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        await fake.wait_for("deleteWebhook", timeout=60)  # polling is starting
        await fake.push(message("执法培训"))
        [reply] = await fake.wait_for("sendMessage", timeout=30)
        assert "执法" in reply.params["text"]
        import aiohttp

        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/health") as response:
                assert response.status == 200, await response.text()
            counted = 'reportqa_questions_total{channel="telegram",intent="passages"} 1.0'
            for _ in range(100):  # the reply goes out before the question is counted: wait for it
                async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                    if counted in (page := await response.text()):
                        break
                await asyncio.sleep(0.1)
            assert counted in page
        process.send_signal(signal.SIGINT)
        output, _ = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, output.decode()
        logged = [json.loads(line) for line in output.decode().splitlines() if line.startswith("{")]
        assert [(e["event"], e["question"], e["chat"]) for e in logged] == [("question", "执法培训", "private")]
        assert fake.token not in output.decode()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await fake.stop()


async def test_bot_py_without_a_token_exits_2_naming_the_variable(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "bot.py"), cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1 and "REPORTQA_BOT_TOKEN" in lines[0]


async def test_replies_follow_the_users_language(bot: Harness) -> None:
    for text in ("😀🎉", "？？？"):
        [reply] = await bot.ask(message(text))  # language_code zh-hans
        assert "问题里没有可检索的内容词" in reply.params["text"]
    [year] = await bot.ask(message("2021"))
    assert "共 4 份报告" in year.params["text"]
    [english] = await bot.ask(message("2021", language="en"))
    assert "4 reports, newest first" in english.params["text"]


async def test_an_overview_has_the_buttons_to_read_on(bot: Harness) -> None:
    [reply] = await bot.ask(message("应急局2021年做了什么"))
    text = reply.params["text"]
    assert "目录：一、推进法治政府建设的主要举措及成效" in text and "主要成效" in text
    data = [b["callback_data"] for row in reply.params["reply_markup"]["inline_keyboard"] for b in row
            if "callback_data" in b]
    assert any(d.startswith("fs:") for d in data) and any(d.startswith("ol:") for d in data)


async def test_outsiders_get_one_short_refusal_and_nothing_else(make_bot) -> None:
    """/start, /help, admin commands, a document, a button, a question and a mention whose entity
    splits an emoji: the same one line every time, no help text, no admin wording, no error text."""
    from tests.fake_telegram import callback, document

    bot = await make_bot(allowed_users=frozenset({42}), admins=frozenset({42}))
    refusal = "抱歉，您没有使用本机器人的权限。\n如需使用，请把下面的编号发给管理员：\n您的用户 ID：1"
    bot.fake.files["f9"] = b"2024\xe5\xb9\xb4"
    for update in (message("/start"), message("/help"), message("/stats"), message("/reindex"),
                   message("/remove a.txt"), message("/units"), message("/unit 应急"), message("执法培训"),
                   document("x.txt", file_id="f9", size=7)):
        [reply] = await bot.ask(update)
        assert reply.params["text"] == refusal, update
    [button] = await bot.ask(callback("ol:1"), method="answerCallbackQuery")
    assert button.params["text"] == refusal
    username = bot.app.bot.username
    text = f"😀@{username} 执法培训"
    split = {"type": "mention", "offset": 1, "length": len(username) + 1}  # in UTF-16 the emoji is 2 units
    before = len(bot.fake.sent("sendMessage"))
    await bot.handled_all(await bot.push(message(text, chat_id=-100, user_id=5, chat_type="supergroup",
                                                 entities=[split])))
    in_group = "抱歉，您没有使用本机器人的权限。\n如需使用，请把下面的编号发给管理员：\n您的用户 ID：5\n本群 ID：-100"
    assert all(m.params["text"] == in_group for m in bot.fake.sent("sendMessage")[before:])  # never the error text
    assert bot.fake.downloads == [] and bot.fake.sent("getFile") == []
