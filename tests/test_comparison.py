"""A unit's years side by side: per year its passages on the topic, the figures that changed with both
citations, and a plain word for a year that says nothing on it."""

from __future__ import annotations

import asyncio

import pytest

from reportqa.answers.compose import answer_question
from reportqa.answers.intents.compare_years import figures_in
from reportqa.domain.text import Tokenizer
from reportqa.index.builder import build_index
from reportqa.present.render import html_to_text, render_answer_html
from reportqa.retrieval.searcher import SearchIndex
from reportqa.settings import BUNDLED_CONFIG_DIR, Settings

UNIT = "重庆市大足区应急管理局"


def report(year: int, training: str | None, publicity: str) -> str:
    works = [f"（一）加强执法队伍建设\n{training}"] if training else []
    works.append(f"（二）深化普法宣传\n{publicity}")
    return (f"{UNIT}\n{UNIT}{year}年法治政府建设情况报告\n一、主要工作\n" + "\n".join(works)
            + f"\n二、下一步打算\n继续加强安全生产宣传。\n{UNIT}\n{year + 1}年1月15日\n")


@pytest.fixture(scope="module")
def years_index(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("years")
    reports = root / "reports"
    reports.mkdir()
    (reports / "应急2021.txt").write_text(report(
        2021, "全年开展执法培训5次，参训执法人员120人次，办理行政处罚案件36件。",
        "开展安全生产法治宣传活动3场，发放宣传资料2000份。"), encoding="utf-8")
    (reports / "应急2022.txt").write_text(report(
        2022, "全年开展执法培训8次，参训执法人员150人次，办理行政处罚案件36件。",
        "开展安全生产法治宣传活动5场，发放宣传资料3500份。"), encoding="utf-8")
    (reports / "应急2023.txt").write_text(report(
        2023, None, "开展安全生产法治宣传活动6场，发放宣传资料4000份。"), encoding="utf-8")
    (reports / "交通2022.txt").write_text(
        "重庆市大足区交通运输局\n2022年法治政府建设情况报告\n一、主要工作\n开展交通执法培训12次。\n", encoding="utf-8")
    settings = Settings(index_dir=root / "index", reports_dir=reports, _env_file=None)
    asyncio.run(build_index(reports, root / "index", settings))
    return settings


async def ask(settings: Settings, question: str):
    index = await SearchIndex.load(settings.index_dir, settings)
    try:
        return await answer_question(index, question)
    finally:
        await index.close()


async def test_two_years_compared_with_the_changed_figures_and_both_citations(years_index: Settings) -> None:
    answer = await ask(years_index, "大足区应急管理局2021年和2022年执法培训对比")
    comparison = answer.comparison
    assert comparison is not None and comparison.unit == UNIT
    assert [c.year for c in comparison.years] == [2021, 2022]
    assert all(r.report.unit == UNIT for r in answer.results)
    assert {r.report.year for r in answer.results} == {2021, 2022}
    changed = {(c.label, c.measure): (c.before[1].value, c.after[1].value) for c in comparison.changes}
    assert changed[("执法培训", "次")] == (5, 8)
    assert changed[("执法人员", "人次")] == (120, 150)
    assert not any(label == "案件" for label, _ in changed)  # 36 both years: not a change
    training = next(c for c in comparison.changes if c.label == "执法培训")
    assert training.before[2].report.year == 2021 and training.after[2].report.year == 2022
    text = html_to_text(render_answer_html(answer))
    assert "2021–2022 年逐年对比" in text
    assert "• 执法培训：5次 → 8次" in text
    before, after = training.before[2], training.after[2]
    assert f"2021〔{before.rank}〕" in text and f"2022〔{after.rank}〕" in text
    assert "一、主要工作 › （一）加强执法队伍建设" in text
    data = answer.to_json()
    assert data["intent"] == "passages" and data["comparison"]["unit"] == UNIT
    assert any(c["label"] == "执法培训" and c["before"]["value"] == 5 and c["after"]["value"] == 8
               and c["before"]["passage_id"] == before.passage_id for c in data["comparison"]["changes"])


async def test_every_year_of_the_unit_and_a_year_with_nothing_on_the_topic(years_index: Settings) -> None:
    answer = await ask(years_index, "大足区应急管理局历年执法培训")
    comparison = answer.comparison
    assert comparison is not None
    assert [c.year for c in comparison.years] == [2021, 2022, 2023]
    assert comparison.years[2].results == [] and comparison.years[2].has_report
    text = html_to_text(render_answer_html(answer))
    assert "2023年】\n该年报告中没有相关内容" in text
    assert "交通运输局" not in text  # another unit of the same place is never part of it

    english = await ask(years_index, "compare 大足区应急管理局 enforcement training 2021 and 2022")
    assert english.comparison is not None and [c.year for c in english.comparison.years] == [2021, 2022]
    assert "Figures that changed" in html_to_text(render_answer_html(english, english=True))


async def test_without_a_unit_the_question_is_answered_as_usual(years_index: Settings) -> None:
    answer = await ask(years_index, "2021年和2022年执法培训对比")
    assert answer.comparison is None and answer.results
    assert "对比" not in [c.label for c in answer.question.concepts]


def test_figures_are_named_by_the_word_before_them() -> None:
    tokenizer = Tokenizer(BUNDLED_CONFIG_DIR)
    figures = figures_in("全年开展执法培训5次，参训人数达160人；办结率98.5%，2021年1月", tokenizer.words)
    assert [(f.label, f.name, f.value, f.measure) for f in figures] == [
        ("培训", "执法培训", 5, "次"), ("人数", "人数", 160, "人"), ("办结率", "办结率", 98.5, "%")]
    assert figures[0].written == "全年开展执法培训5次"
    # one year writing 执法培训 and the next 培训 is the same figure
    later = figures_in("组织培训8次", tokenizer.words)
    assert later[0].key == figures[0].key

