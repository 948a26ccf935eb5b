"""An administrator's first day with the bot (issue 32): ids for the allowlist, every command
answered, one language per reply, operators' handles — against the fake Bot API."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.bot_harness import Harness
from tests.fake_telegram import callback, callback_of, inline_query, message

ADMIN, STAFF, OUTSIDER, GROUP = 42, 43, 7, -100123


@pytest.fixture
async def guarded_bot(make_bot) -> Harness:
    """A bot with an allowlist: STAFF may ask, ADMIN administers, GROUP is let in as a chat."""
    return await make_bot(allowed_users=frozenset({STAFF}), admins=frozenset({ADMIN}),
                          allowed_chats=frozenset({GROUP}))


async def test_an_outsiders_refusal_carries_their_own_ids(guarded_bot: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="reportqa.access")
    [private] = await guarded_bot.ask(message("执法培训", user_id=OUTSIDER, chat_id=OUTSIDER))
    assert "您的用户 ID：7" in private.params["text"] and "本群" not in private.params["text"]
    [group] = await guarded_bot.ask(message("/ask 执法培训", user_id=OUTSIDER, chat_id=-555, chat_type="supergroup"))
    assert "您的用户 ID：7" in group.params["text"] and "本群 ID：-555" in group.params["text"]
    [english] = await guarded_bot.ask(message("/help", user_id=8, chat_id=8, language="en"))
    assert english.params["text"].startswith("Sorry, you are not allowed") and "Your user id: 8" in english.params["text"]
    [alert] = await guarded_bot.ask(callback("ol:1", user_id=OUTSIDER, chat_id=OUTSIDER), method="answerCallbackQuery")
    assert "您的用户 ID：7" in alert.params["text"] and len(alert.params["text"]) <= 200
    [inline] = await guarded_bot.ask(inline_query("执法培训", user_id=OUTSIDER), method="answerInlineQuery")
    assert "您的用户 ID：7" in inline.params["results"][0]["input_message_content"]["message_text"]
    logged = [r.getMessage() for r in caplog.records if r.name == "reportqa.access"]
    assert any("user 7" in line and "chat -555" in line and "command:ask" in line for line in logged), logged
    assert not any("执法培训" in line for line in logged)  # ids and the kind of attempt, never the text


async def test_whoami_answers_everyone_and_admins_see_the_refused_in_stats(guarded_bot: Harness) -> None:
    [outsider] = await guarded_bot.ask(message("/whoami", user_id=OUTSIDER, chat_id=OUTSIDER))
    assert "您的用户 ID：7" in outsider.params["text"] and "还不能使用" in outsider.params["text"]
    [staff] = await guarded_bot.ask(message("/whoami", user_id=STAFF, chat_id=STAFF))
    assert "您的用户 ID：43" in staff.params["text"] and "您可以使用" in staff.params["text"]
    [group] = await guarded_bot.ask(message("/whoami", user_id=9, chat_id=GROUP, chat_type="supergroup"))
    assert "本群 ID：-100123" in group.params["text"] and "本群已获准" in group.params["text"]
    [admin] = await guarded_bot.ask(message("/whoami", user_id=ADMIN, chat_id=ADMIN, language="en"))
    assert "Your user id: 42" in admin.params["text"] and "REPORTQA_ALLOWED_USERS" in admin.params["text"]
    await guarded_bot.handled_all(await guarded_bot.push(message("法律顾问", user_id=11, chat_id=-777,
                                                                 chat_type="group")))  # chatter: ignored
    await guarded_bot.ask(message("/units", user_id=12, chat_id=-777, chat_type="group"))
    await guarded_bot.ask(message("/units", user_id=12, chat_id=-777, chat_type="group"))
    [stats] = await guarded_bot.ask(message("/stats", user_id=ADMIN, chat_id=ADMIN))
    text = stats.params["text"]
    assert "最近被拒绝的访问" in text
    assert "用户 12（群 -777）：命令 /units" in text and "×2" in text  # one line per outsider and chat
    assert "用户 7：命令 /whoami" in text


@pytest.mark.parametrize(("typed", "says"), [
    ("/unti 应急", "没有 /unti 这个命令。您是想用 /unit 吗？发送 /help 查看全部命令。"),
    ("/subscribes 执法培训", "您是想用 /subscribe 吗"),
    ("/statz", "您是想用 /stats 吗"),
    ("/foo", "没有 /foo 这个命令。发送 /help 查看全部命令。"),
])
async def test_every_command_answers(guarded_bot: Harness, typed: str, says: str) -> None:
    [reply] = await guarded_bot.ask(message(typed, user_id=STAFF, chat_id=STAFF))
    assert says in reply.params["text"]


async def test_unknown_commands_in_groups_and_in_english(guarded_bot: Harness) -> None:
    [reply] = await guarded_bot.ask(message("/unti", user_id=STAFF, chat_id=STAFF, language="en"))
    assert reply.params["text"] == "There is no /unti command. Did you mean /unit? Send /help for them all."
    name = guarded_bot.app.bot.username
    [mine] = await guarded_bot.ask(message(f"/foo@{name}", user_id=9, chat_id=GROUP, chat_type="supergroup"))
    assert "没有 /foo 这个命令" in mine.params["text"]
    before = len(guarded_bot.fake.sent("sendMessage"))
    await guarded_bot.handled_all(await guarded_bot.push(message("/foo@some_other_bot", user_id=9, chat_id=GROUP,
                                                                 chat_type="supergroup")))
    assert len(guarded_bot.fake.sent("sendMessage")) == before  # another bot's command: not ours to answer


async def test_a_wrong_unit_vote_asks_which_result_before_it_is_exported(make_bot, tmp_path) -> None:
    from reportqa.conversations.feedback_export import feedback_cases
    from reportqa.conversations.state import BotState
    from tests.fake_telegram import buttons, callback_of

    state_db = tmp_path / "votes.sqlite3"
    bot = await make_bot(bot_state_db=state_db)
    [answer] = await bot.ask(message("哪些单位在2021年开展了执法培训"))
    [prompt] = await bot.ask(callback(callback_of(answer, "fb:")[:-1] + "0"))
    unit = next(b["callback_data"] for b in buttons(prompt) if b["text"] == "单位不对")
    [which] = await bot.ask(callback(unit), method="editMessageText")
    assert which.params["text"] == "单位不对：是哪一条？"
    assert [b["text"] for b in buttons(which)] == ["第 1 条", "第 2 条", "第 3 条", "都不对"]
    [saved] = await bot.ask(callback(callback_of(which, "fw:")[:-1] + "1"), method="editMessageText")
    assert saved.params["text"] == "谢谢，已记录：第 2 条单位不对"
    state = await BotState.open(state_db)
    try:
        [case] = feedback_cases(await state.feedback())
    finally:
        await state.close()
    second = case["feedback"]["shown"][1]
    assert case["exclude_sources"] == [second["source"]]  # the other two, right, are not excluded
    [english] = await bot.ask(message("which units held enforcement training in 2021", language="en"))
    [prompt] = await bot.ask(callback(callback_of(english, "fb:")[:-1] + "0", language="en"))
    year = next(b["callback_data"] for b in buttons(prompt) if b["text"] == "Wrong year")
    [which] = await bot.ask(callback(year, language="en"), method="editMessageText")
    assert which.params["text"] == "Wrong year: which result?"
    [saved] = await bot.ask(callback(callback_of(which, "fw:")[:-1] + "a", language="en"), method="editMessageText")
    assert saved.params["text"] == "Thanks, noted: All of them · Wrong year"


# -- operator's handles ------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


TEN_QUESTIONS = ["哪些单位在2021年开展了执法培训", "应急局 2021 普法", "玉龙镇公共服务中心有多少个窗口",
                 "which units hired legal advisers", "经信局存在哪些问题", "那2023年呢", "托育服务", "大足区",
                 "法律顾问", "哪些单位开展了普法宣传"]


async def test_one_json_line_per_question_and_the_metrics_page(make_bot, caplog: pytest.LogCaptureFixture,
                                                               tmp_path) -> None:
    import json

    import aiohttp

    caplog.set_level(logging.INFO, logger="reportqa.questions")
    port = free_port()
    bot = await make_bot(metrics_port=port, admins=frozenset({ADMIN}))
    token = bot.fake.token
    for i, question in enumerate(TEN_QUESTIONS):
        if i == 8:
            await bot.ask(message(f"/ask {question}", user_id=5, chat_id=-100, chat_type="supergroup"))
        else:
            [reply] = await bot.ask(message(question, language="en" if question.startswith("which") else "zh-hans"))
    await bot.ask(callback(callback_of(reply, "fb:")[:-1] + "1"), method="answerCallbackQuery")
    lines = [r.getMessage() for r in caplog.records if r.name == "reportqa.questions"]
    assert len(lines) == 10
    events = [json.loads(line) for line in lines]  # each line is JSON, and only JSON
    assert [e["question"] for e in events] == [q for q in TEN_QUESTIONS]
    assert {tuple(sorted(e)) for e in events} == {("channel", "chat", "empty", "event", "filters", "hits", "intent",
                                                   "latency_ms", "question", "time")}
    assert events[0]["intent"] == "units" and events[0]["filters"]["years"] == [2021] and events[0]["hits"] == 3
    assert events[6]["empty"] is True and events[6]["hits"] == 0  # 托育: no report holds it
    assert events[8]["chat"] == "supergroup" and events[0]["chat"] == "private"
    assert not any(token in line or token.split(":")[1] in line for line in lines)
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
            assert response.status == 200
            page = await response.text()
        async with http.get(f"http://127.0.0.1:{port}/health") as response:
            assert response.status == 200 and (await response.text()).startswith("ok")
        (tmp_path / "metrics.txt").write_text(page, encoding="utf-8")
        metrics = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in page.splitlines()
                   if line and not line.startswith("#")}
        assert sum(v for k, v in metrics.items() if k.startswith("reportqa_questions_total{")) == 10
        assert metrics['reportqa_questions_total{channel="telegram",intent="units"}'] >= 2
        assert metrics['reportqa_empty_answers_total{channel="telegram",intent="passages"}'] >= 1
        assert metrics['reportqa_question_seconds_count{channel="telegram"}'] == 10
        assert metrics['reportqa_votes_total{channel="telegram",vote="helpful"}'] == 1
        assert metrics["reportqa_index_reports"] == 5 and metrics["reportqa_index_passages"] > 50
        assert metrics["reportqa_index_size_bytes"] > 10_000 and metrics["reportqa_index_age_seconds"] >= 0
        assert metrics["reportqa_healthy"] == 1
        monitor = bot.app.bot_data["services"].monitor
        monitor.stale_seconds = 0.01
        monitor.links["telegram"].last_heard -= 60  # as if polls had failed for a minute
        monitor.trouble("telegram", "getUpdates: NetworkError: connection refused")
        async with http.get(f"http://127.0.0.1:{port}/health") as response:
            assert response.status == 503
            assert "telegram: nothing heard from it for" in await response.text()
            assert "connection refused" in await response.text()
    import os

    if os.environ.get("REPORTQA_KEEP_METRICS"):  # the closing note's metrics page
        (Path(os.environ["REPORTQA_KEEP_METRICS"])).write_text(page, encoding="utf-8")


async def test_health_says_why_the_index_does_not_load(tmp_path) -> None:
    from reportqa.conversations.monitor import Monitor, QuestionEvent
    from reportqa.retrieval.serving import IndexHolder
    from reportqa.settings import Settings

    index_dir = tmp_path / "index"
    (index_dir / "gen-x").mkdir(parents=True)
    (index_dir / "CURRENT").write_text("gen-x")  # a pointer to a generation with nothing in it
    clock = [1000.0]
    monitor = Monitor(IndexHolder(Settings(index_dir=index_dir, _env_file=None)), stale_seconds=60,
                      clock=lambda: clock[0])
    monitor.watch("wecom")  # any channel: the monitor knows no messenger
    status, text = await monitor.health()
    assert status == 503 and text.startswith("index: ")
    clock[0] += 61
    status, text = await monitor.health()
    assert "wecom: nothing heard from it since the bot started 61 s ago" in text
    line = QuestionEvent("dingtalk", "group", "units", {"years": [2021]}, 0, 12.34, "哪些单位").log_line(0)
    assert line == ('{"time": "1970-01-01T00:00:00.000+00:00", "event": "question", "channel": "dingtalk", '
                    '"chat": "group", "intent": "units", "filters": {"years": [2021]}, "hits": 0, "empty": true, '
                    '"latency_ms": 12.3, "question": "哪些单位"}')


async def test_an_administrators_replies_are_in_one_language(library_bot, reports_copy) -> None:
    """The issue's English inside Chinese replies: a corrupt .docx, a duplicate, an ambiguous /remove,
    a /reindex listing skipped files — each reply to a Chinese administrator has no English word, and
    an English administrator's has English reasons."""
    from tests.bot_harness import texts
    from tests.conftest import ADMIN
    from tests.fake_telegram import document
    from tests.test_language import english_words

    harness = await library_bot()
    broken = b"PK\x03\x04 not a zip"
    duplicate = (reports_copy / "003_dcdaca7f04dbe387.txt").read_bytes()
    harness.fake.files.update(f1=broken, f2=duplicate)
    (reports_copy / "notes.xyz").write_text("not a report")
    (reports_copy / ".hidden.txt").write_text("hidden")
    for update in (document("坏文件.docx", file_id="f1", size=len(broken), user_id=ADMIN, chat_id=ADMIN),
                   document("经信局.txt", file_id="f2", size=len(duplicate), user_id=ADMIN, chat_id=ADMIN),
                   message("/remove 00", user_id=ADMIN, chat_id=ADMIN), message("/reindex", user_id=ADMIN, chat_id=ADMIN),
                   message("/stats", user_id=ADMIN, chat_id=ADMIN)):
        await harness.handled_all(await harness.push(update), timeout=120)
    replies = texts(harness, ADMIN)
    joined = "\n".join(replies)
    assert ".docx 文件已损坏" in joined and "同样的文件已在库中：003_dcdaca7f04dbe387.txt" in joined
    assert "没有唯一符合 '00' 的报告" in joined and "不支持 .xyz 文件" in joined and "隐藏或临时文件" in joined
    for reply in replies:
        for line in reply.splitlines():
            assert not english_words(line.replace("<b>", "").replace("</b>", "")), line
    await harness.handled_all(await harness.push(message("/remove 00", user_id=ADMIN, chat_id=ADMIN, language="en")),
                              timeout=120)
    assert "no single report matches '00'" in texts(harness, ADMIN)[-1]
