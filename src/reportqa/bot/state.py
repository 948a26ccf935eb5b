"""The bot's own SQLite (aiosqlite, WAL): paging sessions keyed by a short id, and the question log.

It lives beside the index generations (``index/bot.sqlite3``) and survives rebuilds. Every write is
one transaction, committed before the reply is sent, so nothing logged is lost on a crash.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from reportqa.store import close_quietly

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
"""


@dataclass(frozen=True)
class Session:
    sid: str
    question: str
    chat_id: int | None
    user_id: int | None


@dataclass(frozen=True)
class Stats:
    per_day: list[tuple[str, int]]
    top: list[tuple[str, int]]
    unanswered: list[tuple[str, int]]
    total: int


class BotState:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self.db = db

    @classmethod
    async def open(cls, path: Path) -> BotState:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(path)
        try:
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute("PRAGMA synchronous=NORMAL")  # WAL: a committed row survives a process crash
            await db.executescript(SCHEMA)
            await db.commit()
        except BaseException:
            await close_quietly(db)  # its thread would keep the process alive
            raise
        return cls(db)

    async def close(self) -> None:
        await self.db.close()

    async def new_session(self, question: str, chat_id: int | None, user_id: int | None) -> str:
        sid = secrets.token_urlsafe(6)  # 8 characters: callback data stays far below 64 bytes
        await self.db.execute(
            "INSERT INTO sessions (sid, question, chat_id, user_id, created) VALUES (?, ?, ?, ?, ?)",
            (sid, question, chat_id, user_id, time.time()),
        )
        await self.db.commit()
        return sid

    async def session(self, sid: str) -> Session | None:
        async with self.db.execute(
            "SELECT sid, question, chat_id, user_id FROM sessions WHERE sid = ?", (sid,)
        ) as cursor:
            row = await cursor.fetchone()
        return Session(*row) if row else None

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
        return Stats(per_day, top_rows, unanswered, total)
