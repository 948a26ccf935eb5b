"""The bounded runner: a job past its time, one that takes its worker down, one that needs more
memory than its budget — each is named, a fresh worker takes over, and every other job's result
comes out, in order. (The jobs are this module's functions: workers import it by name.)"""

from __future__ import annotations

import os
import signal
import time

import pytest

from reportqa.ingest.sandbox import BoundedRunner, Budget, death_reason


def job(kind: str) -> str:
    if kind == "sleep":
        time.sleep(60)
    elif kind == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif kind == "memory":
        hog = [bytearray(64 * 1024 * 1024) for _ in range(64)]  # 4 GB, far over the budget
        return str(len(hog))
    elif kind == "raise":
        raise ValueError("a bug in the work")
    return f"done {kind}"


def failed(kind: str, reason: str) -> str:
    return f"failed {kind}: {reason}"


def run(kinds: list[str], workers: int, seconds: float = 3.0) -> list[str]:
    runner = BoundedRunner(job, failed, Budget(seconds=seconds, memory_mb=256), workers, window=4)
    return list(runner.run(kinds))


@pytest.mark.parametrize("workers", [1, 2])
def test_every_failure_is_named_and_every_other_job_done_in_order(workers: int) -> None:
    kinds = ["a", "sleep", "b", "kill", "c", "memory", "d", "raise", "e"]
    started = time.monotonic()
    results = run(kinds, workers)
    assert len(results) == len(kinds)
    assert [r for r in results if r.startswith("done")] == ["done a", "done b", "done c", "done d", "done e"]
    assert results[1] == "failed sleep: took longer than 3 s to read; stopped"
    assert results[3].startswith("failed kill: the parser process was killed by SIGKILL")
    assert results[5] == "failed memory: needed more than 256 MB of memory; stopped"
    assert results[7] == "failed raise: could not parse: ValueError: a bug in the work"
    assert time.monotonic() - started < 40  # the sleeping job was stopped, not waited for


def test_no_jobs_start_no_workers() -> None:
    assert run([], 2) == []


def test_a_generator_closed_early_leaves_no_worker_behind() -> None:
    import multiprocessing

    runner = BoundedRunner(job, failed, Budget(seconds=30, memory_mb=None), 2)
    stream = runner.run(["a", "b", "sleep", "c"])
    assert next(stream) == "done a"
    stream.close()
    assert [p for p in multiprocessing.active_children() if p.name.startswith("Process")] == []


def test_death_reasons_say_what_happened() -> None:
    assert death_reason(-9) == "the parser process was killed by SIGKILL (out of memory?)"
    assert death_reason(-11) == "the parser process was killed by SIGSEGV"
    assert death_reason(3) == "the parser process exited (code 3)"
