"""Issue 31, item 5: an interrupt at any moment ends a command with the one line ``error: interrupted``
and exit 130 — during its imports (the first 0.3 s of ``reportqa index``, where a traceback came
before), while the fork server starts, while files are scanned, parsed and written — and the served
index stays sound. Ctrl-C reaches a whole process group, so the signal goes to the group here too."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.corpus import generate
from reportqa.faults import ExitCode
from reportqa.index import database as store
from reportqa.index.builder import build_index
from reportqa.index.checks import verified_load
from reportqa.interrupts import EXIT_INTERRUPTED
from reportqa.settings import Settings


def start(args: list[str], settings: Settings) -> subprocess.Popen[bytes]:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}, **settings.environment()}
    return subprocess.Popen([sys.executable, "-m", "reportqa", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)


def loaded(pid: int, library: str) -> bool:
    """Whether the process has mapped a library (its imports have got that far)."""
    try:
        return library in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def interrupt_after(process: subprocess.Popen[bytes], library: str, delay: float) -> tuple[int, bytes]:
    """SIGINT to the process group ``delay`` seconds after the process mapped ``library``."""
    deadline = time.monotonic() + 60
    while not loaded(process.pid, library) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    time.sleep(delay)
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=120)
    return process.returncode, err


def test_the_exit_code_is_the_faults_one() -> None:
    assert EXIT_INTERRUPTED == ExitCode.INTERRUPTED


def test_an_interrupt_before_the_command_line_is_imported_is_one_line() -> None:
    """The guard comes first: an interrupt during the heavy imports that follow it ends the process
    with the line, whatever it fell in."""
    code = ("from reportqa.interrupts import quiet_interrupts\nquiet_interrupts()\nimport os, signal\n"
            "os.kill(os.getpid(), signal.SIGINT)\nimport numpy, typer, rich\nimport time\ntime.sleep(30)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert (done.returncode, done.stderr) == (130, b"error: interrupted\n")


def test_an_interrupted_index_ends_with_one_line_at_any_moment(tmp_path: Path, reports_copy: Path,
                                                                 settings: Settings) -> None:
    generate(reports_copy / "more", 250)  # ~20 more reports
    index_dir = tmp_path / "index"
    settings = settings.model_copy(update={"index_dir": index_dir, "reports_dir": reports_copy})
    asyncio.run(build_index(reports_copy, index_dir, settings))
    served = store.current_generation(index_dir)
    outcomes = []
    # from the first imports (libsqlite3: the command line's own imports have begun) through the
    # fork server's start, the scan, the parse and the write of a full build
    for library, delay in (("libsqlite3", 0.0), ("numpy", 0.0), ("numpy", 0.15), ("numpy", 0.4), ("numpy", 0.9),
                           ("numpy", 1.8)):
        process = start(["index", str(reports_copy), "--full"], settings)
        code, err = interrupt_after(process, library, delay)
        if code == 0:  # the build ended before the signal: later moments test nothing new
            outcomes.append("done")
            break
        assert (code, err) == (130, b"error: interrupted\n"), (library, delay, err.decode()[-3000:])
        outcomes.append(f"{library}+{delay}")
        now = store.current_generation(index_dir)
        assert now == served  # the interrupted build published nothing half-made
        verified_load(now, deep=True)
    assert len(outcomes) >= 5, outcomes
    print(f"\ninterrupted index at {outcomes}: one line, exit 130, the served index sound each time")


def test_an_interrupted_question_ends_with_one_line(seed_index) -> None:
    settings, _ = seed_index
    process = start(["ask", "执法培训"], settings)
    code, err = interrupt_after(process, "libsqlite3", 0.0)
    assert (code, err) == (130, b"error: interrupted\n")


def test_bot_py_interrupted_while_it_loads_is_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}
    process = subprocess.Popen([sys.executable, str(Path(__file__).resolve().parents[1] / "bot.py")], cwd=tmp_path,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    code, err = interrupt_after(process, "numpy", 0.0)
    assert (code, err) == (130, b"error: interrupted\n")
