"""Half-typed inline queries settle to what the user has finished (typed_query.py), and pure pieces
of issue 13: scope reading and application, callback data, the feedback export."""

from __future__ import annotations

import pytest

from reportqa.answers.reading import parse
from reportqa.answers.scope import Scope, ScopeProblem, apply_scope, read_scope
from reportqa.channels.telegram.keyboards import parse_callback
from reportqa.conversations.feedback_export import feedback_cases
from reportqa.conversations.state import FeedbackRow, ShownPassage
from reportqa.conversations.typed_query import Completer, settle_typed

WORDS = {"执法培": ["执法", "培"], "执法培训": ["执法", "培训", "执法培训"], "有几个镇": ["有", "几个", "镇"],
         "法律顾": ["法律", "顾"], "执法的": ["执法", "的"], "执法培训 年": ["执法", "培训", "年"]}
COMPLETER = Completer.build([("培训", 40), ("培养", 5), ("顾问", 30), ("镇", 50), ("镇村", 20), ("执法", 90)],
                            ["legal", "adviser", "advisers", "enforcement", "training"])


def settle(text: str) -> str:
    return settle_typed(text, COMPLETER, [2021, 2023], lambda t: WORDS.get(t, list(t)), frozenset({"的"}))


@pytest.mark.parametrize(("typed", "settled"), [
    ("执法培", "执法培训"),  # a dangling character: the index's commonest word it starts
    ("法律顾", "法律顾问"),
    ("执法培训", "执法培训"),  # finished: unchanged
    ("执法培训 202", "执法培训"),  # an unfinished year is not searched (20 would match 20余个)
    ("执法培训 20", "执法培训"),
    ("执法培训 2", "执法培训"),
    ("执法培训 2021", "执法培训 2021"),
    ("执法培训 5", "执法培训 5"),  # not the start of any indexed year: a number, kept
    ("有几个镇", "有几个镇"),  # 镇 is a word of its own, commoner alone than 镇村
    ("执法的", "执法的"),  # a stopword is left for the parser
    ("legal advis", "legal adviser"),
    ("enforcement training", "enforcement training"),
    ("2", "2"),  # nothing before it: the parser says there is nothing to search
])
def test_settle_typed(typed: str, settled: str) -> None:
    assert settle(typed) == settled


def test_a_character_the_index_never_starts_a_word_with_is_dropped() -> None:
    assert settle("执法骉") == "执法"


# -- scopes ---------------------------------------------------------------------------------


async def test_scope_reading_and_applying(searcher) -> None:
    scope = read_scope(parse(searcher, "大足区"))
    assert isinstance(scope, Scope) and scope.label == "大足区" and scope.report_ids
    years = read_scope(parse(searcher, "应急管理局 2021-2023"))
    assert isinstance(years, Scope) and years.label == "应急管理局 · 2021–2023" and years.years == (2021, 2022, 2023)
    for text in ("普法", "绍兴市", "", "今天天气"):
        assert isinstance(read_scope(parse(searcher, text)), ScopeProblem), text

    inside = apply_scope(parse(searcher, "哪些单位开展了执法培训"), scope)
    assert inside.applied and not inside.overridden and inside.question.report_ids == set(scope.report_ids)
    own = apply_scope(parse(searcher, "长寿区 法律顾问"), scope)
    assert not own.applied and own.overridden and own.question.report_ids != set(scope.report_ids)
    partly = apply_scope(parse(searcher, "2021年执法培训"), years)
    assert partly.applied and partly.overridden and partly.question.years == [2021]
    overview = apply_scope(parse(searcher, "做了什么"), scope)
    assert overview.question.intent == "overview"
    assert apply_scope(parse(searcher, "执法培训"), None).applied is False


# -- callback data --------------------------------------------------------------------------


def test_callback_data() -> None:
    assert parse_callback("fb:abcdEF_-:3:1").helpful is True
    assert parse_callback("fb:abcdEF_-:0:0").helpful is False
    assert parse_callback("fr:abcdEF_-:2").number == 2
    assert parse_callback("sf:1764633600123456").number == 1764633600123456  # ids after a damaged index
    for bad in ("fb:abcd:0:2", "fr:abcd:9", "sf:", "sf:-1", "fb:ab:0:1", "fr:abcdEF:1:1"):
        assert parse_callback(bad) is None, bad


# -- the export -----------------------------------------------------------------------------


def test_feedback_export_cases() -> None:
    shown = [ShownPassage(1, "a.txt", "开展执法培训3期"), ShownPassage(2, "b.txt", "聘请法律顾问")]
    rows = [FeedbackRow("s1", 1, True, None, 0.0, "执法培训", "大足区", {"years": []}, shown),
            FeedbackRow("s2", 1, False, "year", 1.0, "2021年普法", None, {}, shown, targets=[1, 2]),
            FeedbackRow("s3", 2, False, "irrelevant", 2.0, "窗口", None, {}, shown[:1])]
    up, year, irrelevant = feedback_cases(rows)
    assert up["question"] == "大足区 执法培训"  # asked inside the chat's scope
    assert up["expect"] == [{"source": "a.txt", "contains": "开展执法培训3期"},
                            {"source": "b.txt", "contains": "聘请法律顾问"}]
    assert "needs_facts" not in up
    assert year["exclude_sources"] == ["a.txt", "b.txt"] and year["needs_facts"]
    assert irrelevant["exclude_sources"] == [] and irrelevant["expect"] == [] and irrelevant["needs_facts"]
    assert [c["id"] for c in feedback_cases(rows, "down")] == ["fb-s2-1", "fb-s3-2"]
    # issue 32: a wrong unit about the second result excludes its report only; one not yet placed, none
    [second] = feedback_cases([FeedbackRow("s4", 1, False, "unit", 3.0, "执法培训", None, {}, shown, targets=[2])])
    assert second["exclude_sources"] == ["b.txt"] and second["feedback"]["about"] == [2]
    [unsaid] = feedback_cases([FeedbackRow("s5", 1, False, "unit", 4.0, "执法培训", None, {}, shown)])
    assert unsaid["exclude_sources"] == [] and unsaid["needs_facts"]
