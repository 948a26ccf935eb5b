"""Rendering: escaping, matched terms in bold, Telegram's 4096-character limit, never cutting a tag."""

from __future__ import annotations

import re

from reportqa.answers.compose import Answer
from reportqa.answers.question import ParsedQuestion
from reportqa.present.render import (
    TELEGRAM_LIMIT,
    html_to_text,
    render_answer_html,
    render_outline_html,
    render_passage_html,
    result_block_html,
    snippet_text,
    split_plain,
)
from reportqa.present.snippets import find_spans, make_snippet, mark
from reportqa.retrieval.searcher import ReportInfo, Result

REPORT = ReportInfo(1, "a<b>&c.txt", "某局<script>", 2021, "2021-11-23", "标题&", None, 3)
TAG = re.compile(r"</?([a-z]+)[^>]*>")


def result(text: str, matched: list[str], rank: int = 1, section: str = "一、举措 › （一）<培训>") -> Result:
    return Result(rank, 1.0, rank, REPORT, section, text, text, 0, matched)


def balanced(message: str) -> bool:
    stack = []
    for match in TAG.finditer(message):
        if match.group(0).startswith("</"):
            if not stack or stack.pop() != match.group(1):
                return False
        else:
            stack.append(match.group(1))
    return not stack


def answer(results: list[Result], question: str = "执法<培训>&") -> Answer:
    return Answer(ParsedQuestion(question, "zh", "passages"), results, total=len(results))


def test_report_text_and_the_question_are_escaped() -> None:
    message = render_answer_html(answer([result("组织<b>执法</b>培训 & 考核 > 3次", ["执法", "培训"])]))
    assert "<script>" not in message and "&lt;script&gt;" in message
    assert "执法&lt;培训&gt;&amp;" in message  # the user's words
    assert "&lt;b&gt;<b>执法</b>&lt;/b&gt;" in message  # report text escaped, the match in bold
    assert "&amp; 考核 &gt; 3次" in message
    assert "a&lt;b&gt;&amp;c.txt" in message
    assert balanced(message)


def test_many_long_results_fit_in_one_message() -> None:
    text = "执法培训。" + "很长的段落内容<&>" * 400
    message = render_answer_html(answer([result(text, ["执法"], rank=i) for i in range(1, 40)]))
    from reportqa.present.render import telegram_length

    assert telegram_length(message) <= TELEGRAM_LIMIT
    assert balanced(message)
    shown = message.count("📄")
    assert f"第 1–{shown} 条，共 39 条" in message  # the footer counts what the page shows


def test_a_passage_longer_than_a_message_is_split_without_breaking_tags() -> None:
    text = "".join(f"第{i}句，包含<特殊>&字符的执法培训内容。" for i in range(600))
    messages = render_passage_html(result(text, []))
    assert len(messages) > 1
    assert all(len(m) <= TELEGRAM_LIMIT and balanced(m) for m in messages)
    assert html_to_text("".join(re.sub(r"^.*?\n\n", "", m, count=1, flags=re.S) if i == 0 else m
                                for i, m in enumerate(messages))).count("执法培训内容") == 600


def test_split_plain_counts_escaped_length() -> None:
    pieces = split_plain("&" * 5000, 1000)
    assert all(len(p) * 5 <= 1000 for p in pieces)
    assert "".join(pieces) == "&" * 5000


def test_empty_answer_says_so() -> None:
    empty = answer([])
    empty.notice = "没有2019年的报告。已收录的年份：2021、2023。"
    message = render_answer_html(empty)
    assert "没有2019年的报告" in message


def test_outline_lists_sections_once() -> None:
    message = render_outline_html(REPORT, ["前言", "一、举措 › （一）学习", "一、举措 › （一）学习", "二、问题"])
    assert message.count("（一）学习") == 1
    assert "标题&amp;" in message and balanced(message)


def test_snippet_window_marks_terms_in_traditional_text() -> None:
    text = "開頭說明。" * 30 + "聘請重慶中渡律師事務所三位專家為法律顧問。" + "結尾。" * 30
    norm = text.replace("聘請", "聘请").replace("顧問", "顾问").replace("律師事務所", "律师事务所")
    norm = norm.replace("開頭說明", "开头说明").replace("結尾", "结尾").replace("重慶", "重庆").replace("專家為", "专家为")
    spans = find_spans(text, norm, ["法律顾问", "聘请"])
    assert [text[s:e] for s, e in spans] == ["聘請", "法律顧問"]
    snippet = make_snippet(text, spans, width=60)
    assert snippet.text.startswith("聘請") and snippet.cut_before and snippet.cut_after
    assert mark(snippet, "[", "]").startswith("…[聘請]重慶中渡律師事務所三位專家為[法律顧問]")


def test_every_reply_fits_as_telegram_counts_it_with_hostile_paths_and_names() -> None:
    """A path of 3,000 & (5 characters each escaped, 1 once parsed), a unit and a section of markup:
    the answer, the full section, the outline and the inline share stay within 4096 as Telegram
    counts them, never cut inside an entity, and a page shows every result its footer counts."""
    from reportqa.channels.telegram.inline import share_html
    from reportqa.present.render import telegram_length

    report = ReportInfo(1, "&" * 3000 + "/报告&.txt", "<&>" * 500, 2021, "2021-11-23", "&标题" * 900, None, 3)
    section = "一、<举措>&" * 200
    results = [Result(i, 1.0, i, report, section, "执法培训&<b>。" * 800, "执法培训&<b>。" * 800, 0, ["执法"])
               for i in range(1, 4)]
    page = render_answer_html(Answer(ParsedQuestion("执法培训&" * 40, "zh", "passages"), results, total=3))
    messages = [page, *render_passage_html(results[0]), render_outline_html(report, [section] * 3),
                share_html(results[0])]
    for message in messages:
        assert telegram_length(message) <= TELEGRAM_LIMIT and balanced(message)
        assert not re.search(r"&[a-z]*(?:$|[^a-z;])", message.replace("&amp;", "").replace("&lt;", "").replace(
            "&gt;", ""))  # no entity cut in two
    assert page.count("📄") == 3 and "第 1–3 条，共 3 条" in page  # no result dropped from the page


def test_an_excerpt_does_not_repeat_the_heading_shown_above_it() -> None:
    own_line = result("（二）强培训，增能力\n每年开展1次执法人员培训，邀请专家授课。", ["培训"],
                      section="三、下一步打算 › （二）强培训，增能力")
    html = result_block_html(own_line)
    assert html.count("强培训，增能力") == 1  # the section line only
    assert "每年开展1次执法人员<b>培训</b>" in html
    run_on = result("（四）完善行政监督，规范执法行为。一是加强执法主体管理。", ["执法"],
                    section="二、职责 › （四）完善行政监督，规范执法行为")
    assert result_block_html(run_on).count("完善行政监督") == 2  # a heading running into its body stays
    alone = result("（五）其他", [], section="二、职责 › （五）其他")
    assert "（五）其他" in snippet_text(alone)  # a passage that is only its heading keeps it
