"""The index a long-running process serves: loaded once, switched when a build publishes a new one.

Every question asks ``IndexHolder.get()``, which looks at the ``CURRENT`` pointer (one ``stat``: a
build replaces the file, so its inode changes) and loads the new generation when a build has
switched it; questions in flight finish on the old one, which is closed after a grace period.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from pathlib import Path

from reportqa.errors import IndexDamaged
from reportqa.index import database as store
from reportqa.retrieval.searcher import Prepare, SearchIndex, ensure_index
from reportqa.settings import Settings

log = logging.getLogger(__name__)
RETIRE_AFTER_SECONDS = 60.0


class IndexHolder:
    def __init__(self, settings: Settings, index_dir: Path | None = None, prepare: Prepare | None = None) -> None:
        self.settings = settings
        self.index_dir = index_dir or settings.index_dir
        self.prepare = prepare  # made beside each generation's checks (answers.reading.prepare)
        self._current: SearchIndex | None = None
        self._lock = asyncio.Lock()
        self._retiring: dict[asyncio.Task, SearchIndex] = {}
        self._pointer_seen: tuple[int, int, int] | None = None  # (inode, size, mtime) of CURRENT when loaded
        self.accelerating: threading.Thread | None = None  # compiling the ranking loop for the served index

    def _pointer_stamp(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.index_dir / store.CURRENT_NAME)
        except OSError:
            return None
        return st.st_ino, st.st_size, st.st_mtime_ns

    async def get(self) -> SearchIndex:
        """The newest sound index (built from the configured reports on first use). A generation
        that fails its checks is refused: the last good one goes on serving (the damage is logged
        once per pointer change), and with none, ``IndexDamaged`` says what is wrong."""
        current = self._current
        if current is not None:
            stamp = self._pointer_stamp()
            if stamp is None or stamp == self._pointer_seen:
                return current
            generation = store.current_generation(self.index_dir)
            if generation is None or generation == current.generation:
                self._pointer_seen = stamp
                return current
        async with self._lock:
            if self._current is None:
                await ensure_index(self.settings, self.index_dir)
            stamp = self._pointer_stamp()
            generation = store.current_generation(self.index_dir)
            if self._current is None or generation != self._current.generation:
                try:
                    fresh = await SearchIndex.load(self.index_dir, self.settings, self.prepare)
                except IndexDamaged as exc:
                    if self._current is None:
                        raise
                    log.error("not serving the new index (still serving %s): %s", self._current.generation.name,
                              exc)
                    self._pointer_seen = stamp
                    return self._current
                old, self._current = self._current, fresh
                log.info("serving index %s", fresh.generation.name)
                self._accelerate(fresh)
                if old is not None:
                    self._retire(old)
            self._pointer_seen = stamp
            return self._current

    def _accelerate(self, index: SearchIndex) -> None:
        """Have a large index's common-word questions added up by the compiled loop, compiled in a
        thread meanwhile (seconds the first time on a machine): questions are answered by numpy until
        it is ready, with the same results."""
        postings = index.postings
        if not self.settings.compiled_ranking or postings.n_docs < self.settings.compiled_ranking_min_passages:
            return
        self.accelerating = threading.Thread(target=postings.accelerate, name="compile-ranking", daemon=True)
        self.accelerating.start()

    def _retire(self, index: SearchIndex) -> None:
        async def close_later() -> None:
            await asyncio.sleep(RETIRE_AFTER_SECONDS)
            await index.close()

        task = asyncio.get_running_loop().create_task(close_later())
        self._retiring[task] = index
        task.add_done_callback(lambda t: self._retiring.pop(t, None))

    async def close(self) -> None:
        for task, index in list(self._retiring.items()):
            task.cancel()
            await index.close()
        self._retiring.clear()
        if self._current is not None:
            await self._current.close()
            self._current = None
