"""The bot's state database as a part of the service, not a way for it to fail (issue 31).

- **Busy** (another process holds SQLite's write lock: a backup, an administrator's ``sqlite3``
  shell): each statement waits a moment, the whole operation is tried again until ``busy_seconds``
  have passed. A write that still cannot be made and must not be lost — a question's session and its
  log line — is kept in memory, in order, and written as soon as the database takes writes again
  (``keep``); while writes are being kept, other writes fail at once (``StateUnavailable``: the user
  is told to try again) instead of each waiting out the bound. A question is answered, and logged,
  whatever the database does.
- **Deleted, replaced, unreadable** (the file at the path is not the one this process opened, or
  SQLite finds it damaged): noticed — an ERROR log line and an incident ``/stats`` shows — the file
  found there set aside (renamed ``bot.sqlite3.<what>-<time>``, never deleted) and a fresh database
  made: from what this process still holds open when it can (SQLite's backup of the open connection,
  so a file deleted while the bot ran loses nothing), else empty. The bot keeps answering throughout.
- **One bot per database**: ``claim`` takes an exclusive lock beside the file; a second bot started
  on it is refused before it reads or writes anything (``AnotherBot``).

``BotState`` and ``SubscriptionStore`` run their statements through ``run`` / ``keep`` (the
``guarded`` and ``kept`` decorators), reading the current connection each time (``connection``
changes when a fresh database is made).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import fcntl
import functools
import html
import json
import logging
import os
import sqlite3
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, ParamSpec, TypeVar

import aiosqlite

from reportqa.index.database import _daemon, close_quietly

log = logging.getLogger(__name__)

STATEMENT_WAIT_S = 0.2  # SQLite's own wait for a lock, per statement; ``run`` retries up to its bound
RETRY_PAUSE_S = 0.05
WATCH_S = 1.0  # how often the file is checked (deleted? replaced?) and kept writes tried
MAX_KEPT = 10_000  # writes kept in memory during an outage; beyond, the oldest are dropped (logged)
MAX_INCIDENTS = 20
INCIDENTS_KEY = "state_incidents"

Fault = Literal["busy", "damaged", "moved", "unwritable"]
Schema = Callable[[aiosqlite.Connection], Awaitable[None]]
T = TypeVar("T")
P = ParamSpec("P")
_inside: contextvars.ContextVar[bool] = contextvars.ContextVar("state_db_inside", default=False)


class StateUnavailable(Exception):
    """The state database cannot do this now (busy past the bound, read-only, disk full)."""


class AnotherBot(Exception):
    """Another bot process holds this state database."""


@dataclass(frozen=True)
class Incident:
    """The state database was found deleted, replaced or unreadable, and what was done."""

    at: float
    what: str  # "deleted" | "replaced" | "unreadable"
    set_aside: str | None  # the name the file found at the path was given
    kept: bool  # the fresh database was made from what this process held (nothing lost)

    def describe(self, english: bool) -> str:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.at))
        if english:
            what = {"deleted": "was deleted", "replaced": "was replaced by another file",
                    "unreadable": "could not be read"}.get(self.what, self.what)
            done = "rebuilt from what the bot held, nothing lost" if self.kept else "started afresh"
            aside = f"; the file found is kept as {self.set_aside}" if self.set_aside else ""
            return f"{when} the state database {what}: {done}{aside}"
        what = {"deleted": "被删除", "replaced": "被另一个文件替换", "unreadable": "无法读取"}.get(self.what, self.what)
        done = "已按机器人持有的数据重建，未丢失" if self.kept else "已重新建立"
        aside = f"；原文件另存为 {self.set_aside}" if self.set_aside else ""
        return f"{when} 状态数据库{what}：{done}{aside}"


def fault_of(exc: BaseException) -> Fault | None:
    """What an exception from SQLite says about the database, or None for anything else (a bug)."""
    if isinstance(exc, sqlite3.ProgrammingError | ValueError) and "closed" in str(exc).lower():
        return "busy"  # the connection was replaced under this statement: try again on the new one
    if not isinstance(exc, sqlite3.Error):
        return None
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc).lower()
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "is locked" in text or "busy" in text:
        return "busy"
    if name == "SQLITE_READONLY_DBMOVED" or "moved" in text:
        return "moved"
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in text or "not a database" in text:
        return "damaged"
    # an I/O error may pass (a network disk): the file is kept, writes wait in memory
    if name.startswith(("SQLITE_READONLY", "SQLITE_FULL", "SQLITE_PERM", "SQLITE_CANTOPEN", "SQLITE_IOERR")) or any(
            word in text for word in ("readonly", "read-only", "full", "unable to open", "disk i/o")):
        return "unwritable"
    return None


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


async def _connect(path: Path) -> aiosqlite.Connection:
    # its thread never holds the process open: a path that skips ``close`` ends the bot, not hangs it
    db = await _daemon(aiosqlite.connect(path, timeout=STATEMENT_WAIT_S))
    try:
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")  # WAL: a committed row survives a process crash
    except BaseException:
        await close_quietly(db)  # its thread would keep the process alive
        raise
    return db


def _set_aside(path: Path, what: str) -> str | None:
    """Rename the file at ``path`` (and a -wal beside it: it may hold its last writes) out of the way; its
    new name. A -shm is only SQLite's index of the -wal, rebuilt from it: removed."""
    target = f"{path.name}.{what}-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:4]}"
    moved = None
    for suffix in ("", "-wal"):
        source = path.with_name(path.name + suffix)
        if suffix and os.path.isfile(source) and os.path.getsize(source) == 0:
            os.unlink(source)  # an empty log (this process's own, checkpointed before it closed)
        elif os.path.lexists(source):
            os.replace(source, path.with_name(target + suffix))
            moved = moved or target + suffix
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path.with_name(path.name + "-shm"))
    return moved


class StateDatabase:
    """One SQLite file: bounded retries when busy, kept writes, a fresh file when it is lost."""

    def __init__(self, path: Path | None, connection: aiosqlite.Connection, *, busy_seconds: float = 2.0,
                 recover: bool = False) -> None:
        self.path = path
        self.connection = connection
        self.busy_seconds = busy_seconds
        self.recover = recover and path is not None
        self.incidents: list[Incident] = []
        self.dropped = 0  # kept writes dropped because too many were waiting
        self._schemas: list[Schema] = []
        self._fresh_hooks: list[Callable[[], Awaitable[None]]] = []
        self._kept: deque[Callable[[], Awaitable[Any]]] = deque()
        self._write_lock = asyncio.Lock()
        self._recovery_lock = asyncio.Lock()
        self._identity = _identity(path) if path is not None else None
        self._watcher: asyncio.Task | None = None
        self._outage_logged = False

    @classmethod
    async def open(cls, path: Path, *, busy_seconds: float = 2.0, recover: bool = False,
                   schemas: Iterable[Schema] = ()) -> StateDatabase:
        """Open (or create) the database and apply ``schemas``. With ``recover`` (the bot), a file that
        is not a readable database is set aside and a fresh one made, and the file is watched."""
        path.parent.mkdir(parents=True, exist_ok=True)
        schemas = list(schemas)
        found: Incident | None = None
        try:
            connection = await cls._open_connection(path, schemas, busy_seconds)
        except sqlite3.Error as exc:
            if not recover or fault_of(exc) != "damaged":
                raise
            aside = _set_aside(path, "unreadable")
            found = Incident(time.time(), "unreadable", aside, False)
            log.error("the bot's state database %s could not be read (%s): set aside as %s, started afresh",
                      path, exc, aside)
            connection = await cls._open_connection(path, schemas, busy_seconds)
        database = cls(path, connection, busy_seconds=busy_seconds, recover=recover)
        database._schemas = schemas
        await database._load_incidents()
        if found is not None:
            await database._record(found)
        if database.recover:
            database._watcher = asyncio.get_running_loop().create_task(database._watch(), name="state-db-watch")
        return database

    @classmethod
    def over(cls, connection: aiosqlite.Connection) -> StateDatabase:
        """A connection opened elsewhere (tests, one-off tools): retries, no file watching."""
        return cls(None, connection)

    @staticmethod
    async def _open_connection(path: Path, schemas: list[Schema], busy_seconds: float) -> aiosqlite.Connection:
        deadline = time.monotonic() + busy_seconds
        while True:
            connection = await _connect(path)
            try:
                for schema in schemas:
                    await schema(connection)
                await connection.commit()
                return connection
            except sqlite3.Error as exc:
                await close_quietly(connection)
                if fault_of(exc) != "busy" or time.monotonic() >= deadline:
                    raise
            await asyncio.sleep(RETRY_PAUSE_S)

    async def add_schema(self, schema: Schema) -> None:
        """Tables another store keeps here: made now, and again in every fresh database."""
        self._schemas.append(schema)
        await self.run(lambda: self._apply(schema), write=True)

    async def _apply(self, schema: Schema) -> None:
        await schema(self.connection)
        await self.connection.commit()

    def on_fresh(self, hook: Callable[[], Awaitable[None]]) -> None:
        """Something to write into a fresh, empty database (what a store holds in memory)."""
        self._fresh_hooks.append(hook)

    # -- running statements ------------------------------------------------------------------------

    @property
    def kept(self) -> int:
        """Writes waiting in memory for the database to take them."""
        return len(self._kept)

    async def run(self, work: Callable[[], Awaitable[T]], *, write: bool) -> T:
        """``work`` (statements on ``self.connection``, and their commit), tried again while the
        database is busy, up to ``busy_seconds``; on a file found lost, once more on a fresh one.
        Writes run one at a time. Raises ``StateUnavailable``."""
        if _inside.get():  # a guarded method calling another: already inside the retry
            return await work()
        token = _inside.set(True)
        try:
            if not write:
                return await self._attempt(work)
            async with self._write_lock:
                if self._kept:
                    await self._flush_kept()
                    if self._kept:  # the database is known not to take writes now: do not wait again
                        raise StateUnavailable("the state database is not taking writes now")
                return await self._attempt(work)
        finally:
            _inside.reset(token)

    async def keep(self, work: Callable[[], Awaitable[Any]]) -> None:
        """A write that must not be lost: run now if the database takes it, else kept in memory, in
        order, and run as soon as it does (``work`` must not depend on being run now)."""
        if self._kept:
            self._keep(work)
            return
        try:
            await self.run(work, write=True)
        except StateUnavailable as exc:
            self._keep(work)
            if not self._outage_logged:
                self._outage_logged = True
                log.warning("the bot's state database does not take writes (%s): keeping them in memory until "
                            "it does", exc.__cause__ or exc)

    def _keep(self, work: Callable[[], Awaitable[Any]]) -> None:
        self._kept.append(work)
        if len(self._kept) > MAX_KEPT:
            self._kept.popleft()
            self.dropped += 1
            if self.dropped in (1, 100, 1000) or self.dropped % 10_000 == 0:
                log.error("the bot's state database has not taken writes for a long while: %d writes dropped",
                          self.dropped)

    async def _attempt(self, work: Callable[[], Awaitable[T]]) -> T:
        deadline = time.monotonic() + self.busy_seconds
        recovered = False
        while True:
            await self._check_file()
            try:
                return await work()
            except Exception as exc:
                fault = fault_of(exc)
                if fault is None:
                    await self._rollback()
                    raise
                await self._rollback()
                if fault == "busy" and time.monotonic() < deadline:
                    await asyncio.sleep(RETRY_PAUSE_S)
                    continue
                if fault in ("damaged", "moved") and self.recover and not recovered:
                    recovered = True
                    await self._replace("unreadable" if fault == "damaged" else "deleted",
                                        keep_data=fault == "moved")
                    continue
                raise StateUnavailable(f"the state database is {fault}: {exc}") from exc

    async def _rollback(self) -> None:
        with contextlib.suppress(Exception):
            if self.connection.in_transaction:
                await self.connection.rollback()

    async def _flush_kept(self) -> None:
        """Run the kept writes, oldest first, each with one quick try; stop at the first that fails
        (a file found damaged is made afresh once, as ``run`` does)."""
        written = 0
        recovered = False
        while self._kept:
            work = self._kept[0]
            try:
                await self._check_file()
                await work()
            except Exception as exc:
                await self._rollback()
                fault = fault_of(exc)
                if fault is None:  # a bug in one kept write must not hold back the others
                    log.exception("a kept write failed; dropped")
                    self._kept.popleft()
                    continue
                if fault in ("damaged", "moved") and self.recover and not recovered:
                    recovered = True
                    await self._replace("unreadable" if fault == "damaged" else "deleted", keep_data=fault == "moved")
                    continue
                return
            self._kept.popleft()
            written += 1
        if written or self._outage_logged:
            log.info("the bot's state database takes writes again: %d kept writes written", written)
        self._outage_logged = False

    # -- the file ------------------------------------------------------------------------------

    async def _check_file(self) -> None:
        """Whether the file at the path is still the one opened; if not, a fresh database."""
        if not self.recover or self.path is None:
            return
        now = _identity(self.path)
        if now == self._identity:
            return
        await self._replace("deleted" if now is None else "replaced", keep_data=True)

    async def _replace(self, what: str, keep_data: bool) -> None:
        """Set aside what is at the path and make a fresh database there: a copy of the open one when
        ``keep_data`` and SQLite can still read it, else empty."""
        assert self.path is not None
        async with self._recovery_lock:
            if what != "unreadable" and _identity(self.path) == self._identity:
                return  # another task has already done it
            path = self.path
            fresh = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.fresh")
            copied = False
            if keep_data:
                try:
                    async with aiosqlite.connect(fresh) as target:
                        await self.connection.backup(target)
                    copied = True
                except Exception as exc:
                    log.warning("could not copy the open state database (%s); starting afresh", exc)
                    for suffix in ("", "-wal", "-shm"):
                        with contextlib.suppress(OSError):
                            os.unlink(fresh.with_name(fresh.name + suffix))
            with contextlib.suppress(Exception):  # this process's -wal emptied into its own (lost) file
                await self.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            await close_quietly(self.connection)
            try:
                aside = _set_aside(path, what)  # a replacement, or what a deleted one left (-wal, -shm)
                if copied:
                    os.replace(fresh, path)
                self.connection = await self._open_connection(path, self._schemas, self.busy_seconds)
            except (OSError, sqlite3.Error) as exc:  # the folder itself is gone or unwritable: in memory
                log.error("cannot make a fresh state database at %s (%s): the bot keeps its state in memory "
                          "until it is restarted", path, exc)
                self.connection = await self._open_connection(Path(":memory:"), self._schemas, self.busy_seconds)
                aside = None
            self._identity = _identity(path)
            incident = Incident(time.time(), what, aside, copied)
            log.error("the bot's state database %s %s: %s", path,
                      {"deleted": "was deleted", "replaced": "was replaced by another file",
                       "unreadable": "could not be read"}.get(what, what),
                      "made again from what the bot held (nothing lost)" if copied
                      else "started afresh" + (f"; the file found is kept as {aside}" if aside else ""))
            if not copied:
                for hook in self._fresh_hooks:
                    with contextlib.suppress(Exception):
                        await hook()
            await self._record(incident)

    async def _record(self, incident: Incident) -> None:
        self.incidents = [*self.incidents, incident][-MAX_INCIDENTS:]
        rows = [[i.at, i.what, i.set_aside, i.kept] for i in self.incidents]
        with contextlib.suppress(Exception):
            await self.connection.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                                          (INCIDENTS_KEY, json.dumps(rows, ensure_ascii=False)))
            await self.connection.commit()

    async def _load_incidents(self) -> None:
        with contextlib.suppress(Exception):
            rows = await self.connection.execute_fetchall("SELECT value FROM meta WHERE key = ?", (INCIDENTS_KEY,))
            for row in rows:
                self.incidents = [Incident(float(a), str(w), s, bool(k)) for a, w, s, k in json.loads(row[0])]

    async def _watch(self) -> None:
        """Notice a lost file without waiting for the next write; write what was kept."""
        while True:
            await asyncio.sleep(WATCH_S)
            try:
                await self._maintain()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("checking the bot's state database failed")

    async def _maintain(self) -> None:
        """Check the file and write what was kept, as one writer (no guarded call may wait on this)."""
        async with self._write_lock:
            token = _inside.set(True)
            try:
                await self._check_file()
                if self._kept:
                    await self._flush_kept()
            finally:
                _inside.reset(token)

    async def close(self) -> None:
        """Write what was kept (within the bound), then close."""
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._watcher
            self._watcher = None
        deadline = time.monotonic() + self.busy_seconds
        while self._kept and time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                await self._maintain()
            if self._kept:
                await asyncio.sleep(RETRY_PAUSE_S * 4)
        if self._kept:
            log.error("%d writes to the bot's state database could not be made before it closed", len(self._kept))
        await self.connection.close()


def state_health_lines(database: StateDatabase, english: bool) -> list[str]:
    """What /stats says of the state database: incidents, and writes waiting in memory (none: nothing)."""
    lines = [f"⚠️ {html.escape(i.describe(english))}" for i in database.incidents[-5:]]
    if database.kept:
        lines.append(f"⏳ {database.kept} " + ("writes waiting for the state database (busy)" if english
                                               else "条记录等待写入状态数据库（数据库忙）"))
    if database.dropped:
        lines.append(f"❌ {database.dropped} " + ("writes dropped while it was busy" if english
                                                 else "条记录因数据库长时间忙而丢弃"))
    if not lines:
        return []
    return [f"\n<b>{'State database' if english else '状态数据库'}</b>", *lines]


def guarded(write: bool = False) -> Callable[[Callable[P, Awaitable[T]]], Callable[P, Awaitable[T]]]:
    """A store method run through its ``database`` (``StateDatabase.run``)."""

    def wrap(method: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
        @functools.wraps(method)
        async def run(*args: P.args, **kwargs: P.kwargs) -> T:
            database: StateDatabase = args[0].database  # type: ignore[attr-defined]
            return await database.run(lambda: method(*args, **kwargs), write=write)

        return run

    return wrap


def kept(method: Callable[P, Awaitable[None]]) -> Callable[P, Awaitable[None]]:
    """A store method that writes what must not be lost (``StateDatabase.keep``)."""

    @functools.wraps(method)
    async def run(*args: P.args, **kwargs: P.kwargs) -> None:
        database: StateDatabase = args[0].database  # type: ignore[attr-defined]
        await database.keep(lambda: method(*args, **kwargs))

    return run


class Claim:
    """This process's exclusive hold on a state database (``claim``); released by ``release`` or exit."""

    def __init__(self, handle: IO[str]) -> None:
        self._handle = handle

    def release(self) -> None:
        with contextlib.suppress(OSError):
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
        self._handle.close()


def claim(path: Path) -> Claim:
    """Hold ``path``'s lock file for as long as this bot runs; ``AnotherBot`` when a live process
    holds it (a lock held by a process that died is free: flock goes with the process)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".lock")
    handle = open(lock_path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        handle.seek(0)
        holder = handle.read().strip()[:40]
        handle.close()
        raise AnotherBot(f"another reportqa bot{f' (pid {holder})' if holder.isdigit() else ''} is running on "
                         f"the state database {path}; stop it first, or give this one its own "
                         f"REPORTQA_BOT_STATE_DB") from exc
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return Claim(handle)
