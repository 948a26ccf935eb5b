"""Who was refused: each outsider's latest attempt, kept in the bot's state database for the
administrators' ``/stats`` (and written to the log as it happens), so that the ids an allowlist needs
can be read off without asking the person for them.

One row per (user, chat), its count going up: an outsider sending a hundred messages is one line, and
the table is trimmed to the newest ``MAX_ROWS``. Only ids and what kind of thing was sent are kept,
never the text. Messenger-neutral: any channel records its refusals here.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import aiosqlite

from reportqa.conversations.state_db import StateDatabase, guarded, kept

log = logging.getLogger("reportqa.access")

SCHEMA = """
CREATE TABLE IF NOT EXISTS refusals (
    user_id INTEGER NOT NULL,
    chat_id INTEGER NOT NULL,
    chat_kind TEXT,
    what TEXT NOT NULL,
    name TEXT,
    at REAL NOT NULL,
    count INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (user_id, chat_id)
);
CREATE INDEX IF NOT EXISTS refusals_by_time ON refusals(at);
"""
MAX_ROWS = 200
NAME_CHARS = 64


@dataclass(frozen=True)
class Refusal:
    """One outsider's latest refused attempt in one chat."""

    user_id: int
    chat_id: int  # the user's own id in a private chat
    chat_kind: str | None  # private | group | supergroup | channel | inline
    what: str  # message | command:<name> | button | document | inline
    name: str | None  # the name the user shows (first name, @username), for the administrator to recognise
    at: float
    count: int = 1

    @property
    def in_group(self) -> bool:
        return self.chat_kind in ("group", "supergroup")


async def _schema(connection: aiosqlite.Connection) -> None:
    await connection.executescript(SCHEMA)


class RefusalLog:
    """The refused attempts, in the state database (``state_db``: busy → kept, lost → made afresh)."""

    def __init__(self, database: StateDatabase) -> None:
        self.database = database

    @property
    def db(self) -> aiosqlite.Connection:
        return self.database.connection

    @classmethod
    async def open(cls, database: StateDatabase) -> RefusalLog:
        await database.add_schema(_schema)
        return cls(database)

    async def record(self, refusal: Refusal) -> None:
        """Log the attempt (ids, never the text) and keep it for /stats."""
        where = "inline mode" if refusal.chat_kind == "inline" else f"{refusal.chat_kind or 'a'} chat {refusal.chat_id}"
        log.warning("refused %s from user %s%s in %s", refusal.what, refusal.user_id,
                    f" ({refusal.name})" if refusal.name else "", where)
        await self._store(refusal)

    @kept
    async def _store(self, refusal: Refusal) -> None:
        await self.db.execute(
            "INSERT INTO refusals (user_id, chat_id, chat_kind, what, name, at, count) VALUES (?, ?, ?, ?, ?, ?, 1) "
            "ON CONFLICT (user_id, chat_id) DO UPDATE SET chat_kind = excluded.chat_kind, what = excluded.what, "
            "name = excluded.name, at = excluded.at, count = count + 1",
            (refusal.user_id, refusal.chat_id, refusal.chat_kind, refusal.what,
             (refusal.name or "")[:NAME_CHARS] or None, refusal.at))
        await self.db.execute("DELETE FROM refusals WHERE rowid NOT IN (SELECT rowid FROM refusals "
                              "ORDER BY at DESC LIMIT ?)", (MAX_ROWS,))
        await self.db.commit()

    @guarded()
    async def latest(self, n: int = 10) -> list[Refusal]:
        """The newest refused attempts, newest first."""
        async with self.db.execute("SELECT user_id, chat_id, chat_kind, what, name, at, count FROM refusals "
                                   "ORDER BY at DESC LIMIT ?", (n,)) as cursor:
            return [Refusal(int(r[0]), int(r[1]), r[2], str(r[3]), r[4], float(r[5]), int(r[6])) async for r in cursor]


def refusal_now(user_id: int, chat_id: int, chat_kind: str | None, what: str, name: str | None) -> Refusal:
    return Refusal(user_id, chat_id, chat_kind, what, name, time.time())
