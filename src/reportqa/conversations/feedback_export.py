"""Votes from the bot as test cases: ``reportqa feedback --export FILE`` writes one ``score.py``
question line per vote, so what staff really asked grows the test set.

- 👍: the passages the page showed are the expected facts (source + a phrase of each).
- 👎 "wrong unit" / "wrong year": the source of the result the voter said it was about must not come
  back (``exclude_sources``; "all of them": every source shown). Until the voter has said which, the
  vote excludes nothing (the other results may be right) and needs facts like any other.
- 👎 "not relevant", "missing" or no reason: no facts yet (``expect`` empty, ``needs_facts``): a
  maintainer adds the passage that should have come. ``score.py`` reads every line as it is.

A question asked inside a chat's scope is written with the scope in front (大足区 执法培训), so the
line asks what the chat asked. Pure: rows in, dicts out.
"""

from __future__ import annotations

import datetime as dt

from reportqa.conversations.state import FeedbackRow

EXCLUDING_REASONS = frozenset({"unit", "year"})


def feedback_case(row: FeedbackRow) -> dict:
    question = f"{row.scope} {row.question}" if row.scope else row.question
    case: dict = {
        "id": f"fb-{row.sid}-{row.user_id}",
        "question": question,
        "expect": [],
        "exclude_sources": [],
        "expect_empty": False,
        "feedback": {
            "helpful": row.helpful,
            "reason": row.reason,
            "at": dt.datetime.fromtimestamp(row.at, dt.UTC).isoformat(timespec="seconds"),
            "filters": row.filters,
            "shown": [{"passage_id": p.passage_id, "source": p.source} for p in row.passages],
            "about": row.targets,
        },
    }
    if row.helpful:
        case["expect"] = [{"source": p.source, "contains": p.contains} for p in row.passages if p.contains]
    elif row.reason in EXCLUDING_REASONS and row.targets:
        targets = set(row.targets)
        case["exclude_sources"] = list(dict.fromkeys(p.source for p in row.passages if p.passage_id in targets))
    if not case["expect"]:
        case["needs_facts"] = True
    return case


def feedback_cases(rows: list[FeedbackRow], only: str | None = None) -> list[dict]:
    """One case per vote, oldest first; ``only`` "up" or "down" keeps one kind."""
    wanted = {None: (True, False), "up": (True,), "down": (False,)}[only]
    return [feedback_case(row) for row in rows if row.helpful in wanted]
