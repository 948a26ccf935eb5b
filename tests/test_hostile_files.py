"""Files built to exhaust a reader's memory or time, each beside a good report, indexed by
``reportqa index`` in a child process as cron runs it: the build exits 0 within seconds and a
bounded amount of memory, the good report indexes, and the hostile file is indexed (when it is a
real report in a hostile form) or named with its reason. The issue's reproductions and a second,
independent holdout set (tests/hostile_files.py) run the same way; the per-file parse budgets
(time, memory) are checked with a real parse that is over them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reportqa.settings import Settings
from tests.hostile_files import HOLDOUT_SET, ISSUE_SET

SECONDS = 60  # per build, including interpreter and worker start
PEAK_MB = 1500


def run_index(folder: Path, index_dir: Path, settings: Settings, **overrides: object) -> tuple[dict, float, float]:
    """``reportqa index --json`` in a child process: its summary, wall seconds and peak memory (MB,
    the larger of the build's own and its parse workers', which it reports: they are the fork
    server's children, not its)."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")},
           **settings.model_copy(update=overrides).environment()}
    probe = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:], capture_output=True); "
             "sys.stdout.buffer.write(done.stdout); sys.stderr.buffer.write(done.stderr); "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
             "sys.exit(done.returncode)")
    command = [sys.executable, "-c", probe, sys.executable, "-m", "reportqa", "index", str(folder),
               "--index-dir", str(index_dir), "--json"]
    started = time.monotonic()
    done = subprocess.run(command, env=env, capture_output=True, timeout=600, cwd=folder.parent)
    seconds = time.monotonic() - started
    stderr = done.stderr.decode(errors="replace")
    assert done.returncode == 0, stderr[-2000:]
    summary = json.loads(done.stdout)
    peak_mb = max(int(stderr.strip().splitlines()[-1]) / 1024, summary["parse_peak_mb"])
    return summary, seconds, peak_mb


def check_one(tmp_path: Path, settings: Settings, seeds_dir: Path, name: str, build) -> tuple[str, float, float]:
    folder = tmp_path / "reports"
    folder.mkdir()
    shutil.copy(sorted(seeds_dir.glob("*.txt"))[1], folder / "good.txt")
    expect = build(folder / name)
    summary, seconds, peak_mb = run_index(folder, tmp_path / "index", settings)
    reasons = {s["source"]: s["reason"] for s in summary["skipped"]}
    assert "good.txt" not in reasons
    if expect == "indexed":
        assert name not in reasons, reasons[name]
        assert summary["reports"] == 2
        outcome = "indexed"
    else:
        assert name in reasons, summary["skipped"]
        assert expect in reasons[name].lower(), reasons[name]
        assert summary["reports"] == 1
        outcome = reasons[name]
    assert seconds < SECONDS, (name, seconds)
    assert peak_mb < PEAK_MB, (name, peak_mb)
    print(f"\n| {name} | {(folder / name).stat().st_size / 1024:,.0f} KB | {outcome} | {seconds:.1f} s | "
          f"{peak_mb:.0f} MB |")
    return outcome, seconds, peak_mb


@pytest.mark.slow
@pytest.mark.parametrize("name", list(ISSUE_SET))
def test_the_issues_hostile_files(tmp_path: Path, settings: Settings, seeds_dir: Path, name: str) -> None:
    check_one(tmp_path, settings, seeds_dir, name, ISSUE_SET[name])


@pytest.mark.slow
@pytest.mark.parametrize("name", list(HOLDOUT_SET))
def test_the_holdout_hostile_files(tmp_path: Path, settings: Settings, seeds_dir: Path, name: str) -> None:
    check_one(tmp_path, settings, seeds_dir, name, HOLDOUT_SET[name])


def big_report(path: Path, megabytes: int) -> None:
    line = "（一）加强执法培训。组织行政执法人员参加法律知识培训5次，参训186人次，全面落实行政执法三项制度。\n"
    path.write_text("重庆市某某区司法局\n2022年法治政府建设情况报告\n一、主要举措\n"
                    + line * (megabytes * 1024 * 1024 // len(line.encode())), encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize(("budget", "reason"), [({"parse_memory_mb": 100}, "needed more than 100 mb of memory"),
                                                ({"parse_seconds_per_file": 1.0}, "took longer than 1 s")])
def test_a_file_over_its_parse_budget_is_named_and_the_rest_index(
    tmp_path: Path, settings: Settings, seeds_dir: Path, budget: dict, reason: str
) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    for seed in sorted(seeds_dir.glob("*.txt"))[:3]:
        shutil.copy(seed, folder / seed.name)
    big_report(folder / "big.txt", 8)  # a real parse of about 15 s and 250 MB
    summary, _, _ = run_index(folder, tmp_path / "index", settings, **budget)
    assert summary["reports"] == 3
    assert [(s["source"], reason in s["reason"].lower()) for s in summary["skipped"]] == [("big.txt", True)]
