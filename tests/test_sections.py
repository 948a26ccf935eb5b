"""Sections → passages: heading levels, run-on headings, gaps, long and short blocks."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportqa.domain.model import PREAMBLE
from reportqa.ingest.pipeline import ParseOptions, parse_report
from reportqa.ingest.readers import Line
from reportqa.ingest.sections import heading_level, sections_of, split_heading, split_long
from reportqa.settings import BUNDLED_CONFIG_DIR


def lines(*texts: str) -> list[Line]:
    return [Line(t) for t in texts]


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("一、推进法治政府建设的主要举措及成效", 1),
        ("十二、其他", 1),
        ("第二部分 存在问题", 1),
        ("（一）深入推进严格规范公正文明执法", 2),
        ("(三)務實開展法治督查", 2),
        ("1.法治政府建设的能力需要进一步增强。", 3),
        ("2、健全制度", 3),
        ("（1）加强学习", 4),
        ("一是加强规范性文件监督管理。", None),
        ("2021年，我镇的依法治镇工作取得了一定的成效", None),
        ("6.26禁毒日活动", None),
        ("12.4宪法宣传周", None),
    ],
)
def test_heading_levels(text: str, level: int | None) -> None:
    assert heading_level(Line(text)) == level


def test_run_on_heading_is_cut_at_the_first_full_stop() -> None:
    assert split_heading("（一）深化学习，加强党对法治政府建设的领导。利用党组会、局务会深入学习") == (
        "（一）深化学习，加强党对法治政府建设的领导", True)
    assert split_heading("（一）存在的问题：2021年我局法治政府建设虽然取得了一定的成绩") == ("（一）存在的问题", True)
    assert split_heading("（二）深入推进严格规范公正文明执法") == ("（二）深入推进严格规范公正文明执法", False)


def test_paths_follow_levels_and_tolerate_gaps_and_skips() -> None:
    body = lines(
        "开头的说明文字，介绍本报告的依据和总体情况，篇幅足够长以便单独成段，不与其他段落合并在一起。",
        "一、主要举措",
        "（一）深化学习，加强领导。组织学习12次，覆盖全体干部职工，学习内容包括宪法、民法典和行政处罚法等。",
        "（三）严格执法，规范行为。开展执法检查23次，发现并整改问题45个，做到件件有着落、事事有回音。",
        "1.强化培训。组织执法人员培训3期，参训120人次，考试合格率达到100%，执法能力明显提升了。",
        "二、存在问题",
        "1.队伍素质不高。执法人员专业背景不足，法律素养有待提高，需要持续加强培训和实践锻炼才行。",
    )
    sections = sections_of(body, max_chars=1200, min_chars=20)
    names = [s.name for s in sections]
    assert names == [
        PREAMBLE,
        "一、主要举措 › （一）深化学习，加强领导",
        "一、主要举措 › （三）严格执法，规范行为",
        "一、主要举措 › （三）严格执法，规范行为 › 1.强化培训",
        "二、存在问题 › 1.队伍素质不高",  # a level skipped: 1. directly under 二、
    ]
    assert sections[1].text.startswith("（一）深化学习，加强领导。组织学习12次")


def test_long_block_split_at_enumeration_keeping_the_path() -> None:
    part = "一是加强制度建设。" + "制定工作制度并严格执行，" * 30 + "效果明显。"
    text = "（二）严格执法\n" + part + part.replace("一是", "二是") + part.replace("一是", "三是")
    chunks = split_long(text, 600)
    assert len(chunks) == 3
    assert chunks[0].startswith("（二）严格执法")
    assert chunks[1].startswith("二是") and chunks[2].startswith("三是")
    assert "".join(chunks).replace("\n", "") == text.replace("\n", "")
    sections = sections_of(lines("一、主要举措", *text.split("\n")), max_chars=600, min_chars=20)
    assert {s.name for s in sections} == {"一、主要举措 › （二）严格执法"}


def test_sentence_split_when_there_is_no_enumeration() -> None:
    text = "。".join(f"第{i}句话讲述了一项具体的工作内容和成效" for i in range(80)) + "。"
    chunks = split_long(text, 300)
    assert all(len(c) <= 300 for c in chunks)
    assert "".join(chunks) == text


def test_short_fragments_merge_with_a_neighbour() -> None:
    sections = sections_of(lines(
        "三、存在的问题和下一步打算",
        "（一）存在的问题",
        "主要表现在：",
        "1.能力需要增强。特别要增强执法人员对法律的理解力、执行力和到位力，适应新形势新任务的要求。",
    ), max_chars=1200, min_chars=40)
    assert len(sections) == 1
    assert sections[0].name == "三、存在的问题和下一步打算 › （一）存在的问题"
    assert sections[0].text.startswith("（一）存在的问题\n主要表现在：\n1.能力需要增强")


def test_every_seed_passage_has_a_path_or_is_the_preamble(seeds_dir: Path) -> None:
    options = ParseOptions(BUNDLED_CONFIG_DIR)
    for path in sorted(seeds_dir.glob("*.txt")):
        report = parse_report(path, seeds_dir, options)
        assert report.passages
        for passage in report.passages:
            assert passage.section == PREAMBLE or passage.section.startswith(("一、", "二、", "三、", "四、"))
            assert len(passage.text) <= options.max_chars


DATA = Path(__file__).parent / "data"


def test_a_web_page_saved_on_one_line(tmp_path: Path) -> None:
    """Navigation before the title, a publication line below it, headings inline, masked numbers."""
    report = parse_report(DATA / "web_one_line.txt", DATA, ParseOptions(BUNDLED_CONFIG_DIR))
    meta = report.meta
    assert (meta.title, meta.unit, meta.year) == ("重庆市XX区司法局2022年法治政府建设情况报告", "重庆市XX区司法局", 2022)
    assert meta.date == "2023-01-28"  # the publication date, as a fallback, with a warning
    assert any("publication" in w for w in report.warnings)
    names = [p.section for p in report.passages]
    assert names[0] == PREAMBLE
    assert "一、主要工作举措及成效 › （三）加强行政执法监督" in names
    assert names[-1] == "三、下一步工作打算 › （二）深化行政执法监督"  # short, but not merged across （一）and （二）
    text = "\n".join(p.text for p in report.passages)
    assert "无障碍" not in text and "发布时间" not in text and "首页" not in text
    assert "（二）深化行政执法监督。" in text  # a heading-only leaf at the end is content, not lost
    assert "培训xx名执法人员" in text


def test_traditional_report_with_pinyin_annotations() -> None:
    report = parse_report(DATA / "traditional_pinyin.txt", DATA, ParseOptions(BUNDLED_CONFIG_DIR))
    assert report.meta.unit == "区应急管理局"  # the masked district dropped, its level kept; simplified
    assert report.meta.unit_written == "某某區應急管理局"  # the report's own wording, for display
    assert (report.meta.year, report.meta.date) == (2022, "2023-01-10")
    assert report.meta.addressee == "區政府"
    text = "\n".join(p.text for p in report.passages)
    assert "(shè)" not in text and "建設" in text
    assert "执法检查" in "\n".join(p.norm_text for p in report.passages)  # simplified for search
