"""Question parsing: years in every form, ranges, relative years, units, regions, intent, language."""

from __future__ import annotations

import datetime as dt

import pytest

from reportqa.answers.question import detect_intent, finest, parse_question, parse_years, translate_english
from reportqa.answers.unit_catalog import UnitCatalog, UnitRef
from reportqa.domain.text import get_tokenizer
from reportqa.settings import BUNDLED_CONFIG_DIR

TODAY = dt.date(2022, 6, 1)
TOKENIZER = get_tokenizer(BUNDLED_CONFIG_DIR)
CATALOG = UnitCatalog.build(
    [
        UnitRef(1, "重庆市长寿区招商投资促进局", "招商投资促进局", "500115", None, "重庆市长寿区"),
        UnitRef(2, "重庆市大足区玉龙镇人民政府", "人民政府", "500111", "玉龙镇", "重庆市大足区玉龙镇"),
        UnitRef(3, "XX经济和信息化局", "经济和信息化局", None, None, None),
        UnitRef(4, "重庆市大足区应急管理局", "应急管理局", "500111", None, "重庆市大足区"),
        UnitRef(5, None, None, None, None, None),
        UnitRef(6, "重庆市大足区市场监督管理局", "市场监督管理局", "500111", None, "重庆市大足区"),
        UnitRef(7, "绍兴市市场监督管理局", "市场监督管理局", "330600", None, "浙江省绍兴市"),
        UnitRef(8, "广东省市场监督管理局", "市场监督管理局", "440000", None, "广东省"),
        UnitRef(9, "杭州市上城区应急管理局", "应急管理局", "330102", None, "浙江省杭州市上城区"),
        UnitRef(10, "应急管理部", "应急管理部", None, None, None, national=True),
        UnitRef(11, "草滩街道办事处", "街道办事处", None, "草滩街道", "草滩街道"),
        UnitRef(12, "区退役军人事务局", "退役军人事务局", None, None, None),
        UnitRef(13, "城中区城市管理局", "城市管理局", None, None, "城中区"),  # 西宁's or 柳州's: not known
    ],
    BUNDLED_CONFIG_DIR,
)


def parse(question: str):
    return parse_question(question, TOKENIZER, BUNDLED_CONFIG_DIR, CATALOG, TODAY)


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("2021年开展了哪些培训", [2021]),
        ("2021 执法培训", [2021]),
        ("2021年度执法培训", [2021]),
        ("二〇二一年执法培训", [2021]),
        ("二零二三年法律顾问", [2023]),
        ("今年的执法培训", [2022]),
        ("去年的执法培训", [2021]),
        ("前年的执法培训", [2020]),
        ("2020至2022年的执法培训", [2020, 2021, 2022]),
        ("2020-2022年", [2020, 2021, 2022]),
        ("2021到2022年", [2021, 2022]),
        ("enforcement training in 2021", [2021]),
        ("training last year", [2021]),
        ("执法培训", []),
        ("培训120余人", []),
    ],
)
def test_years(text: str, years: list[int]) -> None:
    assert parse_years(text, TODAY)[0] == years


def test_years_are_removed_from_the_search_terms() -> None:
    question = parse("哪些单位在2021年开展了执法培训")
    assert question.years == [2021]
    assert [c.label for c in question.concepts] == ["执法培训"]  # the compound, its pieces its alternative
    assert question.concepts[0].alternatives == (("执法", "培训"),)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("哪些单位在2021年开展了执法培训", "units"),
        ("哪个单位给科室配备了执法记录仪", "units"),
        ("谁推行了会前学法制度", "units"),
        ("哪些部门聘请了法律顾问", "units"),
        ("which units held enforcement training in 2021", "units"),
        ("Which departments hired legal advisers?", "units"),
        ("who carried out random inspections", "units"),
        ("長壽區招商投資促進局的法律顧問是誰", "passages"),  # 是谁: asks for a person, not units
        ("who is the legal adviser", "passages"),
        ("信访办结率是多少", "passages"),
        ("双随机一公开", "passages"),
    ],
)
def test_intent(text: str, intent: str) -> None:
    assert parse(text).intent == intent


@pytest.mark.parametrize(
    ("text", "report_ids"),
    [
        ("应急局安全生产法宣传", {4, 9}),  # a kind's short form: every unit of that kind
        ("应急管理局行政许可", {4, 9}),  # the kind in full
        ("重庆市大足区应急管理局执法证件", {4}),  # in full
        ("大足区应急局", {4}),  # a place and a kind narrow each other
        ("大足应急局执法", {4}),  # 大足 = 大足区
        ("经信局清理规范性文件", {3}),  # the kind of a unit with a masked place
        ("市场监管局执法检查", {6, 7, 8}),
        ("绍兴市场监管局执法人员持证比例", {7}),  # 绍兴 + 市场监管局, not 绍兴市 + 场监管局
        ("玉龙镇公共服务中心", {2}),  # a town without 人民政府
        ("玉龙镇政府的法律顾问", {2}),
        ("长寿区招商投资促进局的法律顾问", {1}),  # simplified question, traditional report
        ("長壽區招商投資促進局的法律顧問", {1}),  # traditional question
        ("大足区的普法宣传", {2, 4, 6}),  # a place: every unit in it
        ("重庆市哪些单位开展了普法", {1, 2, 4, 6}),  # a province-level place: everything below it
        ("浙江省哪些单位开展了普法", {7, 9}),
        ("杭州市应急管理局", {9}),  # a city finds its districts' units too
        ("应急管理部的立法工作", {10}),  # a ministry
        ("2024年哪些街道召开党工委会议", {11}),  # a kind of unit asked for in the plural
        ("城中区城管局执法", {13}),  # a report whose 城中区 nobody could place is found by the name
        ("西宁市城中区城管局执法", {13}),  # and by either city it may be in
        ("emergency management bureau enforcement", {4, 9}),  # English unit names through the glossary
    ],
)
def test_units_kinds_and_places(text: str, report_ids: set[int]) -> None:
    question = parse(text)
    assert question.report_ids == report_ids
    assert question.missing_unit is None
    labels = {c.label for c in question.concepts}
    assert not labels & {"应急局", "应急管理局", "大足区", "玉龙镇", "经信局", "绍兴", "市场", "监管局"}


@pytest.mark.parametrize(
    ("text", "missing", "searched"),
    [
        # a unit of another place is never taken instead: only reports whose place is unknown are searched
        ("江门市市场监管局执法检查", "江门市市场监督管理局", {3, 5, 11, 12}),
        ("新兴县公安局聘用法律顾问的情况", "新兴县公安局", {3, 5, 11, 12}),
        ("东莞获得中国法治政府奖是哪一年", "东莞市", {3, 5, 11, 12}),
        ("苏州市交通运输局", "苏州市交通运输局", {3, 5, 11, 12}),
    ],
)
def test_a_place_without_reports_is_said_and_never_replaced(text: str, missing: str, searched: set[int]) -> None:
    question = parse(text)
    assert question.missing_unit == missing
    assert question.report_ids == {i for i in searched if i in question.report_ids}
    assert not question.report_ids & {1, 2, 4, 6, 7, 8, 9, 10}  # every report placed somewhere else
    assert question.unit_names == []


@pytest.mark.parametrize(
    ("report_kind", "asked", "matches"),
    [
        ("卫生健康局", "卫生健康委员会", True),  # 卫健委 asked, the place calls it 卫生健康局
        ("文化广电和旅游局", "文化和旅游局", True),
        ("规划和自然资源局", "自然资源局", True),
        ("农业农村厅", "农业农村局", True),  # a province's department of the same kind
        ("民政局", "公安局", False),
        ("水务局", "水利局", False),
        ("统计局", "审计局", False),
        ("街道办事处", "人民政府", False),
    ],
)
def test_one_department_under_the_names_places_give_it(report_kind: str, asked: str, matches: bool) -> None:
    from reportqa.answers.unit_catalog import kind_matches

    assert kind_matches(report_kind, asked) is matches


def test_places_in_questions_are_read_from_the_gazetteer() -> None:
    """Short forms (阿坝州, 新疆), an ambiguous name kept ambiguous (城中区: 西宁 and 柳州)."""
    for text, code in (("阿坝州经信局", "513200"), ("新疆的法治政府建设", "650000"), ("大足区", "500111")):
        assert CATALOG.read(text).places == ((code,),)
    assert set(CATALOG.read("城中区城管局").places[0]) == {"630103", "450202"}


def test_a_kind_without_reports_falls_back_to_plain_terms() -> None:
    question = parse("税务局的执法培训")
    assert question.report_ids is None  # no place named: every report may answer
    assert question.missing_unit == "税务局"
    assert "税务" in question.optional_tokens  # still scored, but not required
    assert [c.label for c in question.concepts] == ["执法培训"]


def test_an_unknown_unit_name_is_searched_not_required() -> None:
    question = parse("某研究会的执法培训")
    assert question.report_ids is None
    assert question.unmatched_units == []
    assert [c.label for c in question.concepts][-1] == "执法培训"


def test_traditional_question_is_normalised() -> None:
    question = parse("哪些單位聘請了法律顧問")
    assert question.intent == "units"
    assert [c.label for c in question.concepts] == ["聘请", "法律顾问"]  # a compound asked for is one concept
    assert question.concepts[1].alternatives == (("法律", "顾问"),)
    assert "法律顾问" in question.tokens  # the compound is scored too


def test_english_through_the_glossary() -> None:
    question = parse("which units hired legal advisers")
    assert question.language == "en"
    by_label = {c.label: c for c in question.concepts}
    assert ("法律", "顾问") in by_label["legal adviser"].alternatives
    assert "法律顾问" in question.tokens
    assert {"聘请", "聘用"} <= set(question.tokens)


def test_english_glossary_phrases_and_inflections() -> None:
    found, unknown = translate_english("administrative reconsideration cases and trainings held", BUNDLED_CONFIG_DIR)
    phrases = {p for p, _ in found}
    assert {"administrative reconsideration", "training"} <= phrases
    assert unknown == []


def test_glossary_has_at_least_200_entries() -> None:
    from reportqa.domain.rules import load_glossary

    glossary = load_glossary(BUNDLED_CONFIG_DIR)
    assert sum(1 for terms in glossary.values() if terms) >= 200


def test_stopword_only_question_has_no_concepts() -> None:
    assert parse("哪些单位开展了什么工作").concepts == []


def test_finest_tokens() -> None:
    assert finest(["执法", "培训", "执法培训"]) == ["执法", "培训"]
    assert finest(["双随机", "一公开", "随机", "公开", "双随机一公开"]) == ["随机", "公开"]


def test_focus_on_problems_and_plans() -> None:
    kinds = parse("执法人员素质不高的问题")
    plans = parse("哪些单位打算用抖音快手开展普法宣传")
    done = parse("哪些单位开展了执法培训")
    assert kinds.focus and plans.focus and kinds.focus != plans.focus
    assert done.focus == 0
    assert detect_intent("大足区有哪些单位") == "units"


def test_nfkc_by_table_is_unicodedata_s() -> None:
    """``text.nfkc`` maps each character alone and keeps the result only when it is in NFKC: on the
    sample reports and on texts built to defeat a character-at-a-time mapping (combining marks
    after their base, Hangul jamo, half-width kana with voicing marks, characters outside the BMP,
    lone surrogates) it equals ``unicodedata.normalize``."""
    import random
    import unicodedata

    from reportqa.domain.text import nfkc
    from tests.conftest import SEEDS

    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.rglob("*.txt"))]
    assert texts and all(len(t) > 256 for t in texts)
    pieces = ["，", "（一）", "ＡＢＣ１２３", "法治政府", "e\u0301", "\u1100\u1161\u11a8", "ﾊﾟﾋﾞ", "\u3099", "Å", "ﬁ",
              "①㈱㍻", "\U0001d400\U0001d7d9", "\U00020000", "\ud800", "\u00a0", "\u2003", "ｶﾞ", "゙", "ᄀ", "ᅡ"]
    rng = random.Random(5)
    texts += ["法治政府建设" * rng.choice((11, 50)) + "".join(rng.choice(pieces) for _ in range(rng.randint(1, 60)))
              for _ in range(400)]
    for text in texts:
        assert nfkc(text) == unicodedata.normalize("NFKC", text)
