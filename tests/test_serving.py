"""The index a long-running process serves: a published build is picked up on the next question,
and a question already holding the old index finishes on it."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from reportqa.answers.compose import answer_question
from reportqa.index.builder import build_index
from reportqa.retrieval import serving
from reportqa.retrieval.serving import IndexHolder
from reportqa.settings import Settings

NEW_REPORT = "重庆市某某区林业局\n2024年法治政府建设情况报告\n一、主要工作\n（一）开展森林防火执法培训3期，参训95人次。\n"


async def test_a_new_build_is_served_on_the_next_question_and_the_old_one_retired(
    settings: Settings, reports_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serving, "RETIRE_AFTER_SECONDS", 0.2)
    settings = settings.model_copy(update={"reports_dir": reports_copy})
    await build_index(reports_copy, settings.index_dir, settings)
    holder = IndexHolder(settings)
    try:
        old = await holder.get()
        assert await holder.get() is old  # nothing changed: the same object, no reload
        assert not (await answer_question(old, "森林防火执法培训")).results

        (reports_copy / "new.txt").write_text(NEW_REPORT, encoding="utf-8")
        await build_index(reports_copy, settings.index_dir, settings)  # what cron or an upload does
        new = await holder.get()
        assert new is not old and new.generation != old.generation
        assert "林业局" in (await answer_question(new, "森林防火执法培训")).results[0].report.unit
        # a question that took the old index a moment ago still completes on it
        assert (await answer_question(old, "执法培训")).results
        await asyncio.sleep(0.5)  # the grace period is over: the old index is closed
        # closed: its database (aiosqlite) or its stored dictionary (sqlite3) says so
        with pytest.raises((ValueError, sqlite3.ProgrammingError), match=r"no active connection|[Cc]losed"):
            await answer_question(old, "执法培训")
        assert (await holder.get()) is new
    finally:
        await holder.close()
