"""Never answer for the wrong place: one kind of unit (应急管理局) in twenty places, side by side.

A city-level library holds the same bureau for many districts, some with the same name (鼓楼区 in
南京 and 福州, 城中区 in 西宁 and 柳州), written every way real reports name themselves: in the title,
only in the opening sentence, as 区应急管理局 with the district named in the body, or only by the
folder an administrator filed the report in. No question that names a place may get an answer or a
"nothing found" notice naming another place's unit.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from reportqa.answers.compose import answer_question
from reportqa.domain.places import load_gazetteer
from reportqa.index.builder import build_index
from reportqa.retrieval.searcher import SearchIndex
from reportqa.settings import BUNDLED_CONFIG_DIR, Settings

# (city, district); the city is None for a municipality's district
PLACES = [
    ("南京市", "鼓楼区"), ("福州市", "鼓楼区"), ("西宁市", "城中区"), ("柳州市", "城中区"),
    (None, "大足区"), (None, "长寿区"), (None, "永川区"), ("杭州市", "上城区"), ("杭州市", "西湖区"),
    ("绍兴市", "越城区"), ("宁波市", "鄞州区"), ("武汉市", "黄陂区"), ("武汉市", "武昌区"), ("武汉市", "洪山区"),
    (None, "静海区"), (None, "闵行区"), ("哈尔滨市", "双城区"), ("海东市", "乐都区"), ("常德市", "桃源县"),
    ("南昌市", "南昌县"),
]
MUNICIPALITY = {"大足区": "重庆市", "长寿区": "重庆市", "永川区": "重庆市", "静海区": "天津市", "闵行区": "上海市"}
GAZETTEER = load_gazetteer(BUNDLED_CONFIG_DIR)


def _report(i: int, city: str | None, district: str) -> tuple[str, str]:
    """(path, text) of one district's report, the evidence written one of four ways."""
    level = district[-1]
    fact = f"全年组织应急执法培训{100 + i}期，开展安全生产执法检查{200 + i}次。"
    body = (f"一、主要举措和成效\n（一）强化执法队伍建设。{fact}\n"
            f"（二）推进普法。开展应急普法宣传活动{300 + i}场。\n二、存在的问题\n执法力量不足。")
    prefix = city or MUNICIPALITY[district]
    style = i % 4
    if style == 0 or district in ("鼓楼区", "城中区"):  # the ambiguous names always with their city
        return f"r{i:02}.txt", f"{prefix}{district}应急管理局2022年法治政府建设情况报告\n{body}"
    if style == 1:
        return f"r{i:02}.txt", f"2022年，{district}应急管理局坚持以习近平法治思想为指导，依法履职。\n{body}"
    if style == 2:
        return f"r{i:02}.txt", (f"2022年，{level}应急管理局在{level}委、{level}政府领导下，推动《{prefix}{district}"
                                f"安全生产工作规定》落实，{district}应急管理体系不断完善。\n{body}")
    return f"{district}/应急管理局2022年法治政府建设情况报告.txt", f"2022年法治政府建设情况报告\n{body}"


@pytest.fixture(scope="module")
def twenty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Path]]:
    reports = tmp_path_factory.mktemp("twenty-reports")
    for i, (city, district) in enumerate(PLACES):
        name, text = _report(i, city, district)
        (reports / name).parent.mkdir(parents=True, exist_ok=True)
        (reports / name).write_text(text, encoding="utf-8")
    index_dir = tmp_path_factory.mktemp("twenty-index")
    settings = Settings(index_dir=index_dir, reports_dir=reports, config_dir=BUNDLED_CONFIG_DIR, _env_file=None)
    asyncio.run(build_index(reports, index_dir, settings))
    yield settings, index_dir


@pytest.fixture
async def index(twenty: tuple[Settings, Path]) -> AsyncIterator[SearchIndex]:
    settings, index_dir = twenty
    loaded = await SearchIndex.load(index_dir, settings)
    yield loaded
    await loaded.close()


def _codes(name: str) -> tuple[str, ...]:
    return GAZETTEER.lookup(name)


async def test_every_report_is_placed_and_named_with_its_district(index: SearchIndex) -> None:
    units = {r.source: (r.unit, r.place_code) for r in index.reports.values()}
    assert len(units) == 20
    for i, (city, district) in enumerate(PLACES):
        name, _ = _report(i, city, district)
        unit, code = units[name]
        assert unit is not None and unit.endswith(f"{district}应急管理局"), (name, unit)
        area = _codes(city)[0] if city else _codes(MUNICIPALITY[district])[0]
        assert code is not None and GAZETTEER.within(code, area), (name, unit, code)


@pytest.mark.parametrize("place", [f"{c or ''}{d}" for c, d in PLACES] + [d for _, d in PLACES])
async def test_a_question_naming_a_place_answers_only_from_it(index: SearchIndex, place: str) -> None:
    answer = await answer_question(index, f"{place}应急局执法培训", top_k=20)
    wanted = [code for mention in GAZETTEER.mentions(place) for code in mention.codes]
    assert answer.results, place
    for result in answer.results:
        assert any(GAZETTEER.within(result.report.place_code, w) for w in wanted), (place, result.report.unit)
    text = json.dumps(answer.to_json(), ensure_ascii=False)
    for other in {r.unit for r in index.reports.values()} - {r.report.unit for r in answer.results}:
        assert other not in text  # no other place's unit in the answer, its filters or its notice


async def test_a_city_finds_its_districts_and_nothing_else(index: SearchIndex) -> None:
    answer = await answer_question(index, "武汉市哪些应急管理局开展了执法培训", top_k=20)
    assert answer.question.intent == "units"
    wuhan = {code for d in ("黄陂区", "武昌区", "洪山区") for code in _codes(d)}
    assert {r.report.place_code for r in answer.results} == wuhan


@pytest.mark.parametrize("question", ["江宁区应急局执法培训", "南京市江宁区应急管理局执法培训", "苏州市应急管理局执法培训",
                                      "绍兴市柯桥区应急管理局执法检查", "新疆应急管理局执法培训"])
async def test_a_place_not_in_the_index_is_said_and_never_replaced(index: SearchIndex, question: str) -> None:
    answer = await answer_question(index, question, top_k=20)
    assert answer.results == []  # every indexed report is placed somewhere else
    assert answer.notice and answer.notice.startswith("未收录")
    text = json.dumps(answer.to_json(), ensure_ascii=False)
    for unit in {r.unit for r in index.reports.values()}:
        assert unit not in text


async def test_which_units_lists_twenty_districts_never_merged(index: SearchIndex) -> None:
    answer = await answer_question(index, "哪些应急管理局开展了执法培训", top_k=50)
    assert answer.question.intent == "units"
    assert answer.total == 20
    assert len({r.report.place_code for r in answer.results}) == 20  # 鼓楼区 twice, 城中区 twice: apart


async def test_a_province_filters_by_hierarchy(index: SearchIndex) -> None:
    answer = await answer_question(index, "浙江省哪些单位开展了执法培训", top_k=50)
    assert {r.report.unit.split("市")[-1] for r in answer.results} == {"上城区应急管理局", "西湖区应急管理局",
                                                                     "越城区应急管理局", "鄞州区应急管理局"}
