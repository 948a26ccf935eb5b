"""Replies in WeCom's and DingTalk's markdown: report text can never become markup there, and a message
never passes the platform's size limit."""

from __future__ import annotations

from reportqa.conversations.links import ChatPace
from reportqa.present.markdown import DINGTALK, WECOM, html_to_markdown, split_markdown

HOSTILE = ("<b>1. 重庆市某局</b> · 2021年\n# 不是标题\n- 不是列表\n> 不是引用\n2. 不是编号\n"
           "正文 *星号* _下划线_ [链接](http://evil.example) `代码` |表格| ~删除~ \\反斜杠 &lt;font color=red&gt;")


def test_wecom_escapes_report_text_commonmark_style() -> None:
    text = html_to_markdown(HOSTILE, WECOM)
    lines = text.splitlines()
    assert lines[0] == "**1\\. 重庆市某局** · 2021年"  # our bold stays bold
    assert lines[1:5] == ["\\# 不是标题", "\\- 不是列表", "\\> 不是引用", "2\\. 不是编号"]
    assert "\\*星号\\*" in text and "\\_下划线\\_" in text and "\\[链接\\](http://evil.example)" in text
    assert "\\`代码\\`" in text and "\\|表格\\|" in text and "\\~删除\\~" in text and "\\\\反斜杠" in text
    assert "\\<font color=red\\>" in text


def test_dingtalk_writes_markup_characters_full_width() -> None:
    text = html_to_markdown(HOSTILE, DINGTALK)
    lines = text.split("  \n")  # DingTalk's line break: two spaces before the newline
    assert lines[0] == "**1． 重庆市某局** · 2021年"
    assert lines[1:5] == ["＃ 不是标题", "－ 不是列表", "＞ 不是引用", "2． 不是编号"]
    assert "＊星号＊" in text and "＿下划线＿" in text and "［链接］(http://evil.example)" in text
    assert "＜font color=red＞" in text and "<" not in text and "[" not in text.replace("**", "")


def test_links_keep_only_web_addresses() -> None:
    assert html_to_markdown('<a href="https://gov.cn/a b">报告</a>', WECOM) == "[报告](https://gov.cn/a%20b)"
    assert html_to_markdown('<a href="javascript:alert(1)">报告</a>', WECOM) == "[报告]"


def test_long_messages_are_split_within_each_limit() -> None:
    block = "法治政府建设" * 300  # 1800 characters, 5400 bytes
    text = "\n\n".join([block] * 6)
    for dialect in (WECOM, DINGTALK):
        pieces = split_markdown(text, dialect)
        assert all(dialect.measure(p) <= dialect.limit for p in pieces)
        assert "".join(pieces).replace("\n", "") == text.replace("\n", "")
    assert len(split_markdown("字" * 30000, WECOM)) == 5  # 90000 bytes on one line: cut at 20480 bytes


async def test_a_chat_gets_at_most_its_messages_a_minute() -> None:
    now = [0.0]
    waited: list[float] = []

    async def sleep(seconds: float) -> None:  # the clock moves on instead of the test waiting
        waited.append(seconds)
        now[0] += seconds

    pace = ChatPace(2, window=60.0, clock=lambda: now[0], sleep=sleep)
    await pace.turn("a")
    now[0] = 10.0
    await pace.turn("a")
    await pace.turn("b")  # another chat has its own budget
    assert waited == []
    await pace.turn("a")  # the third in a minute waits until the first is a minute old
    assert waited == [50.0] and now[0] == 60.0
