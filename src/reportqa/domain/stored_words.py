"""The tokenizer's dictionary as a build used it, stored in the index generation.

jieba keeps its dictionary (every word and every prefix of one, about 600,000 entries) in a dict it
loads before the first cut: 0.6–1 s and ~100 MB, most of a cold ``reportqa ask``. A question of 20
characters looks up a few hundred of those entries. So a build writes the dictionary it cut the
passages with into ``words.sqlite3`` beside the index (once: an unchanged config links the previous
generation's file), and a question's tokenizer reads entries from it as jieba asks for them
(``StoredFreq``), a few microseconds each. The question is then cut with the very dictionary its
passages were cut with, even if ``config/dictionary.txt`` was edited since the build.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

from reportqa.domain.sqlite_uris import read_only_uri

WORDS_NAME = "words.sqlite3"
WORDS_FORMAT = 1
CACHE_LIMIT = 200_000  # entries remembered between questions (a bot's process lives for months)
_MISSING = object()


def dictionary_key(config_fingerprint: str) -> str:
    """What the stored dictionary is a function of: jieba's own dictionary (its version) and the
    config (dictionary, synonyms: the config's fingerprint covers every file)."""
    import jieba

    return f"{WORDS_FORMAT}:{jieba.__version__}:{config_fingerprint}"


def write_words(path: Path, freq: dict[str, int], total: int, key: str) -> None:
    """Write a dictionary (jieba's ``FREQ``: words with their counts, prefixes with 0) to ``path``."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    connection = sqlite3.connect(tmp)
    try:
        connection.execute("PRAGMA journal_mode=OFF")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("CREATE TABLE words (word TEXT PRIMARY KEY, freq INTEGER NOT NULL) WITHOUT ROWID")
        connection.execute("CREATE TABLE info (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        connection.executemany("INSERT INTO words VALUES (?, ?)", sorted(freq.items()))
        connection.executemany("INSERT INTO info VALUES (?, ?)", [("total", str(total)), ("key", key)])
        connection.commit()
    finally:
        connection.close()
    os.replace(tmp, path)


def stored_key(path: Path) -> str | None:
    """The key a stored dictionary was written under; None when there is none or it is unreadable."""
    if not path.is_file():
        return None
    try:
        connection = _open(path)
    except sqlite3.Error:
        return None
    try:
        row = connection.execute("SELECT value FROM info WHERE key = 'key'").fetchone()
        return row[0] if row else None
    except sqlite3.Error:
        return None
    finally:
        connection.close()


def carry_forward(previous: Path, path: Path) -> None:
    """The previous generation's dictionary into the new one: a hard link (generations never change
    a file once written), a copy where links are not possible."""
    try:
        os.link(previous, path)
    except OSError:
        shutil.copyfile(previous, path)


def _open(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(read_only_uri(path), uri=True,
                           check_same_thread=False)


class StoredFreq:
    """jieba's ``FREQ`` read from a stored dictionary as jieba asks for entries, with the words added
    after loading (a loaded index's unit names) kept in memory above it. jieba uses ``in``, ``[]``,
    ``get`` and assignment; those are what this offers. Safe to share between threads (SQLite
    serialises one connection's calls)."""

    def __init__(self, path: Path) -> None:
        self._connection = _open(path)
        row = self._connection.execute("SELECT value FROM info WHERE key = 'total'").fetchone()
        if row is None:
            self._connection.close()
            raise sqlite3.DatabaseError(f"{path.name} has no total")
        self.total = int(row[0])
        self._added: dict[str, int] = {}
        self._prefixes: set[str] = set()  # of added words: 0 unless stored with a count
        self._cache: dict[str, int | None] = {}

    def _stored(self, word: str) -> int | None:
        found = self._cache.get(word, _MISSING)
        if found is _MISSING:
            row = self._connection.execute("SELECT freq FROM words WHERE word = ?", (word,)).fetchone()
            found = None if row is None else int(row[0])
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.clear()
            self._cache[word] = found
        return found  # type: ignore[return-value]

    def get(self, word: str, default: int | None = None) -> int | None:
        value = self._added.get(word)
        if value is None:
            value = self._stored(word)
            if value is None and word in self._prefixes:
                value = 0
        return default if value is None else value

    def add(self, word: str, freq: int) -> None:
        """What ``jieba.Tokenizer.add_word`` does to ``FREQ`` (the word, and each of its prefixes
        at 0 unless already known), without looking each prefix up: thousands of unit names are
        added when an index loads. The caller adds ``freq`` to jieba's total."""
        self._added[word] = freq
        self._prefixes.update(word[:end] for end in range(1, len(word)))

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self.get(word) is not None

    def __getitem__(self, word: str) -> int:
        value = self.get(word)
        if value is None:
            raise KeyError(word)
        return value

    def __setitem__(self, word: str, freq: int) -> None:
        self._added[word] = freq

    def pop(self, word: str, default: int | None = None) -> int | None:
        return self._added.pop(word, default)

    def close(self) -> None:
        self._connection.close()
