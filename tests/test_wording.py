"""Wording does not change the answer (issue 30): chat wrappers × topics × units and places × years,
generated, each answered as its bare question is; and the rules of wording.py on their own."""

from __future__ import annotations

import itertools

import pytest

from reportqa.answers.compose import answer_question
from reportqa.answers.wording import (
    Vocabulary,
    is_function_word,
    judge_words,
    load_chat_phrasing,
    strip_chat,
)
from reportqa.domain.text import get_tokenizer, normalise
from reportqa.settings import BUNDLED_CONFIG_DIR
from tests.conftest import TODAY

PHRASING = load_chat_phrasing(BUNDLED_CONFIG_DIR)

# how staff wrap a question: {} is the bare question
WRAPPERS = (
    "帮我查一下{}", "请问{}？？", "麻烦问一下，{}", "我想了解一下{}，谢谢", "大家看看 {}", "你好，{}啊",
    "{}呢", "查查{}吧", "老师好，想问下{}", "{}，多谢！", "请帮我看看{}", "hi {} thanks",
)
TOPICS = ("执法培训", "法律顾问", "普法宣传", "双随机一公开", "行政复议")
WHO = ("", "玉龙镇", "大足区", "重庆市", "应急管理局", "西南地区")
WHEN = ("", "2021年", "2023年")


def bare_questions() -> list[str]:
    """Topics × units or places × years, as a question without chat phrasing."""
    return [f"{when}{who}{'的' if who else ''}{topic}" for topic, who, when in itertools.product(TOPICS, WHO, WHEN)]


async def test_generated_wrappers_answer_as_the_bare_question(searcher) -> None:
    """90 bare questions, each in 12 wrappers (1,080 questions): the same passages, or the same "nothing"."""
    mismatches = []
    answered = 0
    for bare in bare_questions():
        plain = await answer_question(searcher, bare, today=TODAY)
        expected = [r.passage_id for r in plain.results]
        answered += bool(expected)
        for wrapper in WRAPPERS:
            asked = wrapper.format(bare)
            wrapped = await answer_question(searcher, asked, today=TODAY)
            if [r.passage_id for r in wrapped.results] != expected or (not expected and (
                    wrapped.notice or "") != (plain.notice or "")):
                mismatches.append((asked, bare))
    assert answered >= 30  # the generated questions are not all about nothing
    assert not mismatches, mismatches[:10]


@pytest.mark.parametrize(("typed", "kept", "taken"), [
    ("帮我查一下玉龙镇的法律顾问是谁", "玉龙镇的法律顾问是谁", ["帮我查一下"]),
    ("双随机一公开做得怎么样", "双随机一公开", ["做得怎么样"]),
    ("请示报告制度", "请示报告制度", []),  # 请 is no opener of 请示
    ("执法培训 thanks", "执法培训", ["thanks"]),
    ("谢谢", "谢谢", []),  # a closer with nothing before it is left: the question is that
])
def test_chat_phrases_go_only_as_whole_words(typed: str, kept: str, taken: list[str]) -> None:
    tokenizer = get_tokenizer(BUNDLED_CONFIG_DIR)
    text, removed = strip_chat(normalise(typed), PHRASING, tokenizer.boundaries)
    assert " ".join(text.split()) == kept and removed == taken


def test_function_words_are_read_from_jiebas_tags() -> None:
    assert all(is_function_word(w) for w in ("已经", "这个", "怎么", "不断", "我们"))
    assert not any(is_function_word(w) for w in ("执法", "培训", "法律顾问", "托育"))


def test_a_word_no_report_holds_is_absent_wording_or_a_slip() -> None:
    vocabulary = Vocabulary(["执法", "培训", "法律", "顾问", "服务", "托育服务中心"], lambda w: 10)
    judged = judge_words(["燃气", "安全"], vocabulary, ["燃气", "安全"])
    assert judged.absent == ["燃气", "安全"]
    assert judge_words(["托育"], vocabulary, ["托育"]).absent == []  # inside an index word
    assert judge_words(["搞", "分为"], vocabulary, ["搞", "分为"]).absent == []  # wording: a character, a common verb
    assert judge_words(["文号"], vocabulary, ["文号"], PHRASING).absent == []  # the form of an answer
    slip = judge_words(["执法", "陪训"], vocabulary, ["执法", "陪训"])
    assert slip.slips == [("陪训", "培训")] and slip.absent == []
    assert judge_words(["款项"], Vocabulary(["薪项"], lambda w: 1), ["款项"]).slips == []  # 款 is never read xin1
