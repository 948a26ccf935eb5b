"""The index on disk: SQLite (through aiosqlite) for reports and passages, numpy arrays for terms.

An index folder holds generations; ``CURRENT`` names the one being served::

    index/
      CURRENT                     the name of the served generation (replaced atomically)
      gen-20261122T043000-1a2b/   one complete build
        index.sqlite3             reports, passages, skipped files, duplicates, every file's size/mtime/hash
        terms.npz                 term-major frequencies and BM25 weights, each term's block bounds,
                                  passage ids/reports/kinds
        vocab.json                term strings in term-id order
        MANIFEST.json             sizes, checksums, build id and shape, checked before serving (index_check.py)
      .build.lock                 held while a build runs

A build writes a new generation beside the served one and switches ``CURRENT`` only when it is
complete, so a reader never sees half an index and a killed build leaves the old one serving.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import aiosqlite

from reportqa.domain.sqlite_uris import read_only_uri

DB_NAME = "index.sqlite3"
TERMS_NAME = "terms.npz"
VOCAB_NAME = "vocab.json"
CURRENT_NAME = "CURRENT"
LOCK_NAME = ".build.lock"

SCHEMA = """
CREATE TABLE IF NOT EXISTS reports (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL UNIQUE,
    sha256 TEXT NOT NULL,
    parse_key TEXT NOT NULL,
    title TEXT,
    unit TEXT,
    year INTEGER,
    date TEXT,
    region TEXT,
    addressee TEXT,
    cc TEXT,
    encoding TEXT,
    warnings TEXT NOT NULL DEFAULT '[]',
    removed TEXT NOT NULL DEFAULT '{}',
    passage_count INTEGER NOT NULL,
    indexed_at TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '{}'
);
-- each report's distinct clause keys (uint64), for finding boilerplate; not read to answer, and kept
-- out of the reports table, whose rows every load reads (at 100k passages they were 21 MB of its 25)
CREATE TABLE IF NOT EXISTS clauses (report_id INTEGER PRIMARY KEY REFERENCES reports(id), keys BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS passages (
    id INTEGER PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES reports(id),
    ordinal INTEGER NOT NULL,
    section TEXT NOT NULL,
    text TEXT NOT NULL,
    norm_text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS passages_by_report ON passages(report_id, ordinal);
CREATE TABLE IF NOT EXISTS skipped (source TEXT PRIMARY KEY, reason TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS duplicates (source TEXT PRIMARY KEY, same_as TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- in an overlay (overlay.py): the base's reports it replaced or removed
CREATE TABLE IF NOT EXISTS dead (id INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS files (
    source TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL
);
"""

REPORT_COLUMNS = (
    "id, source, sha256, parse_key, title, unit, year, date, region, addressee, cc, encoding, warnings, "
    "removed, passage_count, indexed_at, details"
)


@dataclass(frozen=True)
class ReportRow:
    id: int
    source: str
    sha256: str
    parse_key: str
    title: str | None
    unit: str | None
    year: int | None
    date: str | None
    region: str | None
    addressee: str | None
    cc: str | None
    encoding: str | None
    warnings: list[str]
    removed: dict[str, int]
    passage_count: int
    indexed_at: str
    # what else metadata reading found that answering needs: unit_written, unit_kind, place_code,
    # locality, national, place_exact, date_kind (see ReportMeta)
    details: dict = field(default_factory=dict)

    _JSON = (12, 13, 16)  # warnings, removed, details

    def to_row(self) -> tuple:
        """The values of ``REPORT_COLUMNS``, lists and dicts as JSON."""
        values = [getattr(self, f) for f in self.__dataclass_fields__]
        for i in self._JSON:
            values[i] = json.dumps(values[i], ensure_ascii=False)
        return tuple(values)

    @classmethod
    def from_row(cls, row: tuple) -> ReportRow:
        return cls.from_rows([row])[0]

    @classmethod
    def from_rows(cls, rows: list[tuple]) -> list[ReportRow]:
        """Rows as read, each JSON column of all of them decoded as one array (83,000 small decodes
        were a second of every update of a 1M-passage index)."""
        if not rows:
            return []
        columns = [json.loads("[" + ",".join(row[i] for row in rows) + "]") for i in cls._JSON]
        out = []
        for n, row in enumerate(rows):
            values = list(row)
            for i, column in zip(cls._JSON, columns, strict=True):
                values[i] = column[n]
            out.append(cls(*values))
        return out


@dataclass(frozen=True)
class PassageRow:
    id: int
    report_id: int
    ordinal: int
    section: str
    text: str
    norm_text: str


# ---------------------------------------------------------------------------------------------
# generations


_GENERATION_NAME = re.compile(r"gen-[0-9A-Za-z-]{1,64}")


def read_pointer(index_dir: Path) -> tuple[Path | None, str | None]:
    """The generation ``CURRENT`` names, if it is there; else None and what is wrong (None too when
    the folder simply has no index yet). A pointer that is a folder, not text, or names something
    that is not a generation of this folder is a problem, never followed."""
    pointer = index_dir / CURRENT_NAME
    try:
        data = pointer.read_bytes()
    except FileNotFoundError:
        return None, None
    except IsADirectoryError:
        return None, f"{pointer} is a folder, not the name of a generation"
    except OSError as exc:
        return None, f"{pointer} cannot be read: {exc.strerror or exc}"
    try:
        name = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        name = ""
    if not _GENERATION_NAME.fullmatch(name):
        return None, f"{pointer} does not name a generation (damaged?)"
    generation = index_dir / name
    if not ((generation / DB_NAME).is_file() and (generation / TERMS_NAME).is_file()):
        return None, f"{pointer} names {name}, which is missing or incomplete"
    return generation, None


def current_generation(index_dir: Path) -> Path | None:
    """The generation being served, or None when the folder holds no complete index."""
    return read_pointer(index_dir)[0]


def pointer_problem(index_dir: Path) -> str | None:
    """What is wrong with ``CURRENT``, if anything (see ``read_pointer``)."""
    return read_pointer(index_dir)[1]


def new_generation(index_dir: Path) -> Path:
    index_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    generation = index_dir / f"gen-{stamp}-{uuid.uuid4().hex[:6]}"
    generation.mkdir()
    return generation


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def publish(index_dir: Path, generation: Path) -> None:
    """Make ``generation`` the served one, atomically. The previous one stays on disk (a reader
    that loaded it a moment ago keeps working); the next build removes it."""
    for path in generation.rglob("*"):  # an overlaid generation has its overlay in a folder
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
        else:
            _fsync_dir(path)
    _fsync_dir(generation)
    pointer = index_dir / CURRENT_NAME
    if pointer.is_dir() and not pointer.is_symlink():  # a damaged pointer: set aside, not deleted
        os.replace(pointer, index_dir / f".damaged-{CURRENT_NAME}-{uuid.uuid4().hex[:6]}")
    tmp = index_dir / f"{CURRENT_NAME}.{uuid.uuid4().hex[:6]}.tmp"
    tmp.write_text(generation.name + "\n", encoding="utf-8")
    with tmp.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, index_dir / CURRENT_NAME)
    _fsync_dir(index_dir)


def stale_paths(index_dir: Path, keep: Iterable[str]) -> list[Path]:
    """Generation folders not in ``keep`` and pointer files left by killed builds."""
    keep = set(keep)
    stale = [path for path in index_dir.glob("gen-*") if path.is_dir() and path.name not in keep]
    return stale + list(index_dir.glob(f"{CURRENT_NAME}.*.tmp"))


def remove_paths(paths: Iterable[Path]) -> None:
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def remove_stale(index_dir: Path, keep: Iterable[str]) -> None:
    """Delete generation folders not in ``keep`` (and leftovers of killed builds)."""
    remove_paths(stale_paths(index_dir, keep))


def build_lock(index_dir: Path) -> contextlib.AbstractContextManager[None]:
    """One build at a time per index folder (a bot rebuild and a cron job may meet)."""
    return folder_lock(index_dir, LOCK_NAME)


@contextlib.contextmanager
def folder_lock(folder: Path, name: str) -> Iterator[None]:
    """An exclusive lock on ``folder/name`` (flock: released when the process dies) for the block."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / name).open("a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


# ---------------------------------------------------------------------------------------------
# SQLite


# An overlaid generation (``overlay.py``): its base's database (a hard link, never written) with the
# overlay's attached, and views named as the tables that put the two together, so that every query
# here reads the generation as one. Base reports the overlay replaced or removed are in its ``dead``.
OVERLAY_VIEWS = (
    "CREATE TEMP VIEW reports AS SELECT * FROM main.reports WHERE id NOT IN (SELECT id FROM overlay.dead) "
    "UNION ALL SELECT * FROM overlay.reports",
    "CREATE TEMP VIEW passages AS SELECT * FROM main.passages WHERE report_id NOT IN (SELECT id FROM overlay.dead) "
    "UNION ALL SELECT * FROM overlay.passages",
    "CREATE TEMP VIEW clauses AS SELECT * FROM main.clauses WHERE report_id NOT IN (SELECT id FROM overlay.dead) "
    "UNION ALL SELECT * FROM overlay.clauses",
    # what the last build saw of the folder is the overlay's alone
    "CREATE TEMP VIEW files AS SELECT * FROM overlay.files",
    "CREATE TEMP VIEW skipped AS SELECT * FROM overlay.skipped",
    "CREATE TEMP VIEW duplicates AS SELECT * FROM overlay.duplicates",
    "CREATE TEMP VIEW info AS SELECT * FROM overlay.info",
)
OVERLAY_DB = Path("overlay") / DB_NAME


async def connect(db_path: Path, *, readonly: bool = False) -> aiosqlite.Connection:
    """A connection to an index database. Read-only connections open a published generation as
    immutable (it never changes once published): no lock or ``-shm`` file is needed, so an index on
    a read-only mount is served. An overlaid generation's database is read with its overlay's, as one
    (``OVERLAY_VIEWS``)."""
    if readonly:
        db = await _daemon(aiosqlite.connect(read_only_uri(db_path), uri=True))
        overlay = db_path.parent / OVERLAY_DB
        if db_path.name == DB_NAME and overlay.is_file():
            try:
                await db.execute("ATTACH DATABASE ? AS overlay", (read_only_uri(overlay),))
                for view in OVERLAY_VIEWS:
                    await db.execute(view)
            except BaseException:
                await close_quietly(db)
                raise
    else:
        db = await _daemon(aiosqlite.connect(db_path))
        try:
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute("PRAGMA synchronous=NORMAL")
        except BaseException:
            await close_quietly(db)
            raise
    return db


def _daemon(connection: aiosqlite.Connection) -> aiosqlite.Connection:
    """An index connection whose thread never holds the process open: an exception that skips a
    ``close()`` (a bug, a fault nobody foresaw) ends the command instead of leaving it waiting on the
    thread for ever. Every write is committed and closed before a generation is published, so
    nothing is lost that a killed build would not lose too."""
    thread = getattr(connection, "_thread", None)  # aiosqlite starts it on the first await
    if isinstance(thread, threading.Thread) and not thread.is_alive():
        thread.daemon = True
    return connection


async def close_quietly(db: aiosqlite.Connection) -> None:
    """Close a connection on an error path: its thread ends even when closing fails too (a full
    disk fails the final write), so the process can exit with the first error."""
    try:
        await db.close()
    except Exception:
        stop = getattr(db, "stop", None)  # aiosqlite >= 0.20: ends the worker thread without a commit
        if callable(stop):
            with contextlib.suppress(Exception):
                stop()


def copy_database(source: Path, target: Path) -> None:
    """A copy of a served database to build the next generation from. The served file is complete
    and nobody writes it (builds never touch a published generation), so a plain file copy is exact
    and several times faster than SQLite's backup; if a write-ahead log is still there, the backup API
    copies what it holds too."""
    wal = source.with_name(source.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        src = sqlite3.connect(read_only_uri(source, immutable=False), uri=True)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
    else:
        shutil.copyfile(source, target)


class FileStamp(NamedTuple):
    """What a build knew about a file: if size and mtime are unchanged, its hash is too."""

    size: int
    mtime_ns: int
    sha256: str


class KnownReport(NamedTuple):
    """What a build needs of a report the served generation holds: whether the file is the same
    (``parse_key``), where its passages are (``id``, ``passage_count``) and what the build's summary
    lists. Reading whole ``ReportRow``s (their details a JSON document each) was a second of every
    update of an index of 83,000 reports."""

    id: int
    source: str
    parse_key: str
    passage_count: int
    unit: str | None
    year: int | None
    date: str | None
    warnings: list[str]


KNOWN_REPORT_COLUMNS = "id, source, parse_key, passage_count, unit, year, date, warnings"


async def read_file_stamps(db: aiosqlite.Connection) -> dict[str, FileStamp]:
    # (reads below fetch all rows at once: iterating an aiosqlite cursor costs a trip to its thread
    # per row, 0.1 s for 8,000 reports)
    rows = await db.execute_fetchall("SELECT source, size, mtime_ns, sha256 FROM files")
    return {row[0]: FileStamp(*row[1:]) for row in rows}


async def create_schema(db: aiosqlite.Connection) -> None:
    await db.executescript(SCHEMA)


async def read_known_reports(db: aiosqlite.Connection) -> list[KnownReport]:
    """Every report as ``KnownReport``, ordered by id."""
    rows = await db.execute_fetchall(f"SELECT {KNOWN_REPORT_COLUMNS} FROM reports ORDER BY id")
    return [KnownReport(*row[:7], [] if row[7] == "[]" else json.loads(row[7])) for row in rows]


async def read_reports(db: aiosqlite.Connection) -> list[ReportRow]:
    rows = await db.execute_fetchall(f"SELECT {REPORT_COLUMNS} FROM reports ORDER BY id")
    return ReportRow.from_rows(list(rows))


SUMMARY_COLUMNS = "id, source, unit, year, date, title, region, passage_count, sha256"


async def read_report_summaries(db: aiosqlite.Connection) -> list[tuple]:
    """Every report's ``SUMMARY_COLUMNS`` and its details (decoded), ordered by id: what answering
    needs of them. The details are decoded as one JSON array, not one document a report (8,000
    small decodes were a third of loading an index)."""
    rows = await db.execute_fetchall(f"SELECT {SUMMARY_COLUMNS}, details FROM reports ORDER BY id")
    details = json.loads("[" + ",".join(row[-1] or "{}" for row in rows) + "]") if rows else []
    return [(*row[:-1], extra) for row, extra in zip(rows, details, strict=True)]


async def read_report(db: aiosqlite.Connection, source: str) -> ReportRow | None:
    async with db.execute(f"SELECT {REPORT_COLUMNS} FROM reports WHERE source = ?", (source,)) as cursor:
        row = await cursor.fetchone()
    return ReportRow.from_row(row) if row else None


async def read_passages(db: aiosqlite.Connection, ids: list[int]) -> dict[int, PassageRow]:
    """Passages by id (the query path: a handful of rows per question)."""
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    sql = f"SELECT id, report_id, ordinal, section, text, norm_text FROM passages WHERE id IN ({marks})"
    rows = await db.execute_fetchall(sql, ids)
    return {row[0]: PassageRow(*row) for row in rows}


async def read_norm_texts(db: aiosqlite.Connection, ids: list[int]) -> dict[int, str]:
    """The normalised texts of passages by id (for checking candidates against their text)."""
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = await db.execute_fetchall(f"SELECT id, norm_text FROM passages WHERE id IN ({marks})", ids)
    return {row[0]: row[1] for row in rows}


async def write_clause_keys(db: aiosqlite.Connection, report_id: int, keys: bytes) -> None:
    await db.execute("INSERT OR REPLACE INTO clauses (report_id, keys) VALUES (?, ?)", (report_id, keys))


async def read_clause_keys(db: aiosqlite.Connection) -> list[bytes]:
    """Every report's clause keys (uint64 bytes), for counting boilerplate over the corpus."""
    rows = await db.execute_fetchall("SELECT keys FROM clauses")
    return [row[0] for row in rows]


async def read_base_clause_keys(db: aiosqlite.Connection, report_ids: list[int]) -> list[bytes]:
    """The clause keys of these reports in the connection's own database file (an overlaid
    generation's base: its reports the overlay replaced or removed are still there)."""
    sql = "SELECT keys FROM main.clauses WHERE report_id IN (SELECT value FROM json_each(?))"
    rows = await db.execute_fetchall(sql, (json.dumps(report_ids),))
    return [row[0] for row in rows]


async def read_report_passages(db: aiosqlite.Connection, report_id: int) -> list[PassageRow]:
    sql = ("SELECT id, report_id, ordinal, section, text, norm_text FROM passages WHERE report_id = ? "
           "ORDER BY ordinal")
    rows = await db.execute_fetchall(sql, (report_id,))
    return [PassageRow(*row) for row in rows]


async def read_pairs(db: aiosqlite.Connection, table: str) -> list[tuple[str, str]]:
    assert table in {"skipped", "duplicates"}
    rows = await db.execute_fetchall(f"SELECT * FROM {table} ORDER BY source")
    return [tuple(row) for row in rows]


async def read_info(db: aiosqlite.Connection) -> dict[str, str]:
    rows = await db.execute_fetchall("SELECT key, value FROM info")
    return dict(rows)


@dataclass(frozen=True)
class DatabaseFacts:
    """What checking a generation needs of its database (``checks.check_database``)."""

    build_id: str | None
    passages: int
    low_id: int | None
    high_id: int | None
    report_ids: list[int]
    integrity: str | None  # SQLite's verdict, when asked for


def read_facts(db_path: Path, integrity: bool) -> DatabaseFacts:
    """The facts of a published database, read synchronously (a check runs in a worker thread);
    ``sqlite3.Error`` when it cannot be opened or read."""
    connection = sqlite3.connect(read_only_uri(db_path), uri=True)
    try:
        info = dict(connection.execute("SELECT key, value FROM info").fetchall())
        count, low, high = connection.execute("SELECT count(*), min(id), max(id) FROM passages").fetchone()
        report_ids = [row[0] for row in connection.execute("SELECT id FROM reports")]
        verdict = connection.execute("PRAGMA integrity_check").fetchone()[0] if integrity else None
        return DatabaseFacts(info.get("build_id"), count, low, high, report_ids, verdict)
    finally:
        connection.close()


# -- writing a generation (index/builder.py) ---------------------------------------------------


async def drop_reports(db: aiosqlite.Connection, report_ids: list[int]) -> None:
    """Reports, their passages and clause keys out of a database being built from a copy."""
    dropped = [(i,) for i in report_ids]
    await db.executemany("DELETE FROM passages WHERE report_id = ?", dropped)
    await db.executemany("DELETE FROM clauses WHERE report_id = ?", dropped)
    await db.executemany("DELETE FROM reports WHERE id = ?", dropped)


LIBRARY_TABLES = ("skipped", "duplicates", "info", "files", "dead")  # what each build writes afresh


async def clear_library_tables(db: aiosqlite.Connection) -> None:
    for table in LIBRARY_TABLES:
        await db.execute(f"DELETE FROM {table}")


async def keep_overlay_reports(db: aiosqlite.Connection, overlay_db: Path, kept: set[int]) -> None:
    """Into a copy of an overlaid generation's base database: only the ``kept`` reports of the
    base, then those of the overlay."""
    await db.execute("CREATE TEMP TABLE kept (id INTEGER PRIMARY KEY)")
    await db.executemany("INSERT INTO kept VALUES (?)", [(i,) for i in sorted(kept)])
    for table, key in (("passages", "report_id"), ("clauses", "report_id"), ("reports", "id")):
        await db.execute(f"DELETE FROM {table} WHERE {key} NOT IN (SELECT id FROM kept)")
    await db.commit()
    await db.execute("ATTACH DATABASE ? AS old_overlay", (str(overlay_db),))  # only read
    for table, key in (("reports", "id"), ("passages", "report_id"), ("clauses", "report_id")):
        await db.execute(f"INSERT INTO main.{table} SELECT * FROM old_overlay.{table} "
                         f"WHERE {key} IN (SELECT id FROM kept)")
    await db.commit()
    await db.execute("DETACH DATABASE old_overlay")
    await db.execute("DROP TABLE kept")


async def insert_report(db: aiosqlite.Connection, row: ReportRow, clause_keys: bytes,
                        passages: list[tuple[int, int, int, str, str, str]]) -> None:
    """A parsed report: its row, its clause keys, its passages (id, report id, ordinal, section, text,
    normalised text)."""
    await db.execute(f"INSERT INTO reports ({REPORT_COLUMNS}) VALUES ({','.join('?' * len(row.to_row()))})",
                     row.to_row())
    await write_clause_keys(db, row.id, clause_keys)
    await db.executemany(
        "INSERT INTO passages (id, report_id, ordinal, section, text, norm_text) VALUES (?,?,?,?,?,?)", passages)


async def write_library_tables(db: aiosqlite.Connection, skipped: list[tuple[str, str]],
                               duplicates: list[tuple[str, str]], files: list[tuple[str, int, int, str]],
                               info: dict[str, str], dead_reports: list[int]) -> None:
    """What a build saw of the folder (skipped files, duplicates, every file's stamp), its ``info``,
    and an overlay's dead base reports."""
    await db.executemany("INSERT INTO skipped VALUES (?, ?)", skipped)
    await db.executemany("INSERT INTO duplicates VALUES (?, ?)", duplicates)
    await db.executemany("INSERT INTO files VALUES (?, ?, ?, ?)", files)
    await db.executemany("INSERT INTO info VALUES (?, ?)", list(info.items()))
    await db.executemany("INSERT INTO dead VALUES (?)", [(i,) for i in dead_reports])


async def seal(db: aiosqlite.Connection) -> None:
    """Commit, and make the file self-contained (no write-ahead log): served read-only anywhere."""
    await db.commit()
    await db.execute("PRAGMA journal_mode=DELETE")


async def max_passage_id(db_path: Path) -> int:
    """The highest passage id a published database holds (0 for none)."""
    db = await connect(db_path, readonly=True)
    try:
        rows = await db.execute_fetchall("SELECT COALESCE(MAX(id), 0) FROM passages")
        return int(next(iter(rows))[0])
    finally:
        await db.close()
