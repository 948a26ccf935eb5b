"""Subscriptions in the bot's SQLite: who asked to be told about what, which report versions the bot
has already seen, and the notifications waiting to be sent.

A report version is its file's sha256: a report edited and indexed again is a new version, the same
file moved or indexed twice is not. A round of notifications (the versions a new index brought, and
one message per subscription they answer) is written in one transaction: either every message of the
round is queued and its versions are known, or nothing is, so a restart at any point neither loses a
round nor composes it twice. A queued message is marked sent when Telegram has accepted it (and is
not sent again meanwhile, even while the database is too busy to record it: ``mark_sent`` is kept).
Statements run through the bot state's ``StateDatabase`` (retried while busy, a lost file made afresh).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass

import aiosqlite

from reportqa.conversations.state_db import StateDatabase, guarded, kept

SCHEMA = """
CREATE TABLE IF NOT EXISTS subscriptions (
    id INTEGER PRIMARY KEY,
    chat_id INTEGER NOT NULL,
    user_id INTEGER,
    question TEXT NOT NULL,
    english INTEGER NOT NULL DEFAULT 0,
    thread_id INTEGER,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS subscriptions_by_chat ON subscriptions(chat_id);
CREATE TABLE IF NOT EXISTS known_reports (
    sha256 TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    subscription_id INTEGER NOT NULL,
    chat_id INTEGER NOT NULL,
    thread_id INTEGER,
    text TEXT NOT NULL,
    markup TEXT,
    created REAL NOT NULL,
    sent REAL,
    failure TEXT
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(sent) WHERE sent IS NULL;
"""
_SELECT = "SELECT id, chat_id, user_id, question, english, thread_id FROM subscriptions"
BASELINE_FLAG = "reports_baseline"  # set once the bot has recorded the versions it started with


@dataclass(frozen=True)
class Subscription:
    id: int
    chat_id: int
    user_id: int | None
    question: str
    english: bool
    thread_id: int | None = None  # the forum topic it was asked in: notifications go there


@dataclass(frozen=True)
class Notification:
    """One message of a round: for ``subscription_id``, to ``chat_id``, HTML with its keyboard."""

    subscription_id: int
    chat_id: int
    text: str
    markup: dict | None = None
    thread_id: int | None = None


@dataclass(frozen=True)
class Refusal:
    """Why ``add_within`` added nothing: the same question held already, or the chat is full."""

    existing: Subscription | None
    held: int


@dataclass(frozen=True)
class Queued:
    id: int
    notification: Notification


async def _schema(db: aiosqlite.Connection) -> None:
    await db.executescript(SCHEMA)


class SubscriptionStore:
    """The subscription tables, in the bot state's database (one writer: this process)."""

    def __init__(self, database: StateDatabase) -> None:
        self.database = database
        self._marked: set[int] = set()  # sent, and its row not yet marked (the database was busy)

    @property
    def db(self) -> aiosqlite.Connection:
        return self.database.connection

    @classmethod
    async def open(cls, database: StateDatabase | aiosqlite.Connection) -> SubscriptionStore:
        if isinstance(database, aiosqlite.Connection):
            database = StateDatabase.over(database)
        await database.add_schema(_schema)
        return cls(database)

    # -- subscriptions ------------------------------------------------------------------------

    @guarded(write=True)
    async def add_within(self, chat_id: int, user_id: int | None, question: str, english: bool,
                         thread_id: int | None, limit: int) -> Subscription | Refusal:
        """``add`` unless the chat holds this question already or ``limit`` subscriptions: checked and
        added as one write (writes run one at a time), so the limit holds however many arrive at once."""
        held = await self.of_chat(chat_id)
        existing = next((s for s in held if s.question == question), None)
        if existing is not None or len(held) >= limit:
            return Refusal(existing, len(held))
        return await self.add(chat_id, user_id, question, english, thread_id)

    @guarded(write=True)
    async def add(self, chat_id: int, user_id: int | None, question: str, english: bool,
                  thread_id: int | None = None) -> Subscription:
        cursor = await self.db.execute(
            "INSERT INTO subscriptions (chat_id, user_id, question, english, thread_id, created) "
            "VALUES (?, ?, ?, ?, ?, ?)", (chat_id, user_id, question, int(english), thread_id, time.time()))
        await self.db.commit()
        return Subscription(int(cursor.lastrowid or 0), chat_id, user_id, question, english, thread_id)

    @guarded()
    async def of_chat(self, chat_id: int) -> list[Subscription]:
        rows = await self.db.execute_fetchall(
            _SELECT + " WHERE chat_id = ? ORDER BY id",
            (chat_id,))
        return [_subscription(r) for r in rows]

    @guarded()
    async def find(self, chat_id: int, question: str) -> Subscription | None:
        for subscription in await self.of_chat(chat_id):
            if subscription.question == question:
                return subscription
        return None

    @guarded()
    async def every(self) -> list[Subscription]:
        rows = await self.db.execute_fetchall(
            _SELECT + " ORDER BY id")
        return [_subscription(r) for r in rows]

    @guarded(write=True)
    async def remove(self, subscription_id: int, chat_id: int) -> Subscription | None:
        """Remove one of this chat's subscriptions (another chat's id removes nothing), with its
        queued messages; the subscription removed, or None."""
        rows = await self.db.execute_fetchall(
            _SELECT + " WHERE id = ? AND chat_id = ?",
            (subscription_id, chat_id))
        if not rows:
            return None
        await self.db.execute("DELETE FROM subscriptions WHERE id = ?", (subscription_id,))
        await self.db.execute("DELETE FROM outbox WHERE subscription_id = ? AND sent IS NULL", (subscription_id,))
        await self.db.commit()
        return _subscription(rows[0])

    @guarded(write=True)
    async def remove_chat(self, chat_id: int) -> int:
        """Every subscription of a chat the bot can no longer write to (blocked, removed from the group)."""
        cursor = await self.db.execute("DELETE FROM subscriptions WHERE chat_id = ?", (chat_id,))
        await self.db.execute("DELETE FROM outbox WHERE chat_id = ? AND sent IS NULL", (chat_id,))
        await self.db.commit()
        return cursor.rowcount

    # -- report versions and rounds -------------------------------------------------------------

    @guarded()
    async def has_baseline(self) -> bool:
        rows = await self.db.execute_fetchall("SELECT 1 FROM meta WHERE key = ?", (BASELINE_FLAG,))
        return bool(rows)

    @guarded()
    async def known(self) -> set[str]:
        return {r[0] for r in await self.db.execute_fetchall("SELECT sha256 FROM known_reports")}

    @guarded(write=True)
    async def record_round(self, versions: Iterable[tuple[str, str]], notifications: Iterable[Notification]) -> None:
        """In one transaction: these (sha256, source) versions are known, these messages queued (and
        the baseline recorded, for the first round)."""
        now = time.time()
        try:
            await self.db.executemany("INSERT OR IGNORE INTO known_reports (sha256, source, at) VALUES (?, ?, ?)",
                                      [(sha, source, now) for sha, source in versions])
            await self.db.executemany(
                "INSERT INTO outbox (subscription_id, chat_id, thread_id, text, markup, created) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(n.subscription_id, n.chat_id, n.thread_id, n.text, json.dumps(n.markup) if n.markup else None, now)
                 for n in notifications])
            await self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (BASELINE_FLAG, "1"))
            await self.db.commit()
        except BaseException:
            await self.db.rollback()
            raise

    # -- the outbox -------------------------------------------------------------------------------

    @guarded()
    async def pending(self, limit: int = 100, chats: tuple[int, int] | None = None) -> list[Queued]:
        """The oldest messages not yet sent; ``chats``: only to chat ids in [low, high) (one platform's)."""
        low, high = chats if chats is not None else (-(2**63), 2**63 - 1)
        rows = await self.db.execute_fetchall(
            "SELECT id, subscription_id, chat_id, text, markup, thread_id FROM outbox WHERE sent IS NULL "
            "AND chat_id >= ? AND chat_id < ? ORDER BY id LIMIT ?", (low, high, limit + len(self._marked)))
        queued = [Queued(r[0], Notification(r[1], r[2], r[3], json.loads(r[4]) if r[4] else None, r[5]))
                  for r in rows if r[0] not in self._marked]
        return queued[:limit]

    async def mark_sent(self, queued_id: int, failure: str | None = None) -> None:
        """Done with a queued message: sent, or given up on (``failure`` says why; it is not retried)."""
        self._marked.add(queued_id)
        await self._mark(queued_id, time.time(), failure)

    @kept
    async def _mark(self, queued_id: int, at: float, failure: str | None) -> None:
        await self.db.execute("UPDATE outbox SET sent = ?, failure = ? WHERE id = ?", (at, failure, queued_id))
        await self.db.commit()
        self._marked.discard(queued_id)

    @guarded()
    async def sent_count(self, chat_id: int | None = None) -> int:
        sql = "SELECT COUNT(*) FROM outbox WHERE sent IS NOT NULL AND failure IS NULL"
        rows = await self.db.execute_fetchall(sql + (" AND chat_id = ?" if chat_id is not None else ""),
                                              (chat_id,) if chat_id is not None else ())
        return int(next(iter(rows))[0])


def _subscription(row: tuple) -> Subscription:
    return Subscription(row[0], row[1], row[2], row[3], bool(row[4]), row[5])
