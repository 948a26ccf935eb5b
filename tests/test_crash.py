"""Killed at any moment (SIGKILL): a build leaves a complete index serving and the next build
succeeds; the bot's question log keeps every committed row."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.corpus import generate
from reportqa.answers.compose import answer_question
from reportqa.index import database as store
from reportqa.index.builder import build_index
from reportqa.retrieval.searcher import SearchIndex
from reportqa.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def start_build(reports: Path, index_dir: Path, settings: Settings) -> subprocess.Popen:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}, **settings.environment()}
    return subprocess.Popen(
        [sys.executable, "-m", "reportqa", "index", str(reports), "--index-dir", str(index_dir), "--json"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )


async def serves(index_dir: Path, settings: Settings) -> int:
    """The served index loads and answers; returns its number of passages."""
    index = await SearchIndex.load(index_dir, settings)
    try:
        answer = await answer_question(index, "执法培训")
        assert answer.results
        return index.postings.n_docs
    finally:
        await index.close()


async def test_a_build_killed_at_any_moment_leaves_an_index_serving(
    tmp_path: Path, settings: Settings, reports_copy: Path
) -> None:
    index_dir = settings.index_dir
    await build_index(reports_copy, index_dir, settings)
    first = store.current_generation(index_dir)
    first_passages = await serves(index_dir, settings)
    generate(reports_copy / "more", 600)  # ~50 new reports: a build of a few seconds

    # how long an undisturbed build takes, on a copy
    probe = start_build(reports_copy, tmp_path / "probe-index", settings)
    started = time.monotonic()
    assert probe.wait(timeout=600) == 0
    duration = time.monotonic() - started

    outcomes = []
    for fraction in (0.1, 0.3, 0.5, 0.7, 0.9, 1.05):
        process = start_build(reports_copy, index_dir, settings)
        time.sleep(duration * fraction)
        os.killpg(process.pid, signal.SIGKILL)  # the build and its worker processes
        process.wait()
        served = store.current_generation(index_dir)
        assert served is not None
        passages = await serves(index_dir, settings)
        assert served == first or passages > first_passages  # the old index, or the complete new one
        outcomes.append("old" if served == first else "new")
        if served != first:
            break  # the build had finished before the kill; later kills would only test "no change"

    summary = await build_index(reports_copy, index_dir, settings)
    assert await serves(index_dir, settings) == summary.passages > first_passages
    leftovers = [p.name for p in index_dir.iterdir() if p.name.startswith(("gen-", "CURRENT."))]
    assert len([n for n in leftovers if n.startswith("gen-")]) <= 2 and not [n for n in leftovers if ".tmp" in n]
    print(f"\nbuild {duration:.1f} s; killed at {len(outcomes)} moments → served {outcomes}; next build ok")


LOGGER = """
import asyncio, sys
from pathlib import Path
from reportqa.conversations.state import BotState

async def main():
    state = await BotState.open(Path(sys.argv[1]))
    for i in range(50):
        await state.log_question(chat_type="private", user_id=i, question=f"问题{i}", filters={}, results=1,
                                 latency_ms=1.0)
    print("logged", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


def test_the_question_log_survives_a_killed_bot(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    process = subprocess.Popen([sys.executable, "-c", LOGGER, str(db)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert process.stdout is not None and process.stdout.readline().strip() == "logged"
    process.send_signal(signal.SIGKILL)
    process.wait()
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT COUNT(*) FROM questions").fetchone()[0] == 50
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_half_written_generation_is_ignored_and_cleaned(tmp_path: Path, settings: Settings,
                                                         reports_copy: Path) -> None:
    """What a kill leaves behind, made by hand: a generation without its arrays and a stray pointer."""
    asyncio.run(build_index(reports_copy, settings.index_dir, settings))
    served = store.current_generation(settings.index_dir)
    broken = settings.index_dir / "gen-20990101T000000-dead00"
    broken.mkdir()
    (broken / store.DB_NAME).write_bytes(b"partial")
    (settings.index_dir / "CURRENT.abc123.tmp").write_text(broken.name)
    assert store.current_generation(settings.index_dir) == served
    (reports_copy / "new.txt").write_text("某某局\n2023年法治政府建设情况报告\n一、举措\n组织执法培训2次。\n", encoding="utf-8")
    asyncio.run(build_index(reports_copy, settings.index_dir, settings))
    assert not broken.exists() and not list(settings.index_dir.glob("CURRENT.*.tmp"))
