"""Search over the sample reports: filters, the units answer, the no-answer rule, citations."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from benchmarks.quality import score_answers
from reportqa.answers.compose import answer_parsed, answer_question

TODAY = dt.date(2022, 6, 1)
ROOT = Path(__file__).resolve().parents[1]


async def test_units_answer_lists_each_unit_once_with_its_best_passage(searcher) -> None:
    answer = await answer_question(searcher, "哪些单位在2021年开展了执法培训", top_k=10, today=TODAY)
    assert answer.question.intent == "units"
    keys = [r.report.unit or r.report.source for r in answer.results]
    assert len(keys) == len(set(keys)) >= 3
    assert all(r.report.year == 2021 for r in answer.results)
    sources = [r.report.source for r in answer.results]
    assert {"000_95c7b36e77b4132c.txt", "002_e4b091e3fb9e6599.txt", "004_c1f201046002a3b5.txt"} <= set(sources)
    known = [r for r in answer.results if r.report.unit]
    assert known[0].score >= known[-1].score
    # issue 32: a report whose unit is unknown comes after every known unit, labelled by its place
    assert [bool(r.report.unit) for r in answer.results] == sorted((bool(r.report.unit) for r in answer.results),
                                                                    reverse=True)
    assert answer.results[-1].report.unit is None
    from reportqa.present.render import render_answer_html
    assert "3. 重庆市大足区 · 单位不详</b>" in render_answer_html(answer)
    assert "3. 重庆市大足区 · unit unknown</b>" in render_answer_html(answer, english=True)


async def test_an_asked_year_is_a_strict_filter_and_absent_years_say_what_exists(searcher) -> None:
    answer = await answer_question(searcher, "2019年哪些单位开展了执法培训", today=TODAY)
    assert answer.results == []
    assert "2019" in answer.notice and "2021" in answer.notice and "2023" in answer.notice
    answer = await answer_question(searcher, "2023年执法检查", today=TODAY)
    assert answer.results and {r.report.year for r in answer.results} == {2023}


async def test_relative_years_use_today(searcher) -> None:
    answer = await answer_question(searcher, "去年开展了哪些执法培训", today=dt.date(2022, 3, 1))
    assert answer.question.years == [2021]
    assert answer.results and {r.report.year for r in answer.results} == {2021}
    answer = await answer_question(searcher, "去年开展了哪些执法培训", today=dt.date(2026, 11, 22))
    assert answer.results == [] and "2025" in answer.notice


@pytest.mark.parametrize("question", ["新冠疫苗接种情况", "无人机巡查执法", "征地拆迁纠纷", "垃圾分类工作开展得怎么样"])
async def test_no_answer_when_the_reports_never_mention_it(searcher, question: str) -> None:
    answer = await answer_question(searcher, question, today=TODAY)
    assert answer.results == []
    assert answer.notice


async def test_a_question_of_only_stopwords_says_so(searcher) -> None:
    answer = await answer_question(searcher, "哪些单位开展了什么工作", today=TODAY)
    assert answer.results == []
    assert "检索" in answer.notice


async def test_unit_short_form_filters_to_that_unit(searcher) -> None:
    answer = await answer_question(searcher, "应急局安全生产法宣传", today=TODAY)
    assert answer.results
    assert {r.report.unit for r in answer.results} == {"重庆市大足区应急管理局"}
    assert "《安全生产法》单行本" in answer.results[0].text


async def test_unknown_unit_falls_back_to_plain_terms(searcher) -> None:
    answer = await answer_question(searcher, "税务局执法培训", today=TODAY)
    assert answer.question.report_ids is None
    assert answer.results


async def test_traditional_and_simplified_questions_find_the_same_passages(searcher) -> None:
    simplified = await answer_question(searcher, "长寿区招商投资促进局的法律顾问是谁", today=TODAY)
    traditional = await answer_question(searcher, "長壽區招商投資促進局的法律顧問是誰", today=TODAY)
    assert [r.passage_id for r in simplified.results] == [r.passage_id for r in traditional.results]
    assert "重慶中渡律師事務所" in simplified.results[0].text  # shown as written


async def test_english_question_gets_the_same_chinese_excerpts(searcher) -> None:
    chinese = await answer_question(searcher, "哪些单位聘请了法律顾问", today=TODAY)
    english = await answer_question(searcher, "which units hired legal advisers", today=TODAY)
    assert {r.report.source for r in english.results[:3]} == {r.report.source for r in chinese.results[:3]}


async def test_results_carry_citations(searcher) -> None:
    answer = await answer_question(searcher, "玉龙镇公共服务中心有多少个窗口", today=TODAY)
    top = answer.results[0]
    data = top.to_json()
    assert data["source"] == "002_e4b091e3fb9e6599.txt"
    assert data["unit"] == "重庆市大足区玉龙镇人民政府"
    assert (data["year"], data["date"]) == (2021, "2021-11-23")
    assert data["section"].startswith("一、推进法治政府建设的主要举措及成效 › （二）")
    assert "共设有10个窗口" in data["text"]
    assert set(data) >= {"rank", "score", "source", "unit", "year", "date", "title", "section", "text"}


async def test_paging(searcher) -> None:
    first = await answer_question(searcher, "执法", top_k=3, today=TODAY)
    second = await answer_parsed(searcher, first.question, 3, 3)
    assert first.total == second.total > 6
    assert [r.rank for r in second.results] == [4, 5, 6]
    assert not {r.passage_id for r in first.results} & {r.passage_id for r in second.results}


@pytest.mark.parametrize("name", ["extra_questions.jsonl", "dev_questions.jsonl"])
async def test_question_sets_regression(searcher, name: str) -> None:
    """Retrieval quality on the question sets shipped with the repository over the sample reports
    (a floor, not the target: ``python -m benchmarks.quality`` prints the figures)."""
    path = ROOT / "tests" / "eval" / name
    questions = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    answers = [(await answer_question(searcher, q["question"], top_k=5, today=dt.date(2026, 11, 22))).to_json()
               for q in questions]
    scores = score_answers(questions, answers)
    assert scores.recall >= 0.9
    assert scores.wrong_filter == 0
    assert scores.empty_ok == scores.empty_expected == sum(1 for q in questions if q.get("expect_empty"))


async def test_a_place_named_helps_coverage_but_never_answers_alone(searcher) -> None:
    """东莞…奖是哪一年: the place's own words are covered by its filter; 玉龙镇垃圾分类 still finds nothing."""
    found = await answer_question(searcher, "大足区应急管理局2021年安全生产罚款金额是多少", today=TODAY)
    assert found.results and found.results[0].report.source == "004_c1f201046002a3b5.txt"
    assert found.question.filter_tokens
    for question, word in (("玉龙镇垃圾分类", "垃圾"), ("大足区无人机执法", "无人机")):
        answer = await answer_question(searcher, question, today=TODAY)
        assert answer.results == [] and f"“{word}”" in answer.notice  # the word no report holds, named


async def test_the_answer_benchmark_times_the_answer_and_its_ranking(seed_index) -> None:  # type: ignore[no-untyped-def]
    """``benchmarks.answer`` on the sample index: one object with both paths' percentiles, the whole
    answer never cheaper than the ranking inside it, and questions answered (not all refused)."""
    from benchmarks.answer import measure

    settings, _ = seed_index
    result = await measure(settings, n_questions=12, rounds=1)
    assert set(result["answer"]) == set(result["ranking"]) == {"p50_ms", "p90_ms", "p99_ms"}
    assert result["questions"] == 12 and result["answered"] > 0
    assert result["answer"]["p50_ms"] >= result["ranking"]["p50_ms"] > 0
