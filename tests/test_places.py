"""The gazetteer and unit names: short forms, hierarchy, ambiguity kept, everyday words left alone."""

from __future__ import annotations

import pytest

from reportqa.domain.places import CITY, COUNTY, PROVINCE, load_gazetteer
from reportqa.domain.unit_names import parse_unit_name
from reportqa.settings import BUNDLED_CONFIG_DIR

GAZETTEER = load_gazetteer(BUNDLED_CONFIG_DIR)


def names(codes: tuple[str, ...]) -> list[str]:
    return sorted(GAZETTEER.full_name(c) for c in codes)


@pytest.mark.parametrize(
    ("short", "full"),
    [
        ("绍兴", "浙江省绍兴市"),
        ("大足", "重庆市大足区"),
        ("阿坝州", "四川省阿坝藏族羌族自治州"),
        ("阿坝", "四川省阿坝藏族羌族自治州"),  # the prefecture, not 阿坝县: the higher level owns a shared short form
        ("新疆", "新疆维吾尔自治区"),
        ("广西", "广西壮族自治区"),
        ("内蒙古", "内蒙古自治区"),
        ("南昌", "江西省南昌市"),  # not 南昌县
        ("酉阳", "重庆市酉阳土家族苗族自治县"),
        ("锡林郭勒", "内蒙古自治区锡林郭勒盟"),
        ("沈阳", "辽宁省沈阳市"),
    ],
)
def test_short_forms(short: str, full: str) -> None:
    assert names(GAZETTEER.lookup(short)) == [full]


def test_hierarchy() -> None:
    [dazu] = GAZETTEER.lookup("大足区")
    [shangcheng] = GAZETTEER.lookup("上城区")
    [hangzhou] = GAZETTEER.lookup("杭州市")
    [zhejiang] = GAZETTEER.lookup("浙江省")
    [chongqing] = GAZETTEER.lookup("重庆市")
    assert GAZETTEER.within(dazu, chongqing)  # a municipality's districts hang right under it
    assert GAZETTEER.within(shangcheng, hangzhou) and GAZETTEER.within(hangzhou, zhejiang)
    assert GAZETTEER.within(shangcheng, zhejiang)
    assert not GAZETTEER.within(hangzhou, shangcheng)
    assert [p.level for p in GAZETTEER.chain(shangcheng)] == [PROVINCE, CITY, COUNTY]
    assert GAZETTEER.full_name(shangcheng) == "浙江省杭州市上城区"
    [jiyuan] = GAZETTEER.lookup("济源市")  # a county-level city under its province directly
    assert GAZETTEER.places[GAZETTEER.places[jiyuan].parent].name == "河南省"


def test_names_several_places_carry_stay_ambiguous() -> None:
    assert names(GAZETTEER.lookup("城中区")) == ["广西壮族自治区柳州市城中区", "青海省西宁市城中区"]
    assert len(GAZETTEER.lookup("鼓楼区")) == 4
    assert len(GAZETTEER.lookup("永定")) == 2  # 龙岩 and 张家界


def test_mentions_in_text_leave_everyday_words_and_towns_alone() -> None:
    text = "推进城中村改造，践行绿水青山理念，县公安局与三都镇、玉龙镇配合，在绍兴市和大足开展"
    found = [m.text for m in GAZETTEER.mentions(text)]
    assert found == ["绍兴市", "大足"]
    [shaoxing, dazu] = GAZETTEER.mentions(text)
    assert not shaoxing.short and dazu.short


def test_mentions_in_a_long_text_are_those_of_its_short_pieces() -> None:
    """A long text's candidate positions come from numpy, a short one's from a step a character:
    both must find the same names, also across the ``limit`` and at the text's ends."""
    piece = "推进城中村改造，县公安局与三都镇配合，在绍兴市和大足开展，浙江省杭州市西湖区"
    text = "南昌" + "法治政府建设" * 30 + piece * 6 + "重庆"
    assert len(text) > 300
    found = [(m.start, m.text) for m in GAZETTEER.mentions(text)]
    expected = [(0, "南昌")]
    offset = 2 + 6 * 30
    for k in range(6):
        expected += [(offset + k * len(piece) + m.start, m.text) for m in GAZETTEER.mentions(piece)]
    expected.append((len(text) - 2, "重庆"))
    assert found == expected
    assert [m.text for m in GAZETTEER.mentions(piece)] == ["绍兴市", "大足", "浙江省", "杭州市", "西湖区"]
    cut = offset + 2 * len(piece) + piece.index("绍兴") + 1  # the limit inside 绍兴市: it is still read whole
    assert [(m.start, m.text) for m in GAZETTEER.mentions(text, limit=cut)] == expected[:1 + 5 * 2 + 1]
    assert [m.text for m in GAZETTEER.mentions(text, short=False)].count("大足") == 0
    # a lone surrogate (how a file name's undecodable byte is kept) is a character like any other
    assert [(m.start - 1, m.text) for m in GAZETTEER.mentions("\udcff" + text)] == expected


@pytest.mark.parametrize(
    ("written", "composed", "kind", "places"),
    [
        ("重庆市大足区应急管理局", "重庆市大足区应急管理局", "应急管理局", ["重庆市", "大足区"]),
        ("市市场监管局", "市市场监督管理局", "市场监督管理局", []),  # a level marker, no place
        ("绍兴市场监管局", "绍兴市市场监督管理局", "市场监督管理局", ["绍兴"]),  # not 绍兴市 + 场监管局
        ("杭州市人力社保局", "杭州市人力资源和社会保障局", "人力资源和社会保障局", ["杭州市"]),
        ("重慶市長壽區招商投資促進局", "重庆市长寿区招商投资促进局", "招商投资促进局", ["重庆市", "长寿区"]),
        ("XX经济和信息化局", "经济和信息化局", "经济和信息化局", []),  # masked and not resolved: the kind
        ("XX县水利局", "县水利局", "水利局", []),  # masked: the level is what is known
        ("重庆市某某区交通运输局", "重庆市某某区交通运输局", "交通运输局", ["重庆市"]),  # a place, then the mask
        ("重庆市大足区玉龙镇人民政府", "重庆市大足区玉龙镇人民政府", "人民政府", ["重庆市", "大足区"]),
        ("静海区", "静海区人民政府", "人民政府", ["静海区"]),  # a place alone: its government
        ("海滨街", "海滨街道办事处", "街道办事处", []),
        ("草滩街道", "草滩街道办事处", "街道办事处", []),
        ("北城街街道办事处", "北城街街道办事处", "街道办事处", []),
        ("三都镇", "三都镇人民政府", "人民政府", []),  # 三都 is also 三都县's short form: not here
        ("中共长春市委 长春市人民政府", "中共长春市委、长春市人民政府", "党委", ["长春市"]),
        ("云南省委、省政府", "中共云南省委、云南省人民政府", "党委", ["云南省"]),
        ("应急管理部", "应急管理部", "应急管理部", []),
        ("原环境保护部", "环境保护部", "环境保护部", []),
        ("巴彦淖尔市文化旅游广电局", "巴彦淖尔市文化旅游广电局", "文化旅游广电局", ["巴彦淖尔市"]),  # a kind no list has
        ("区退役军人事务局", "区退役军人事务局", "退役军人事务局", []),
        ("市卫生健康委", "市卫生健康委员会", "卫生健康委员会", []),
    ],
)
def test_unit_names(written: str, composed: str, kind: str, places: list[str]) -> None:
    unit = parse_unit_name(written, BUNDLED_CONFIG_DIR)
    assert unit is not None
    assert unit.compose(GAZETTEER) == composed
    assert unit.kind == kind
    assert [m.text for m in unit.places] == places


@pytest.mark.parametrize("text", ["我局", "人民政府", "新闻中心法治", "党政领导干部", "镇党委", "大足", "各部门", "xx镇人民政府",
                                  "区", "政府"])
def test_not_unit_names(text: str) -> None:
    assert parse_unit_name(text, BUNDLED_CONFIG_DIR) is None


def test_a_marker_or_mask_composes_with_the_place_found_elsewhere() -> None:
    assert parse_unit_name("市市场监管局", BUNDLED_CONFIG_DIR).compose(GAZETTEER, "绍兴市") == "绍兴市市场监督管理局"
    assert parse_unit_name("XX经济和信息化局", BUNDLED_CONFIG_DIR).compose(GAZETTEER, "阿坝藏族羌族自治州") == (
        "阿坝藏族羌族自治州经济和信息化局")
    assert parse_unit_name("县司法局", BUNDLED_CONFIG_DIR).compose(GAZETTEER, "潼关县") == "潼关县司法局"


def test_a_branch_of_a_city_office_in_a_district() -> None:
    """广州市公安局增城区分局 is 增城区's 公安分局 (a question for 增城区公安分局 finds it), cited as written."""
    unit = parse_unit_name("广州市公安局增城区分局", BUNDLED_CONFIG_DIR)
    assert unit is not None and unit.kind == "公安分局"
    assert [m.text for m in unit.places] == ["广州市", "增城区"]
    assert unit.compose(GAZETTEER) == "广州市公安局增城区分局"
    asked = parse_unit_name("增城区公安分局", BUNDLED_CONFIG_DIR)
    assert asked is not None and (asked.kind, [m.text for m in asked.places]) == ("公安分局", ["增城区"])
