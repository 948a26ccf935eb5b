"""Every command exits, with one line and a distinct code, on the faults of its surroundings: a full
disk (a file-size limit stands in for it, in a real child process), a folder it cannot write, no
index; the served index is untouched by a build that failed."""

from __future__ import annotations

import errno
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from reportqa.errors import IndexDamaged, IndexMissing
from reportqa.faults import ExitCode, fault_of
from reportqa.index import database as store
from reportqa.index.checks import verified_load
from reportqa.settings import Settings


def reportqa(args: list[str], settings: Settings, *, file_limit: int | None = None,
             timeout: float = 120, extra_env: dict[str, str | None] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}, **settings.environment()}
    for name, value in (extra_env or {}).items():  # None takes a variable away
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value

    def limit() -> None:  # in the child: writing past the limit fails with EFBIG, as a full disk does
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

    return subprocess.run([sys.executable, "-m", "reportqa", *args], env=env, capture_output=True, text=True,
                          timeout=timeout, preexec_fn=limit if file_limit else None)


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr[-3000:]
    return lines[0]


@pytest.mark.slow
def test_a_full_disk_stops_the_build_with_one_line_and_the_served_index_stays(
    tmp_path: Path, reports_copy: Path, settings: Settings
) -> None:
    index_dir = tmp_path / "index"
    settings = settings.model_copy(update={"index_dir": index_dir, "reports_dir": reports_copy})
    assert reportqa(["index", str(reports_copy)], settings).returncode == 0
    served = store.current_generation(index_dir)
    (reports_copy / "new.txt").write_text("某某区林业局\n2024年法治政府建设情况报告\n一、主要工作\n开展执法培训3期。\n",
                                          encoding="utf-8")
    done = reportqa(["index", str(reports_copy)], settings, file_limit=64 * 1024)
    assert done.returncode == ExitCode.DISK_FULL, done.stderr[-3000:]
    assert "the served index is unchanged" in one_line_error(done)
    assert store.current_generation(index_dir) == served  # still served, still sound
    verified_load(served, deep=True, integrity=True)
    assert [p.name for p in index_dir.glob("gen-*")] == [served.name]  # the failed generation is gone
    asked = reportqa(["ask", "执法培训", "--json"], settings)
    assert asked.returncode == 0 and '"results": [{' in asked.stdout


def test_an_index_folder_that_cannot_be_made(tmp_path: Path, reports_copy: Path, settings: Settings) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = reportqa(["index", str(reports_copy), "--index-dir", str(blocker / "index")], settings)
    assert done.returncode == ExitCode.IO_ERROR
    assert "Not a directory" in one_line_error(done)


def test_no_index_and_a_damaged_one_have_their_own_codes(tmp_path: Path, settings: Settings) -> None:
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    (index_dir / store.CURRENT_NAME).write_text("gen-20200101T000000-abcdef\n")
    done = reportqa(["ask", "执法培训", "--index-dir", str(index_dir)], settings)
    assert done.returncode == ExitCode.INDEX_DAMAGED
    assert "missing or incomplete" in one_line_error(done)
    done = reportqa(["check", "--index-dir", str(tmp_path / "nothing-here")], settings)
    assert done.returncode == ExitCode.NO_INDEX
    one_line_error(done)


def test_faults_map_to_distinct_codes() -> None:
    cases = [
        (IndexMissing("no index"), ExitCode.NO_INDEX),
        (IndexDamaged("damaged"), ExitCode.INDEX_DAMAGED),
        (OSError(errno.ENOSPC, "No space left on device", "/x/terms.npz"), ExitCode.DISK_FULL),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), ExitCode.DISK_FULL),
        (sqlite3.OperationalError("database or disk is full"), ExitCode.DISK_FULL),
        (OSError(errno.EROFS, "Read-only file system", "/index"), ExitCode.NOT_WRITABLE),
        (PermissionError(errno.EACCES, "Permission denied", "/index"), ExitCode.NOT_WRITABLE),
        (sqlite3.OperationalError("attempt to write a readonly database"), ExitCode.NOT_WRITABLE),
        (sqlite3.DatabaseError("database disk image is malformed"), ExitCode.INDEX_DAMAGED),
        (OSError(errno.EIO, "Input/output error"), ExitCode.IO_ERROR),
        (KeyboardInterrupt(), ExitCode.INTERRUPTED),
    ]
    for exc, code in cases:
        fault = fault_of(exc)
        assert fault is not None and fault.code == code, (exc, fault)
        assert "\n" not in fault.message
    assert fault_of(ValueError("a bug")) is None  # a bug is shown as one
    assert len({code.value for code in ExitCode}) == len(ExitCode)


def test_a_build_that_fails_midway_leaves_no_worker_or_connection_behind(
    tmp_path: Path, reports_copy: Path, settings: Settings
) -> None:
    """The build fails after its parse workers started (the index folder is taken away under it):
    the command still exits promptly with its one line."""
    index_dir = tmp_path / "index"
    settings = settings.model_copy(update={"index_dir": index_dir})
    for i in range(40):  # enough files for several workers
        shutil.copy(next(reports_copy.glob("001_*.txt")), reports_copy / f"copy-{i}.txt")
        with (reports_copy / f"copy-{i}.txt").open("a", encoding="utf-8") as handle:
            handle.write(f"\n（{i}）第{i}项工作。\n")
    done = reportqa(["index", str(reports_copy)], settings, file_limit=120 * 1024, timeout=60)
    # SQLite reports a write past the limit as an I/O error, a really full disk as "full" (5)
    assert done.returncode in (ExitCode.DISK_FULL, ExitCode.IO_ERROR), done.stderr[-3000:]
    one_line_error(done)
    assert store.current_generation(index_dir) is None and not list(index_dir.glob("gen-*"))


@pytest.mark.parametrize("damage", ["truncate terms", "truncate vocab", "garbage database"])
def test_ask_on_a_damaged_index_exits_at_once(tmp_path: Path, reports_copy: Path, settings: Settings,
                                              damage: str) -> None:
    """In a real process (an unclosed connection's thread kept it alive before): one line, code 4."""
    index_dir = tmp_path / "index"
    settings = settings.model_copy(update={"index_dir": index_dir, "reports_dir": reports_copy})
    assert reportqa(["index", str(reports_copy)], settings).returncode == 0
    generation = store.current_generation(index_dir)
    name = {"truncate terms": store.TERMS_NAME, "truncate vocab": store.VOCAB_NAME,
            "garbage database": store.DB_NAME}[damage]
    path = generation / name
    size = path.stat().st_size
    path.write_bytes(b"\x00garbage" * (size // 8) if damage == "garbage database" else path.read_bytes()[: size // 3])
    done = reportqa(["ask", "执法培训"], settings, timeout=60)
    assert done.returncode == ExitCode.INDEX_DAMAGED
    assert "damaged" in one_line_error(done)


def test_a_bug_with_an_index_open_still_ends_the_process(tmp_path: Path, seed_index) -> None:
    """An exception that skips ``close()`` must not leave the interpreter waiting on SQLite's thread."""
    _, index_dir = seed_index
    code = ("import asyncio\nfrom pathlib import Path\nfrom reportqa.retrieval.searcher import SearchIndex\n"
            "from reportqa.settings import Settings\n"
            "async def main():\n"
            f"    await SearchIndex.load(Path({str(index_dir)!r}), Settings(_env_file=None))\n"
            "    raise NameError('a bug after opening')\n"
            "asyncio.run(main())\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "NameError" in done.stderr
