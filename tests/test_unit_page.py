"""/unit: one unit's page (reports newest first with outlines and buttons, the topics it reports most)
or, for a name several units fit, a numbered list whose buttons open each unit's page."""

from __future__ import annotations

import asyncio
import math

import pytest

from reportqa.answers.unit_page import top_topics, unit_page, units_among
from reportqa.index.builder import build_index
from reportqa.present.render import html_to_text, render_unit_page_html
from reportqa.retrieval.searcher import SearchIndex
from reportqa.settings import Settings
from tests.fake_telegram import buttons, callback, message
from tests.test_comparison import UNIT, report


def test_topics_are_what_sets_the_unit_apart() -> None:
    passages = ["安全生产 执法检查 工作", "安全生产 隐患排查 工作", "隐患排查 工作 执法", "安全生产 工作 执法检查"]
    share = {"安全生产": 0.02, "执法检查": 0.05, "隐患排查": 0.01, "工作": 0.9, "执法": 0.3}
    idf = {w: -math.log(p) for w, p in share.items()}
    topics = top_topics(passages, str.split, idf.__getitem__, exclude=set())
    assert topics[:3] == ["安全生产", "隐患排查", "执法检查"]
    assert "工作" not in topics  # in every passage here, but in 90% of all: nothing particular
    assert "执法" not in topics  # inside 执法检查, already a topic
    assert "安全生产" not in top_topics(passages, str.split, idf.__getitem__, exclude={"安全生产"})
    assert top_topics(["只此一处 安全生产"], str.split, idf.__getitem__, exclude=set()) == []  # one passage only


@pytest.fixture(scope="module")
def three_years(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("unit-page")
    reports = root / "reports"
    reports.mkdir()
    for year, n in ((2021, 5), (2022, 8), (2023, 9)):
        (reports / f"应急{year}.txt").write_text(report(
            year, f"开展危险化学品执法检查{n}次，督促企业整改安全生产隐患{n * 10}处。",
            f"开展安全生产法治宣传活动{n}场，发放危险化学品安全手册{n * 100}份。"), encoding="utf-8")
    (reports / "交通2022.txt").write_text(
        "重庆市大足区交通运输局\n2022年法治政府建设情况报告\n一、主要工作\n开展交通执法培训12次。\n", encoding="utf-8")
    settings = Settings(index_dir=root / "index", reports_dir=reports, _env_file=None)
    asyncio.run(build_index(reports, root / "index", settings))
    return settings


async def test_a_units_page_lists_its_years_newest_first_with_outlines_and_topics(three_years: Settings) -> None:
    index = await SearchIndex.load(three_years.index_dir, three_years)
    try:
        [emergency] = [u for u in units_among(index, index.reports) if u[0].unit == UNIT]
        page = await unit_page(index, emergency)
    finally:
        await index.close()
    assert [e.report.year for e in page.reports] == [2023, 2022, 2021]
    assert page.reports[0].outline == ["一、主要工作", "二、下一步打算"]
    assert "执法检查" in page.topics and not {"一步", "打算"} & set(page.topics)  # not its plans
    assert not {"大足区", "应急管理局", "工作"} & set(page.topics)  # its own name, and words of every report
    text = html_to_text(render_unit_page_html(page))
    assert text.index("2023年") < text.index("2022年") < text.index("2021年")
    assert "3 份报告" in text and "目录：一、主要工作 ｜ 二、下一步打算" in text
    assert "📄 应急2022.txt" in text


async def test_unit_command_shows_one_page_or_a_choice(make_bot) -> None:
    bot = await make_bot()
    [page] = await bot.ask(message("/unit 大足区应急"))
    text = page.params["text"]
    assert text.startswith("📋 <b>重庆市大足区应急管理局</b>")
    assert "2021年" in text and "目录：一、" in text and "🏷 常报告的话题：" in text
    assert "004_c1f201046002a3b5.txt" in text
    data = [b["callback_data"] for b in buttons(page)]
    assert any(d.startswith("sf:") for d in data) and any(d.startswith("ol:") for d in data)

    [choice] = await bot.ask(message("/unit 重庆"))
    assert "对应" in choice.params["text"] and "个单位" in choice.params["text"]
    pages = [b["callback_data"] for b in buttons(choice)]
    assert pages and all(d.startswith("up:") for d in pages)
    [opened] = await bot.ask(callback(pages[0]))
    assert opened.params["text"].startswith("📋 <b>")
    [gone] = await bot.ask(callback("up:999999"), method="answerCallbackQuery")
    assert "已不在索引中" in gone.params["text"]
