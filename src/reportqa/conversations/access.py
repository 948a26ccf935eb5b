"""Who may use the bot, and how often."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

PlatformId = int | str  # Telegram's ids are integers, WeCom's and DingTalk's strings


@dataclass(frozen=True)
class AccessPolicy:
    """Allowed users, allowed chats and administrators, by the ids their platform gives. With no
    allowlist at all, everyone is served (the bot logs a warning at start)."""

    allowed_users: frozenset[PlatformId] = frozenset()
    allowed_chats: frozenset[PlatformId] = frozenset()
    admins: frozenset[PlatformId] = frozenset()

    @property
    def open_to_everyone(self) -> bool:
        return not self.allowed_users and not self.allowed_chats

    def allows(self, user_id: PlatformId | None, chat_id: PlatformId | None = None) -> bool:
        if self.open_to_everyone:
            return True
        if user_id is not None and (user_id in self.allowed_users or user_id in self.admins):
            return True
        return chat_id is not None and chat_id in self.allowed_chats

    def is_admin(self, user_id: PlatformId | None) -> bool:
        return user_id is not None and user_id in self.admins


@dataclass
class RateLimiter:
    """At most ``limit`` questions per user in any ``window`` seconds (a sliding window)."""

    limit: int
    window: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _seen: dict[int, deque[float]] = field(default_factory=dict)

    def allow(self, user_id: int | None) -> bool:
        if user_id is None:
            return True
        now = self.clock()
        stamps = self._seen.setdefault(user_id, deque())
        while stamps and now - stamps[0] >= self.window:
            stamps.popleft()
        if len(stamps) >= self.limit:
            return False
        stamps.append(now)
        if len(self._seen) > 10_000:  # forget idle users so memory stays bounded
            for uid in [u for u, s in self._seen.items() if not s or now - s[-1] >= self.window]:
                del self._seen[uid]
        return True

    def retry_after(self, user_id: int) -> int:
        stamps = self._seen.get(user_id)
        if not stamps:
            return 0
        return max(1, int(self.window - (self.clock() - stamps[0])) + 1)


@dataclass
class InFlight:
    """One piece of heavy work at a time per key (a user's export): a second press while the first
    runs is told to wait, however many arrive at once (``begin`` and ``end`` never await)."""

    _running: set[int] = field(default_factory=set)

    def begin(self, key: int) -> bool:
        if key in self._running:
            return False
        self._running.add(key)
        return True

    def end(self, key: int) -> None:
        self._running.discard(key)
