"""Run one function over many inputs in worker processes, each input within a time and memory budget.

A report file is data from anywhere; its parser is a large amount of C and Python that was never
written with hostile input in mind. So every file is parsed in a worker process that

- has an address-space limit (``RLIMIT_AS``: what it had once started, plus the budget), so a
  file that would need gigabytes gets ``MemoryError`` (the worker names it and exits) instead of
  taking the machine;
- gets one file at a time, with a wall-clock deadline: past it, the parent kills the worker;
- is replaced when it dies (killed by the kernel, a crash in C), and the file it held is named.

One file in flight per worker makes every failure attributable to exactly one file; nothing else is
lost or retried. Results come out in input order, with at most ``window`` held, so memory does not
grow with the corpus. Workers start from a fork server (clean, single-threaded), not by forking the
caller, which may be running threads (aiosqlite, asyncio's executor).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing import resource_tracker
from multiprocessing.connection import Connection, wait
from typing import Generic, TypeVar

Job = TypeVar("Job")
Result = TypeVar("Result")

_READY = "ready"
START_SECONDS = 120.0  # a worker's own start (imports, loading the dictionary), apart from any file


@dataclass(frozen=True)
class Budget:
    """What one input may take: wall-clock seconds, and memory beyond the worker's own."""

    seconds: float = 120.0
    memory_mb: int | None = 2048


def _limit_memory(memory_mb: int | None) -> None:
    if memory_mb is None:
        return
    try:
        import resource

        with open("/proc/self/statm", encoding="ascii") as handle:
            in_use = int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = in_use + memory_mb * 1024 * 1024
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError):  # not Linux: the time budget still holds
        pass


def _peak_kb() -> int:
    try:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    except ImportError:
        return 0


def _worker_main(conn: Connection, work: Callable, warm_up: Callable | None, memory_mb: int | None) -> None:
    """A worker: warm up, then read (index, job), send back (index, ok, result or reason, retiring,
    peak KB); ``retiring`` says it exits after this message (after a MemoryError) and takes no more
    jobs; peak KB is its largest resident size so far."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        if warm_up is not None:
            warm_up()
        _limit_memory(memory_mb)
        conn.send(_READY)
        while True:
            message = conn.recv()
            if message is None:
                return
            index, job = message
            try:
                outcome = (index, True, work(job), False, _peak_kb())
            except MemoryError:
                outcome = None
            except Exception as exc:  # the work should return its own failures; never lose the file
                outcome = (index, False, f"could not parse: {type(exc).__name__}: {exc}"[:200], False, _peak_kb())
            if outcome is not None:
                try:
                    conn.send(outcome)
                    continue
                except MemoryError:
                    pass
            # the heap may be in any state: a fresh worker takes the next file
            conn.send((index, False, f"needed more than {memory_mb} MB of memory; stopped", True, _peak_kb()))
            return
    except (EOFError, BrokenPipeError, KeyboardInterrupt):
        return


class _Worker:
    def __init__(self, context: multiprocessing.context.BaseContext, work: Callable,
                 warm_up: Callable | None, budget: Budget) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child, work, warm_up, budget.memory_mb),
                                       daemon=True)
        with _interrupts_held():
            self.process.start()
        child.close()
        self.ready = False
        self.job: int | None = None  # the input it holds
        self.deadline = time.monotonic() + max(START_SECONDS, budget.seconds)

    def give(self, index: int, job: object, seconds: float) -> None:
        self.conn.send((index, job))
        self.job, self.deadline = index, time.monotonic() + seconds

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            try:
                self.conn.send(None)
            except OSError:
                self.process.kill()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """SIGINT blocked in this thread while a worker starts, so that the fork server it may start (a
    new interpreter importing the parser for half a second) begins with it blocked too and never
    prints a KeyboardInterrupt traceback when Ctrl-C reaches the whole process group: it ignores the
    signal once it runs, workers ignore it, the parent alone handles it. A signal sent meanwhile to
    this process is delivered when the block ends. (multiprocessing starts its resource tracker the
    same way.)"""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    # the resource tracker first: starting it unblocks SIGINT in the calling thread afterwards
    resource_tracker.ensure_running()
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def death_reason(exitcode: int | None) -> str:
    """Why a worker stopped, in words for the skipped-files list."""
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = " (out of memory?)" if -exitcode == signal.SIGKILL else ""
        return f"the parser process was killed by {name}{hint}"
    return f"the parser process exited (code {exitcode})"


class _Stopped(Exception):
    """``stop`` was called: no more workers start."""


class BoundedRunner(Generic[Job, Result]):
    """``run`` maps ``work`` over jobs in worker processes within ``budget``; ``failed(job, reason)``
    stands in for the result of a job that ran out of time or memory or took its worker down."""

    def __init__(self, work: Callable[[Job], Result], failed: Callable[[Job, str], Result], budget: Budget,
                 workers: int, warm_up: Callable[[], object] | None = None, window: int = 16,
                 preload: Sequence[str] = (), parallel_from: int = 1) -> None:
        self.work, self.failed, self.budget, self.warm_up = work, failed, budget, warm_up
        self.workers, self.window = max(1, workers), max(1, window)
        self.parallel_from = parallel_from  # fewer jobs than this: one worker (starting more costs more)
        self.context = _context(preload)
        self.peak_kb = 0  # the largest resident size any worker reached (Linux: KB)
        self._stopped = threading.Event()
        self._pool: list[_Worker] = []
        self._running = False
        self._prestarting: threading.Thread | None = None

    def prestart(self) -> None:
        """Start one worker, from a thread, so that it warms up while the caller does other work (a
        build checks its previous index and scans the files before it knows what to parse). Starting
        the fork server blocks for 0.4 s: a tenth of a one-report update at 1M passages."""
        if not self._pool and self._prestarting is None and not self._stopped.is_set():
            self._prestarting = threading.Thread(target=self._prestart_worker, name="prestart", daemon=True)
            self._prestarting.start()

    def _prestart_worker(self) -> None:
        with contextlib.suppress(_Stopped, OSError, EOFError):  # else ``run`` starts its workers itself
            self._pool.append(self._start())

    def _prestarted(self) -> None:
        """Wait for a prestarted worker to be in the pool (or to have failed to start)."""
        if self._prestarting is not None:
            self._prestarting.join()
            self._prestarting = None

    def __enter__(self) -> BoundedRunner[Job, Result]:
        """``with runner:`` a worker warms up at once (``prestart``), and every worker is stopped at
        the end, however the block ends."""
        self.prestart()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """End ``run`` from another thread (a build that failed or was cancelled): its workers are
        killed, so a thread waiting in ``run`` returns at once instead of parsing to the end. Outside
        ``run`` (a prestarted worker nobody needed), the workers are also reaped."""
        self._stopped.set()
        if threading.current_thread() is not self._prestarting:
            self._prestarted()
        for worker in list(self._pool):
            with contextlib.suppress(OSError, ValueError):
                worker.process.kill()
        if not self._running:
            for worker in list(self._pool):
                worker.stop(kill=True)
            self._pool.clear()

    def run(self, jobs: Sequence[Job]) -> Iterator[Result]:
        """Each job's result (or ``failed``'s stand-in), in job order; ends early after ``stop``."""
        if not jobs:
            return
        try:
            yield from self._run(jobs)
        except _Stopped:
            return

    def _run(self, jobs: Sequence[Job]) -> Iterator[Result]:
        self._prestarted()
        results: dict[int, Result] = {}
        pool = self._pool
        next_job = next_out = 0
        self._running = True
        try:
            wanted = min(self.workers if len(jobs) >= self.parallel_from else 1, len(jobs))
            while len(pool) < wanted:
                pool.append(self._start())
            while next_out < len(jobs) and not self._stopped.is_set():
                if next_out in results:
                    yield results.pop(next_out)
                    next_out += 1
                    continue
                for worker in pool:
                    if (worker.ready and worker.job is None and next_job < len(jobs)
                            and next_job - next_out < self.window):
                        worker.give(next_job, jobs[next_job], self.budget.seconds)
                        next_job += 1
                self._collect(pool, jobs, results)
        finally:
            for worker in pool:
                worker.stop(kill=worker.job is not None or not worker.ready or self._stopped.is_set())
            pool.clear()
            self._running = False

    def _start(self) -> _Worker:
        if self._stopped.is_set():
            raise _Stopped
        return _Worker(self.context, self.work, self.warm_up, self.budget)

    def _collect(self, pool: list[_Worker], jobs: Sequence[Job], results: dict[int, Result]) -> None:
        """Wait until some worker answers, dies or runs out of time, and take what it gave."""
        busy = [w for w in pool if w.job is not None or not w.ready]
        if not busy or self._stopped.is_set():
            return
        timeout = max(0.0, min(w.deadline for w in busy) - time.monotonic())
        wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=timeout)
        for i, worker in enumerate(pool):
            if worker not in busy or self._stopped.is_set():
                continue
            replace = False
            if worker.conn.poll():
                try:
                    message = worker.conn.recv()
                except (EOFError, OSError):
                    message = None
                if message == _READY:
                    worker.ready = True
                    continue
                if message is not None:
                    index, ok, value, retiring, peak_kb = message
                    self.peak_kb = max(self.peak_kb, peak_kb)
                    results[index] = value if ok else self.failed(jobs[index], value)
                    worker.job = None
                    if retiring:  # it named its file and exits (MemoryError): a fresh one takes over
                        worker.stop(kill=True)
                        pool[i] = self._start()
                    continue
                replace = True
            if replace or not worker.process.is_alive():
                worker.process.join(timeout=5)
                reason = death_reason(worker.process.exitcode)
                if worker.job is None:  # died starting: nothing of ours lost, but do not loop for ever
                    raise RuntimeError(f"a parser process could not start: {reason}")
                results[worker.job] = self.failed(jobs[worker.job], reason)
                worker.job = None
                worker.stop(kill=True)
                pool[i] = self._start()
            elif time.monotonic() >= worker.deadline:
                if worker.job is None:
                    raise RuntimeError(f"a parser process did not start within {START_SECONDS:.0f} s")
                results[worker.job] = self.failed(
                    jobs[worker.job], f"took longer than {self.budget.seconds:g} s to read; stopped")
                worker.stop(kill=True)
                worker.job = None
                pool[i] = self._start()


def _context(preload: Sequence[str]) -> multiprocessing.context.BaseContext:
    """The fork server (modules in ``preload`` imported once, each worker forked from it), or spawn
    where there is none."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    if preload:
        context.set_forkserver_preload(list(preload))  # no effect once the server runs: harmless
    return context
