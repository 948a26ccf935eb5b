"""Each chat's last question (per user in groups), in the bot's SQLite, for follow-ups.

A row is written when an answer is sent and read when the next message comes: a follow-up after a
restart refines the question asked before it. Rows older than the conversation's time to live are
never used and are deleted as new ones are written, so the table holds only live conversations.
"""

from __future__ import annotations

import time

import aiosqlite

from reportqa.conversations.state_db import StateDatabase, StateUnavailable, guarded, kept
from reportqa.conversations.turns import Context

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    chat_id INTEGER NOT NULL,
    user_key INTEGER NOT NULL,
    question TEXT NOT NULL,
    offset INTEGER NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (chat_id, user_key)
);
CREATE INDEX IF NOT EXISTS conversations_by_time ON conversations(at);
"""


async def _schema(connection: aiosqlite.Connection) -> None:
    await connection.executescript(SCHEMA)


class ConversationStore:
    """The last question of each conversation: a chat, or one user in a group chat. Its table lives in
    the bot's state database and goes through it (``bot/state_db.py``: busy → retried, replaced →
    made afresh with the table), so a follow-up never fails because state could not be read."""

    def __init__(self, database: StateDatabase, ttl_seconds: float) -> None:
        self.database = database
        self.ttl = ttl_seconds

    @property
    def db(self) -> aiosqlite.Connection:
        return self.database.connection

    @classmethod
    async def open(cls, database: StateDatabase, ttl_seconds: float) -> ConversationStore:
        await database.add_schema(_schema)
        return cls(database, ttl_seconds)

    async def get(self, chat_id: int, user_key: int, now: float | None = None) -> Context | None:
        """The conversation's last question, unless it is older than the time to live (or the state
        database cannot be read just now: then the message is a new question)."""
        now = time.time() if now is None else now
        try:
            row = await self._row(chat_id, user_key)
        except StateUnavailable:
            return None
        if row is None:
            return None
        context = Context(str(row[0]), int(row[1]), float(row[2]))
        return None if context.expired(now, self.ttl) else context

    @guarded()
    async def _row(self, chat_id: int, user_key: int) -> tuple | None:
        async with self.db.execute("SELECT question, offset, at FROM conversations WHERE chat_id = ? AND user_key = ?",
                                   (chat_id, user_key)) as cursor:
            return await cursor.fetchone()

    @kept
    async def put(self, chat_id: int, user_key: int, context: Context) -> None:
        """Remember a conversation's last question (and forget every expired one)."""
        await self.db.execute("DELETE FROM conversations WHERE at < ?", (context.at - self.ttl,))
        await self.db.execute(
            "INSERT OR REPLACE INTO conversations (chat_id, user_key, question, offset, at) VALUES (?, ?, ?, ?, ?)",
            (chat_id, user_key, context.question, context.offset, context.at))
        await self.db.commit()

    @kept
    async def forget(self, chat_id: int, user_key: int) -> None:
        await self.db.execute("DELETE FROM conversations WHERE chat_id = ? AND user_key = ?", (chat_id, user_key))
        await self.db.commit()
