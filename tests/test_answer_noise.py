"""Answers a staff member would forward as they are (issue 32): unknown units last and placed, a
lead-in with what it introduces, /unit topics without function words, words marked sparingly."""

from __future__ import annotations

import re

from reportqa.answers.compose import answer_question
from reportqa.answers.lead_ins import introduced, is_lead_in
from reportqa.answers.unit_page import top_topics, unit_page, units_among
from reportqa.answers.wording import is_generic_word
from reportqa.index.database import PassageRow
from reportqa.present.render import render_answer_html, snippet_html
from reportqa.present.snippets import find_spans, make_snippet, mark
from tests.conftest import TODAY


async def test_a_lead_in_carries_the_items_it_introduces(searcher) -> None:
    answer = await answer_question(searcher, "经信局存在哪些问题", today=TODAY)
    first = answer.results[0]
    assert "主要表现在：\n（一）法治文化产品单一\n（三）执法队伍综合素养不高" in first.text
    assert "（一）法治文化产品单一" in render_answer_html(answer)
    assert not any(is_lead_in(r.text) for r in answer.results)  # every lead-in shown says what it leads to


def test_what_a_lead_in_introduces_in_general() -> None:
    """Sub-sections' headings when it has them; else the next paragraphs of its own section, each as
    its first sentence; never the next section's."""
    def row(ordinal: int, section: str, text: str) -> PassageRow:
        return PassageRow(ordinal, 1, ordinal, section, text, text)

    lead = row(1, "三、存在的不足", "主要有以下几个方面：")
    rows = [lead, row(2, "三、存在的不足 › 1.培训不够", "1.培训不够。基层执法人员培训偏少。"),
            row(3, "三、存在的不足 › 2.宣传单一", "2.宣传单一。方式传统。"), row(4, "四、下一步打算", "继续加强。")]
    assert introduced(lead, rows) == ["1.培训不够", "2.宣传单一"]
    flat = [row(1, "二、问题", "具体如下:"), row(2, "二、问题", "一是队伍力量薄弱，人员不足。二是经费紧张。"),
            row(3, "三、计划", "明年继续。")]
    assert introduced(flat[0], flat) == ["一是队伍力量薄弱，人员不足。"]
    assert not is_lead_in("开展执法培训3期。") and is_lead_in("表现在：\n")


def test_matched_words_are_marked_once_each_in_the_key_sentence() -> None:
    text = ("全年开展执法检查12次。执法人员全部持证上岗，执法培训覆盖全体执法人员，执法培训合格率100%。"
            "组织执法培训两期，执法案卷评查一次。下一步继续加强执法培训。")
    spans = find_spans(text, text, ["执法", "培训", "执法培训"])
    snippet = make_snippet(text, spans, width=60)
    marked = mark(snippet, "<b>", "</b>")
    words = re.findall(r"<b>(.*?)</b>", marked)
    assert len(words) == len(set(words)) and set(words) <= {"执法", "培训", "执法培训"}
    sentences_marked = {s for s in re.split(r"[。；]", marked) if "<b>" in s}
    assert len(sentences_marked) == 1  # the key sentence only


async def test_replies_mark_few_words(searcher) -> None:
    answer = await answer_question(searcher, "哪些单位在2021年开展了执法培训", today=TODAY)
    for result in answer.results:
        bold = re.findall(r"<b>(.*?)</b>", snippet_html(result))
        assert 1 <= len(bold) <= 3 and len(bold) == len(set(bold)), bold


def test_topics_are_never_function_words_or_everyday_verbs() -> None:
    passages = [f"按照要求，印发实施方案，实现{topic}全覆盖，关于{topic}加快推进。" for topic in
                ("危化品执法", "危化品执法", "安全生产培训", "安全生产培训", "应急演练")] * 2
    words = lambda text: re.findall(r"印发|实施方案|实现|全覆盖|关于|加快|推进|按照|要求|危化品|执法|安全生产|培训|应急演练", text)  # noqa: E731
    topics = top_topics(passages, words, lambda w: 3.0, set())
    assert "危化品" in topics and "安全生产" in topics
    assert not {"实现", "关于", "加快", "按照"} & set(topics)


async def test_unit_pages_of_the_samples_list_no_generic_word(searcher) -> None:
    for unit in units_among(searcher, searcher.reports):
        page = await unit_page(searcher, unit)
        assert page.topics and not [t for t in page.topics if is_generic_word(t) or t == "印发"], page.topics
