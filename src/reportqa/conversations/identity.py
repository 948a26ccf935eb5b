"""Who is who across messengers: every chat and user of WeCom and DingTalk gets an integer id of its
own in the bot's database, in a range no Telegram id can reach, and each delivery is answered once.

The state tables (sessions, scopes, subscriptions, conversations, votes) key chats and users by an
integer, as Telegram gives them. Telegram's ids are below 2^52 in magnitude (its Bot API: "at most 52
significant bits"); a WeCom userid or a DingTalk staffId is a string. So a (platform, kind, native id)
is given ``base(platform) + n`` with ``n`` counted by this table, the bases at 2^62 and above: a WeCom
user can never be taken for a Telegram one, a DingTalk group never for a WeCom group, and a session
asked in one chat is refused in any other (issue 31) whatever the platforms. The mapping is kept in the
state database, so ids hold across restarts, and read back to deliver a notice to the chat it was
subscribed in.

Deliveries: WeCom and DingTalk may push the same message again (a reconnect, several connections, a
retry); ``first_delivery`` records its id before any work (insert-or-ignore, one writer), so the
second copy is dropped however the two arrive.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import aiosqlite

from reportqa.conversations.state_db import StateDatabase, guarded

Platform = Literal["telegram", "wecom", "wecom-app", "dingtalk"]
Kind = Literal["chat", "group", "user"]  # a private chat, a group, a user
FOREIGN_BASE = 2**62
SPAN = 2**56  # ids per platform
PLATFORM_CODES: dict[str, int] = {"wecom": 1, "dingtalk": 2, "wecom-app": 3}
DELIVERIES_KEPT_SECONDS = 3 * 86400  # a redelivery comes within minutes; three days is plenty

SCHEMA = """
CREATE TABLE IF NOT EXISTS platform_ids (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    platform TEXT NOT NULL,
    kind TEXT NOT NULL,
    native TEXT NOT NULL,
    UNIQUE (platform, kind, native)
);
CREATE TABLE IF NOT EXISTS deliveries (
    platform TEXT NOT NULL,
    message_id TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (platform, message_id)
);
CREATE INDEX IF NOT EXISTS deliveries_by_time ON deliveries(at);
"""


def id_range(platform: str) -> tuple[int, int]:
    """The ids a platform's chats and users take, [low, high)."""
    if platform == "telegram":
        return -FOREIGN_BASE, FOREIGN_BASE
    low = FOREIGN_BASE + PLATFORM_CODES[platform] * SPAN
    return low, low + SPAN


def platform_of(number: int) -> str | None:
    """The platform an id belongs to (None: beyond every range)."""
    for platform in ("telegram", *PLATFORM_CODES):
        low, high = id_range(platform)
        if low <= number < high:
            return platform
    return None


@dataclass(frozen=True)
class Native:
    platform: str
    kind: str
    native: str


async def _schema(db: aiosqlite.Connection) -> None:
    await db.executescript(SCHEMA)


class Identities:
    """The platform id table and the deliveries seen, in the bot's state database."""

    def __init__(self, database: StateDatabase) -> None:
        self.database = database
        self._ids: dict[tuple[str, str, str], int] = {}
        self._natives: dict[int, Native] = {}
        self._swept = 0.0

    @property
    def db(self) -> aiosqlite.Connection:
        return self.database.connection

    @classmethod
    async def open(cls, database: StateDatabase) -> Identities:
        await database.add_schema(_schema)
        return cls(database)

    async def id_of(self, platform: str, kind: Kind, native: str) -> int:
        """The integer id of a platform's chat or user, made on first sight."""
        key = (platform, kind, native)
        if key not in self._ids:
            n = await self._number(platform, kind, native)
            number = id_range(platform)[0] + n
            self._ids[key] = number
            self._natives[number] = Native(platform, kind, native)
        return self._ids[key]

    @guarded(write=True)
    async def _number(self, platform: str, kind: str, native: str) -> int:
        await self.db.execute("INSERT OR IGNORE INTO platform_ids (platform, kind, native) VALUES (?, ?, ?)",
                              (platform, kind, native))
        await self.db.commit()
        async with self.db.execute("SELECT n FROM platform_ids WHERE platform = ? AND kind = ? AND native = ?",
                                   (platform, kind, native)) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        return int(row[0])

    async def native(self, number: int) -> Native | None:
        """What an id stands for (None: a Telegram id, or one this database never gave)."""
        if number in self._natives:
            return self._natives[number]
        platform = platform_of(number)
        if platform is None or platform == "telegram":
            return None
        found = await self._native(platform, number - id_range(platform)[0])
        if found is not None:
            self._natives[number] = found
        return found

    @guarded()
    async def _native(self, platform: str, n: int) -> Native | None:
        async with self.db.execute("SELECT platform, kind, native FROM platform_ids WHERE n = ? AND platform = ?",
                                   (n, platform)) as cursor:
            row = await cursor.fetchone()
        return Native(str(row[0]), str(row[1]), str(row[2])) if row else None

    @guarded(write=True)
    async def first_delivery(self, platform: str, message_id: str, now: float | None = None) -> bool:
        """True the first time a platform delivers this message id, False for every repeat."""
        now = time.time() if now is None else now
        cursor = await self.db.execute("INSERT OR IGNORE INTO deliveries (platform, message_id, at) VALUES (?, ?, ?)",
                                       (platform, message_id[:200], now))
        if now - self._swept > 3600:
            await self.db.execute("DELETE FROM deliveries WHERE at < ?", (now - DELIVERIES_KEPT_SECONDS,))
            self._swept = now
        await self.db.commit()
        return cursor.rowcount > 0
