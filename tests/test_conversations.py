"""Questions as staff type them and follow-ups in a conversation (issue 30): the issue's transcripts
over the sample reports, through the answering core, the command line and the terminal chat."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reportqa.answers.compose import answer_question
from reportqa.answers.reading import reading
from reportqa.channels.cli import commands as cli
from reportqa.conversations.followup import (
    Frame,
    load_followup_rules,
    merge,
    more_asked,
    read_markers,
    result_asked,
)
from reportqa.conversations.turns import Context, answer_turn
from reportqa.present.render import plain_answer
from reportqa.settings import BUNDLED_CONFIG_DIR
from tests.conftest import TODAY

RULES = load_followup_rules(BUNDLED_CONFIG_DIR)
YULONG = "002_e4b091e3fb9e6599.txt"
runner = CliRunner()


# -- reading follow-ups (pure) -------------------------------------------------------------------


@pytest.mark.parametrize(("message", "rank"), [
    ("第二条详细说说", 2), ("第2条全文", 2), ("说说第三条", 3), ("第十二条", 12), ("第一个", 1),
    ("the second one in full", 2), ("2nd result", 2), ("result 3", 3), ("the last one", -1),
    ("第二条规定了什么处罚", None), ("哪些单位开展了执法培训", None), ("2023年", None),
])
def test_the_nth_result_is_read_in_either_language(message: str, rank: int | None) -> None:
    assert result_asked(message, RULES) == rank


@pytest.mark.parametrize(("message", "more"), [
    ("还有吗", True), ("还有吗？", True), ("更多", True), ("more", True), ("Anything else?", True),
    ("还有哪些单位开展了普法", False), ("more training", False),
])
def test_more_is_the_next_page(message: str, more: bool) -> None:
    assert more_asked(message, RULES) is more


def test_markers_say_how_a_message_follows() -> None:
    assert read_markers("那2023年呢", RULES).start and read_markers("那2023年呢", RULES).rest == "2023年"
    assert read_markers("玉龙镇呢？", RULES).end and read_markers("玉龙镇呢？", RULES).rest == "玉龙镇"
    assert read_markers("换成朝阳区", RULES).start and read_markers("换成朝阳区", RULES).rest == "朝阳区"
    narrow = read_markers("只看培训的", RULES)
    assert narrow.narrow and "培训" in narrow.rest
    refer = read_markers("它明年打算怎么做", RULES)
    assert refer.refer and "它" not in refer.rest
    assert read_markers("What about 2023?", RULES).start
    assert not read_markers("哪些单位开展了执法培训", RULES).any


def test_a_merged_frame_keeps_what_the_follow_up_does_not_say() -> None:
    last = Frame((2021,), ("玉龙镇",), "哪些单位开展了普法宣传", True, True)
    year = merge(last, Frame((2023,), (), "", False, False), read_markers("那2023年呢", RULES), RULES)
    assert (year.years, year.units, year.topic) == ((2023,), ("玉龙镇",), "哪些单位开展了普法宣传")
    topic = merge(last, Frame((), (), "执法培训", True, False), read_markers("那执法培训呢", RULES), RULES)
    assert topic.topic == "哪些单位 执法培训" and topic.years == (2021,)  # still "which units"
    narrow = merge(last, Frame((), (), "培训", True, False), read_markers("只看培训的", RULES), RULES)
    assert narrow.topic == "哪些单位开展了普法宣传 只看 培训"  # question.py requires what follows 只看
    assert year.question() == "2023年 玉龙镇 哪些单位开展了普法宣传"


# -- the transcripts over the samples ----------------------------------------------------


async def test_chat_phrasing_does_not_change_the_answer(searcher) -> None:
    plain = await answer_question(searcher, "玉龙镇的法律顾问是谁", today=TODAY)
    wrapped = await answer_question(searcher, "帮我查一下玉龙镇的法律顾问是谁", today=TODAY)
    assert [r.passage_id for r in wrapped.results] == [r.passage_id for r in plain.results]
    assert any("罗波" in r.text for r in wrapped.results)
    for question in ("双随机一公开做得怎么样", "执法培训搞得怎么样"):
        answer = await answer_question(searcher, question, today=TODAY)
        assert answer.results, question
    found = await answer_question(searcher, "双随机一公开做得怎么样", today=TODAY)
    assert any("双随机" in r.norm_text for r in found.results)


async def test_a_filter_that_matches_nothing_says_why(searcher) -> None:
    answer = await answer_question(searcher, "玉龙镇2023年做了什么", today=TODAY)
    assert answer.results == []
    assert answer.notice == "玉龙镇没有2023年的报告（已收录：2021年）。"
    assert "2023" in answer.notice_en and "2021" in answer.notice_en


async def test_a_word_in_no_report_is_named(searcher) -> None:
    answer = await answer_question(searcher, "哪些街道推进托育服务", today=TODAY)
    assert answer.results == [] and "“托育”" in answer.notice
    assert answer.to_json()["absent_words"] == ["托育"]


async def test_an_input_method_slip_is_read_as_meant(searcher) -> None:
    meant = await answer_question(searcher, "执法培训", today=TODAY)
    slipped = await answer_question(searcher, "执法陪训", today=TODAY)
    assert [r.passage_id for r in slipped.results] == [r.passage_id for r in meant.results]
    assert slipped.to_json()["read_as"] == [{"typed": "执法陪训", "read": "执法培训"}]
    assert "按“执法培训”（输入为“执法陪训”）检索" in plain_answer(slipped)


async def test_an_english_glossary_term_stays_whole(searcher) -> None:
    answer = await answer_question(searcher, "which units hired legal advisers?", today=TODAY)
    assert answer.results
    assert all("顾问" in r.norm_text for r in answer.results)  # not 大足区应急管理局's 聘请…法律知识


async def test_regions_above_provinces_filter_like_places(searcher) -> None:
    southwest = await answer_question(searcher, "西南地区哪些单位开展了执法培训", today=TODAY)
    assert southwest.results
    assert all(reading(searcher).catalog.province_of(r.report.id) in ("重庆市", "四川省") for r in southwest.results)
    northeast = await answer_question(searcher, "东北那边哪些城市政府报了2021年的法治政府建设情况", today=TODAY)
    assert northeast.results == [] and northeast.notice.startswith("未收录东北（辽宁省、吉林省、黑龙江省）")


async def test_follow_ups_refine_the_last_question(searcher) -> None:
    first = await answer_turn(searcher, "哪些单位开展了普法宣传", None, 5, today=TODAY, now=0)
    assert first.answer is not None and first.followup is None and len(first.answer.results) >= 3

    year = await answer_turn(searcher, "那2023年呢", first.context, 5, today=TODAY, now=10)
    assert year.answer is not None and year.answer.question.intent == "units"
    assert year.answer.results and all(r.report.year == 2023 for r in year.answer.results)
    assert year.followup.lead(False) == "接上一个问题：普法宣传 · 2023年"

    town = await answer_turn(searcher, "玉龙镇呢", first.context, 5, today=TODAY, now=10)
    assert town.answer is not None and town.answer.question.intent != "overview"
    assert town.answer.results and all(r.report.source == YULONG for r in town.answer.results)
    assert any("普法" in r.norm_text for r in town.answer.results)

    second = await answer_turn(searcher, "第二条详细说说", first.context, 5, today=TODAY, now=10)
    assert second.passage is not None and second.passage.passage_id == first.answer.results[1].passage_id
    assert second.passage.text == (await searcher.passage(second.passage.passage_id)).text  # in full
    assert second.context == first.context  # the list stays the one followed up

    narrow = await answer_turn(searcher, "只看培训的", first.context, 5, today=TODAY, now=10)
    assert narrow.answer.results and all("培训" in r.norm_text for r in narrow.answer.results)

    more = await answer_turn(searcher, "还有吗", Context("执法培训", 0, 0), 3, today=TODAY, now=10)
    assert more.answer is not None and more.answer.offset == 3 and more.answer.results[0].rank == 4

    fresh = await answer_turn(searcher, "哪些单位聘请了法律顾问", first.context, 5, today=TODAY, now=10)
    assert fresh.followup is None  # a complete new question starts afresh

    expired = await answer_turn(searcher, "那2023年呢", first.context, 5, today=TODAY, now=3600, ttl=1800)
    assert expired.followup is None


async def test_its_plans_are_the_last_units_plans(searcher) -> None:
    first = await answer_turn(searcher, "玉龙镇的法律顾问是谁", None, 5, today=TODAY, now=0)
    plans = await answer_turn(searcher, "它明年打算怎么做", first.context, 5, today=TODAY, now=1)
    assert plans.answer is not None and plans.answer.results
    assert all(r.report.source == YULONG for r in plans.answer.results)
    plans_bit = searcher.kinds.bit("plans")
    assert plans.answer.question.focus & plans_bit
    english = await answer_turn(searcher, "what about 2023?", first.context, 5, today=TODAY, now=1)
    assert english.followup is not None and english.answer.question.years == [2023]
    assert "没有2023年的报告" in english.answer.notice


# -- the command line and the terminal chat ------------------------------------------------------


def test_ask_conversation_answers_a_batch_as_turns(seed_index, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings, index_dir = seed_index
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    turns = tmp_path / "turns.txt"
    turns.write_text("哪些单位开展了普法宣传\n那2023年呢\n第1条全文\n", encoding="utf-8")
    result = runner.invoke(cli.app, ["ask", "--json", "--conversation", "--index-dir", str(index_dir),
                                     "--batch", str(turns), "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert [line["question"] for line in lines] == ["哪些单位开展了普法宣传", "那2023年呢", "第1条全文"]
    assert lines[0]["followup"] is None
    assert lines[1]["followup"]["kind"] == "refine" and lines[1]["filters"]["years"] == [2023]
    assert lines[2]["followup"]["kind"] == "result"
    assert lines[2]["results"][0]["source"] == lines[1]["results"][0]["source"]
    plain = runner.invoke(cli.app, ["ask", "--conversation", "--index-dir", str(index_dir), "--batch", str(turns),
                                    "--today", TODAY.isoformat()])
    assert "接上一个问题：普法宣传 · 2023年" in plain.output


def test_chat_follows_up(seed_index) -> None:
    from reportqa.channels.cli.chat import ChatSession
    from reportqa.retrieval.searcher import SearchIndex

    settings, index_dir = seed_index

    async def run() -> list[str]:
        searcher = await SearchIndex.load(index_dir, settings)
        session = ChatSession(searcher, 3)
        try:
            return [await session.turn(line) for line in ("哪些单位开展了普法宣传", "那2023年呢", "第1条详细说说",
                                                          "clear", "那2023年呢")]
        finally:
            await searcher.close()

    first, year, full, _, after_clear = asyncio.run(run())
    assert "接上一个问题" not in first
    assert "接上一个问题：普法宣传 · 2023年" in year
    assert "上一个问题的第 1 条" in full and "【" in full
    assert "接上一个问题" not in after_clear  # cleared: a new conversation


async def test_english_names_places_and_units_as_chinese_does(searcher) -> None:
    chongqing = await answer_question(searcher, "Which units in Chongqing held enforcement training?", today=TODAY)
    assert chongqing.question.intent == "units" and chongqing.results
    assert all(reading(searcher).catalog.province_of(r.report.id) == "重庆市" for r in chongqing.results)
    town = await answer_question(searcher, "Who is the legal adviser of Yulong town?", today=TODAY)
    assert town.results and all(r.report.source == YULONG for r in town.results)
    assert any("罗波" in r.text for r in town.results)
