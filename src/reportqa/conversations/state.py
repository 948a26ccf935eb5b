"""The bot's own SQLite (aiosqlite, WAL): paging sessions keyed by a short id, the question log,
the pages each session showed, votes on answers, chats' scopes and the file ids of reports sent.

It lives beside the index generations (``index/bot.sqlite3``) and survives rebuilds. Every write is
one transaction, committed before the reply is sent, so nothing logged is lost on a crash. Every
statement runs through ``state_db.StateDatabase``: retried while another process holds the database,
a question's session and log line kept in memory until it takes writes again, a deleted, replaced or
unreadable file set aside and made afresh (the ``guarded`` and ``kept`` methods below).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiosqlite

from reportqa.conversations.state_db import StateDatabase, guarded, kept
from reportqa.present.actions import REASONS

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    sid TEXT PRIMARY KEY,
    question TEXT NOT NULL,
    chat_id INTEGER,
    user_id INTEGER,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS questions (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    day TEXT NOT NULL,
    chat_type TEXT,
    user_id INTEGER,
    question TEXT NOT NULL,
    filters TEXT NOT NULL,
    results INTEGER NOT NULL,
    latency_ms REAL NOT NULL,
    source TEXT NOT NULL DEFAULT 'message'
);
CREATE INDEX IF NOT EXISTS questions_by_day ON questions(day);
CREATE TABLE IF NOT EXISTS shown (
    sid TEXT NOT NULL,
    offset INTEGER NOT NULL,
    passages TEXT NOT NULL,
    PRIMARY KEY (sid, offset)
);
CREATE TABLE IF NOT EXISTS votes (
    sid TEXT NOT NULL,
    user_id INTEGER NOT NULL,
    helpful INTEGER NOT NULL,
    reason TEXT,
    offset INTEGER NOT NULL,
    asked_reason INTEGER NOT NULL DEFAULT 0,
    at REAL NOT NULL,
    PRIMARY KEY (sid, user_id)
);
CREATE INDEX IF NOT EXISTS votes_by_time ON votes(at);
CREATE TABLE IF NOT EXISTS scopes (
    chat_id INTEGER PRIMARY KEY,
    scope TEXT NOT NULL,
    set_by INTEGER,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sent_files (
    sha256 TEXT PRIMARY KEY,
    file_id TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""
# columns added after the first release: (table, column, definition)
ADDED_COLUMNS = (
    ("sessions", "scope", "TEXT"),
    ("sessions", "filters", "TEXT"),
    ("votes", "targets", "TEXT"),  # a wrong-unit / wrong-year vote: the passage ids it is about (JSON)
)
STATE_DB = "bot.sqlite3"  # in the index folder unless REPORTQA_BOT_STATE_DB says otherwise


@dataclass(frozen=True)
class Session:
    sid: str
    question: str
    chat_id: int | None
    user_id: int | None
    scope: str | None = None  # the chat's scope the answer was given in (pages keep it)
    filters: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ShownPassage:
    """A result as a page showed it, enough to make a test case of it later without the index."""

    passage_id: int
    source: str
    contains: str  # a phrase of its text


@dataclass(frozen=True)
class Vote:
    helpful: bool
    reason: str | None
    asked_reason: bool
    changed: bool  # False when the user pressed the same button again


@dataclass(frozen=True)
class FeedbackRow:
    """One vote with what it was about, for the export."""

    sid: str
    user_id: int
    helpful: bool
    reason: str | None
    at: float
    question: str
    scope: str | None
    filters: dict
    passages: list[ShownPassage]
    targets: list[int] | None = None  # the passages a wrong unit / year is about; None: not said


@dataclass(frozen=True)
class Stats:
    per_day: list[tuple[str, int]]
    top: list[tuple[str, int]]
    unanswered: list[tuple[str, int]]
    total: int
    helpful_by_week: list[tuple[str, int, int]] = field(default_factory=list)  # (2026-W48, 👍, votes)
    latest_unhelpful: list[tuple[str, str | None]] = field(default_factory=list)  # (question, reason)


async def _schema(db: aiosqlite.Connection) -> None:
    await db.executescript(SCHEMA)
    for table, column, definition in ADDED_COLUMNS:
        async with db.execute(f"PRAGMA table_info({table})") as cursor:
            columns = {row[1] async for row in cursor}
        if column not in columns:
            await db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")


MAX_UNSAVED = 10_000  # sessions answered but not yet written (the database busy): kept in memory meanwhile


class BotState:
    def __init__(self, database: StateDatabase) -> None:
        self.database = database
        self._scopes: dict[int, str] = {}  # every chat's scope (loaded at open: a question never waits on it)
        self._unsaved: dict[str, Session] = {}  # answered while the database was busy, not yet written

    @property
    def db(self) -> aiosqlite.Connection:
        """The current connection (a fresh database replaces it)."""
        return self.database.connection

    @classmethod
    async def open(cls, path: Path, *, busy_seconds: float = 2.0, recover: bool = False) -> BotState:
        """Open (or create) the state database; ``recover`` (the bot): set aside a file that cannot be
        read, watch the file, make it afresh when it is lost (``state_db``)."""
        database = await StateDatabase.open(path, busy_seconds=busy_seconds, recover=recover, schemas=[_schema])
        state = cls(database)
        try:
            rows = await state.db.execute_fetchall("SELECT chat_id, scope FROM scopes")
        except BaseException:
            await database.close()
            raise
        state._scopes = {int(row[0]): str(row[1]) for row in rows}
        database.on_fresh(state._restore_scopes)
        return state

    async def close(self) -> None:
        await self.database.close()

    async def new_session(self, question: str, chat_id: int | None, user_id: int | None,
                          scope: str | None = None, filters: dict | None = None,
                          shown: list[ShownPassage] | None = None) -> str:
        """A session for an answer's buttons, and what its first page showed (one transaction). Its
        id is good at once: while the database is busy the session is kept in memory until written."""
        sid = secrets.token_urlsafe(6)  # 8 characters: callback data stays far below 64 bytes
        self._unsaved[sid] = Session(sid, question, chat_id, user_id, scope, filters or {})
        if len(self._unsaved) > MAX_UNSAVED:
            self._unsaved.pop(next(iter(self._unsaved)))
        await self._store_session(sid, question, chat_id, user_id, time.time(), scope, filters, shown)
        return sid

    @kept
    async def _store_session(self, sid: str, question: str, chat_id: int | None, user_id: int | None,
                             created: float, scope: str | None, filters: dict | None,
                             shown: list[ShownPassage] | None) -> None:
        await self.db.execute(
            "INSERT OR REPLACE INTO sessions (sid, question, chat_id, user_id, created, scope, filters) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (sid, question, chat_id, user_id, created, scope, json.dumps(filters or {}, ensure_ascii=False)),
        )
        if shown is not None:
            await self._insert_shown(sid, 0, shown)
        await self.db.commit()
        self._unsaved.pop(sid, None)

    async def session(self, sid: str) -> Session | None:
        if sid in self._unsaved:
            return self._unsaved[sid]
        return await self._stored_session(sid)

    @guarded()
    async def _stored_session(self, sid: str) -> Session | None:
        async with self.db.execute(
            "SELECT sid, question, chat_id, user_id, scope, filters FROM sessions WHERE sid = ?", (sid,)
        ) as cursor:
            row = await cursor.fetchone()
        if not row:
            return None
        return Session(row[0], row[1], row[2], row[3], row[4], _json_dict(row[5]))

    # -- what each page showed, and votes on it ----------------------------------------------

    @kept
    async def record_shown(self, sid: str, offset: int, passages: list[ShownPassage]) -> None:
        await self._insert_shown(sid, offset, passages)
        await self.db.commit()

    async def _insert_shown(self, sid: str, offset: int, passages: list[ShownPassage]) -> None:
        data = [[p.passage_id, p.source, p.contains] for p in passages]
        await self.db.execute("INSERT OR REPLACE INTO shown (sid, offset, passages) VALUES (?, ?, ?)",
                              (sid, offset, json.dumps(data, ensure_ascii=False)))

    @guarded(write=True)  # one writer at a time: two presses at once still read each other's vote
    async def vote(self, sid: str, user_id: int, helpful: bool, offset: int) -> Vote:
        """One vote per user per answer; the other button changes it. A 👎's reason is kept through
        a change of mind (it is asked once, and read only while the vote is 👎)."""
        async with self.db.execute("SELECT helpful, reason, asked_reason, targets FROM votes "
                                   "WHERE sid = ? AND user_id = ?", (sid, user_id)) as cursor:
            row = await cursor.fetchone()
        changed = row is None or bool(row[0]) != helpful
        reason = row[1] if row else None
        asked = bool(row[2]) if row else False
        targets = row[3] if row else None  # which result a wrong unit or year was about: kept with its reason
        await self.db.execute(
            "INSERT OR REPLACE INTO votes (sid, user_id, helpful, reason, offset, asked_reason, at, targets) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (sid, user_id, int(helpful), reason, offset, int(asked), time.time(), targets),
        )
        await self.db.commit()
        return Vote(helpful, reason, asked, changed)

    @guarded(write=True)
    async def mark_reason_asked(self, sid: str, user_id: int) -> None:
        await self.db.execute("UPDATE votes SET asked_reason = 1 WHERE sid = ? AND user_id = ?", (sid, user_id))
        await self.db.commit()

    @guarded(write=True)
    async def set_reason(self, sid: str, user_id: int, reason: str) -> bool:
        """The reason of a 👎 (one of ``REASONS``); False when there is no 👎 by this user to explain."""
        if reason not in REASONS:
            return False
        cursor = await self.db.execute(
            "UPDATE votes SET reason = ?, targets = NULL WHERE sid = ? AND user_id = ? AND helpful = 0",
            (reason, sid, user_id))
        await self.db.commit()
        return cursor.rowcount > 0

    @guarded()
    async def vote_reason(self, sid: str, user_id: int) -> str | None:
        async with self.db.execute("SELECT reason FROM votes WHERE sid = ? AND user_id = ?", (sid, user_id)) as cursor:
            row = await cursor.fetchone()
        return row[0] if row else None

    @guarded()
    async def voted_page(self, sid: str, user_id: int) -> tuple[int, list[ShownPassage]] | None:
        """The page a user's vote is on: its offset and the passages it showed (None: no such vote)."""
        async with self.db.execute(
            "SELECT v.offset, sh.passages FROM votes v LEFT JOIN shown sh ON sh.sid = v.sid AND sh.offset = v.offset "
            "WHERE v.sid = ? AND v.user_id = ?", (sid, user_id)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return int(row[0]), [ShownPassage(int(p[0]), str(p[1]), str(p[2])) for p in json.loads(row[1] or "[]")]

    @guarded(write=True)
    async def set_targets(self, sid: str, user_id: int, passage_ids: list[int]) -> bool:
        """Which passages a 👎's wrong unit or year is about; False when there is no such 👎."""
        cursor = await self.db.execute("UPDATE votes SET targets = ? WHERE sid = ? AND user_id = ? AND helpful = 0",
                                       (json.dumps(passage_ids), sid, user_id))
        await self.db.commit()
        return cursor.rowcount > 0

    @guarded()
    async def feedback(self) -> list[FeedbackRow]:
        """Every vote with its question, scope, filters and the passages of the page voted on, oldest first."""
        sql = ("SELECT v.sid, v.user_id, v.helpful, v.reason, v.at, s.question, s.scope, s.filters, sh.passages, "
               "v.targets "
               "FROM votes v JOIN sessions s ON s.sid = v.sid "
               "LEFT JOIN shown sh ON sh.sid = v.sid AND sh.offset = v.offset ORDER BY v.at, v.sid, v.user_id")
        rows: list[FeedbackRow] = []
        async with self.db.execute(sql) as cursor:
            async for r in cursor:
                passages = [ShownPassage(int(p[0]), str(p[1]), str(p[2])) for p in json.loads(r[8] or "[]")]
                targets = json.loads(r[9]) if r[9] else None
                rows.append(FeedbackRow(r[0], r[1], bool(r[2]), r[3], r[4], r[5], r[6], _json_dict(r[7]), passages,
                                        [int(t) for t in targets] if isinstance(targets, list) else None))
        return rows

    # -- scopes, sent files, flags -------------------------------------------------------------

    async def scope(self, chat_id: int) -> str | None:
        """A chat's scope text, from memory: all were read at open (one row per chat that set one),
        and only this process's ``set_scope`` changes them (one bot per state database)."""
        return self._scopes.get(chat_id)

    @guarded(write=True)
    async def set_scope(self, chat_id: int, scope: str | None, set_by: int | None) -> None:
        if scope is None:
            await self.db.execute("DELETE FROM scopes WHERE chat_id = ?", (chat_id,))
        else:
            await self.db.execute("INSERT OR REPLACE INTO scopes (chat_id, scope, set_by, at) VALUES (?, ?, ?, ?)",
                                  (chat_id, scope, set_by, time.time()))
        await self.db.commit()
        if scope is None:
            self._scopes.pop(chat_id, None)
        else:
            self._scopes[chat_id] = scope

    async def _restore_scopes(self) -> None:
        """Into a fresh, empty database: the scopes this process holds."""
        await self.db.executemany("INSERT OR REPLACE INTO scopes (chat_id, scope, set_by, at) VALUES (?, ?, NULL, ?)",
                                  [(chat_id, scope, time.time()) for chat_id, scope in self._scopes.items()])
        await self.db.commit()

    @guarded()
    async def sent_file(self, sha256: str) -> str | None:
        async with self.db.execute("SELECT file_id FROM sent_files WHERE sha256 = ?", (sha256,)) as cursor:
            row = await cursor.fetchone()
        return row[0] if row else None

    @kept
    async def remember_file(self, sha256: str, file_id: str | None) -> None:
        if file_id is None:
            await self.db.execute("DELETE FROM sent_files WHERE sha256 = ?", (sha256,))
        else:
            await self.db.execute("INSERT OR REPLACE INTO sent_files (sha256, file_id, at) VALUES (?, ?, ?)",
                                  (sha256, file_id, time.time()))
        await self.db.commit()

    @guarded()
    async def flag(self, key: str) -> str | None:
        async with self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)) as cursor:
            row = await cursor.fetchone()
        return row[0] if row else None

    @kept
    async def set_flag(self, key: str, value: str) -> None:
        await self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
        await self.db.commit()

    @kept
    async def log_question(
        self,
        *,
        chat_type: str | None,
        user_id: int | None,
        question: str,
        filters: dict,
        results: int,
        latency_ms: float,
        source: str = "message",
    ) -> None:
        now = time.time()
        await self.db.execute(
            "INSERT INTO questions (at, day, chat_type, user_id, question, filters, results, latency_ms, source) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (now, time.strftime("%Y-%m-%d", time.localtime(now)), chat_type, user_id, question,
             json.dumps(filters, ensure_ascii=False), results, latency_ms, source),
        )
        await self.db.commit()

    @guarded()
    async def stats(self, days: int = 7, top: int = 10) -> Stats:
        async def rows(sql: str, *args: object) -> list[tuple]:
            async with self.db.execute(sql, args) as cursor:
                return [tuple(r) async for r in cursor]

        per_day = await rows("SELECT day, COUNT(*) FROM questions GROUP BY day ORDER BY day DESC LIMIT ?", days)
        top_rows = await rows(
            "SELECT question, COUNT(*) AS n FROM questions GROUP BY question ORDER BY n DESC, MAX(at) DESC LIMIT ?",
            top,
        )
        unanswered = await rows(
            "SELECT question, COUNT(*) AS n FROM questions WHERE results = 0 GROUP BY question "
            "ORDER BY n DESC, MAX(at) DESC LIMIT ?",
            top,
        )
        total = (await rows("SELECT COUNT(*) FROM questions"))[0][0]
        weeks: dict[str, list[int]] = {}
        for at, helpful in await rows("SELECT at, helpful FROM votes WHERE at >= ?", time.time() - 7 * 86400 * 8):
            year, week, _ = dt.date.fromtimestamp(at).isocalendar()
            counts = weeks.setdefault(f"{year}-W{week:02d}", [0, 0])
            counts[0] += int(helpful)
            counts[1] += 1
        helpful_by_week = [(week, up, n) for week, (up, n) in sorted(weeks.items(), reverse=True)]
        latest = await rows("SELECT s.question, v.reason FROM votes v JOIN sessions s ON s.sid = v.sid "
                            "WHERE v.helpful = 0 ORDER BY v.at DESC LIMIT ?", top)
        return Stats(per_day, top_rows, unanswered, total, helpful_by_week, latest)


def _json_dict(text: str | None) -> dict:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
