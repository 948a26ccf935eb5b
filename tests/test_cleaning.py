"""Cleaning rules (config/cleaning.toml): junk removed, real content never eaten."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reportqa.domain.rules import load_cleaning_rules
from reportqa.ingest.cleaning import clean_lines, drop_preamble, split_inline_headings
from reportqa.ingest.dates import page_date
from reportqa.ingest.metadata import find_title
from reportqa.ingest.readers import Line
from reportqa.settings import BUNDLED_CONFIG_DIR
from tests.conftest import SAMPLE_REPORTS

RULES = load_cleaning_rules(BUNDLED_CONFIG_DIR)


def clean(*texts: str) -> list[str]:
    return [line.text for line in clean_lines([Line(t) for t in texts], RULES).lines]


def test_paywall_markers_removed_inline_keeping_the_words_around_them() -> None:
    assert clean("明确了清理范围、清理标准、方法和责任主##paidbegin##体，全面清理") == [
        "明确了清理范围、清理标准、方法和责任主体，全面清理"
    ]
    assert clean("##paidend##") == []


def test_editor_bookmark_removed() -> None:
    assert clean("[bookmark: _GoBack]我局始终坚持") == ["我局始终坚持"]


def test_advert_lines_removed() -> None:
    adverts = [
        "【哒哒素材库】——每天更新材料1000多篇内部高质量素材，会员群+网盘群同步每日更新，有意加入请联系：1 4367",
        "欢迎加入“哒哒素材库svip会员”，9000万字材料，添加客服：cwk,请各位小伙伴认准哒哒",
        "【哒哒代笔】——原创高质量保障、高度保密，需要的小伙伴请代笔客服：cwk",
        "更多范文请关注公众号：wenmi123",
    ]
    assert clean(*adverts) == []


def test_page_numbers_removed() -> None:
    assert clean("- 3 -", "— 12 —", "第3页 共10页", "第 4 页", "3/10") == []


def test_pinyin_annotations_removed() -> None:
    assert clean("加強法治政府建設(shè)，提升應(yīng)急能力") == ["加強法治政府建設，提升應急能力"]


def test_masked_party_restored_only_where_it_stands_for_党() -> None:
    assert clean("利用D组会、局务会深入学习，落实D中央决策，学习D的二十大精神，D委、D政主要负责人") == [
        "利用党组会、局务会深入学习，落实党中央决策，学习党的二十大精神，党委、党政主要负责人"
    ]
    untouched = "采购3D打印设备，开展PDF文件、DNA检测和D级危房排查，维生素D"
    assert clean(untouched) == [untouched]


def test_look_behind_rules_at_the_ends_of_a_line() -> None:
    """The rules that look behind (written literal first, for speed) at a line's first and last
    characters: nothing stands before the first, so 党 is restored there and pinyin is not dropped."""
    assert clean("D委书记带头，ABD委员不动") == ["党委书记带头，ABD委员不动"]
    assert clean("(shè)在行首不是注音，建設(shè)") == ["(shè)在行首不是注音，建設"]
    assert clean("海南省人民政府br关于印发") == ["海南省人民政府关于印发"]
    assert clean("br在两端不是残留br") == ["br在两端不是残留br"]


def test_site_navigation_dropped_before_the_title_and_publication_date_kept() -> None:
    lines = [Line(t) for t in [
        "无障碍 简体|繁体",
        "首页 > 政务公开 > 法治政府建设",
        "来源：区司法局办公室 发布时间：2024-03-28",
        "重庆市某区司法局2023年法治政府建设情况报告",
        "来源：本报告数据来源于各科室统计。",  # after the title: real content, kept
    ]]
    cleaned = clean_lines(lines, RULES)
    title = find_title([line.text for line in cleaned.lines])
    result = drop_preamble(cleaned, title, RULES)
    assert [line.text for line in result.lines] == [
        "重庆市某区司法局2023年法治政府建设情况报告",
        "来源：本报告数据来源于各科室统计。",
    ]
    assert page_date(result.page_lines, RULES.dates).iso == "2024-03-28"


def test_one_line_document_is_split_at_inline_headings() -> None:
    text = ("根据要求，现将情况报告如下：一、主要举措（一）加强学习。组织学习12次。" + "内容" * 150
            + "。（二）严格执法。开展检查23次。二、存在问题。队伍素质不高。")
    parts = split_inline_headings(text)
    assert parts[0] == "根据要求，现将情况报告如下："
    assert parts[1].startswith("一、主要举措")
    assert any(p.startswith("（二）严格执法") for p in parts)
    assert parts[-1] == "二、存在问题。队伍素质不高。"


def _sentences(text: str) -> set[str]:
    return {s.strip() for s in re.split(r"[。；\n]", text) if len(s.strip()) >= 8}


@pytest.mark.parametrize("seed", sorted(SAMPLE_REPORTS))
def test_rules_never_eat_real_content_of_the_seeds(seed: str, seeds_dir: Path) -> None:
    """Every sentence of a seed survives cleaning, except the advert lines themselves."""
    raw = (seeds_dir / seed).read_text(encoding="utf-8")
    cleaned = "\n".join(clean(*raw.splitlines()))
    for sentence in _sentences(raw):
        if any(ad in sentence for ad in ("哒哒", "会员", "客服", "素材")):
            continue
        sentence = re.sub(r"##paid(begin|end)##|\[bookmark:[^\]]*\]", "", sentence)
        sentence = re.sub(r"(?<![A-Za-z0-9])D(?=[组中的委政对])", "党", sentence)
        assert sentence in cleaned, sentence
