"""Normalisation and tokenisation shared by indexing and querying.

Both sides see the same text: NFKC (full-width letters, digits and brackets folded), traditional
characters converted to simplified with OpenCC, ASCII lower-cased for tokens. Tokens come from
jieba's search mode, which also emits the shorter words inside a long compound, so that a question's
执法 finds a passage's 行政执法人员.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import threading
import types
import unicodedata
from collections.abc import Iterable, Iterator
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
import opencc

from reportqa.domain.rules import dictionary_path, load_synonyms, load_word_set


def _import_jieba() -> types.ModuleType:
    """jieba, imported without ``pkg_resources``: jieba only uses it to open its own dictionary
    file and falls back to ``open`` without it, and importing it costs 0.1 s of every cold
    ``ask`` (and a deprecation warning). ``None`` in ``sys.modules`` makes that import fail."""
    blocked = "pkg_resources" not in sys.modules
    if blocked:
        sys.modules["pkg_resources"] = None  # type: ignore[assignment]
    try:
        import jieba as module
    finally:
        if blocked:
            del sys.modules["pkg_resources"]
    return module


jieba = _import_jieba()
jieba.setLogLevel(logging.WARNING)

_CJK = re.compile(r"[\u3400-\u9fff]")
_TOKEN_MEMO_MAX = 200_000  # distinct jieba words remembered as tokens (the 102 real reports have 5,000)
_TOKEN_MEMO_WORD_CHARS = 32  # longer words are made tokens each time: the memo stays under ~50 MB
_WORDISH = re.compile(r"[\w\u3400-\u9fff]")


@cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → simplified characters (OpenCC t2s); simplified text passes through."""
    return _t2s().convert(text) if text else text


SHORT_TEXT = 40  # names (units, kinds, towns): normalised once each, not at every report that names them


def _normalise(text: str) -> str:
    return to_simplified(nfkc(text))


_NFKC_BY_TABLE_FROM = 64  # characters; shorter texts go to unicodedata directly


@cache
def _nfkc_of_each() -> tuple[list[str], np.ndarray]:
    """Every BMP character's NFKC form on its own, indexed by code point, and which code points'
    forms differ (2,972 do, all in the BMP: one flag a code point, 1.1 MB). 30 ms once."""
    forms = [unicodedata.normalize("NFKC", chr(point)) for point in range(0x10000)]
    differs = np.zeros(sys.maxunicode + 1, dtype=bool)
    differs[[point for point, form in enumerate(forms) if form != chr(point)]] = True
    return forms, differs


def nfkc(text: str) -> str:
    """``unicodedata.normalize("NFKC", text)``, 6x (300 characters) to 20x (5,000) faster on report
    text (a third of the cost of parsing a report was NFKC). The characters whose NFKC form differs
    are found with numpy and each distinct one is replaced by its form (a report has a handful:
    ，：（） and full-width digits; no form holds such a character, so the order of the replacements
    does not matter). The result is compatibility-equivalent to the text, so when it is itself in
    NFKC it is the text's NFKC (the normal form is unique). Otherwise (a combining mark meeting its
    base, a character outside the BMP that maps) ``unicodedata`` does it."""
    if len(text) < _NFKC_BY_TABLE_FROM or text.isascii():
        return unicodedata.normalize("NFKC", text)
    forms, differs = _nfkc_of_each()
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    mapped = text
    for point in set(points[differs[points]].tolist()):
        mapped = mapped.replace(chr(point), forms[point])
    return mapped if unicodedata.is_normalized("NFKC", mapped) else unicodedata.normalize("NFKC", text)


_normalise_short = lru_cache(maxsize=65536)(_normalise)


def normalise(text: str) -> str:
    """The searchable form of a text: NFKC, then simplified characters. Short texts are remembered:
    loading an index of thousands of reports normalised the same few hundred names 50,000 times."""
    return _normalise_short(text) if len(text) <= SHORT_TEXT else _normalise(text)


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


class Tokenizer:
    """jieba with the domain dictionary, unit names and the index stopwords.

    Each instance owns a ``jieba.Tokenizer``; the dictionary loads lazily on the first cut (about
    0.7 s and tens of MB), so processes share one per config folder through ``get_tokenizer``, or
    it is read from the dictionary an index stored (``stored``: nothing to load). Added words (unit
    names) only ever grow the dictionary.
    """

    def __init__(self, config_dir: Path, stored: Path | None = None) -> None:
        self._jieba = jieba.Tokenizer()
        self._lock = threading.RLock()  # words_added holds it while its block cuts
        self._config_dir = config_dir
        self._stored = stored
        self._extra: set[str] = set()
        self._ready = False
        self.stopwords = load_word_set(config_dir / "stopwords_index.txt")
        self._token_memo: dict[str, str] = {}  # jieba word → index token or "" (see _token_of)

    def _ensure_ready(self) -> None:
        with self._lock:
            if self._ready:
                return
            if self._stored is not None:  # the build's dictionary, read as jieba asks (stored_words.py)
                from reportqa.domain.stored_words import StoredFreq

                freq = StoredFreq(self._stored)
                self._jieba.FREQ, self._jieba.total, self._jieba.initialized = freq, freq.total, True
            else:
                self._jieba.initialize()
                self._jieba.load_userdict(str(dictionary_path(self._config_dir)))
                for group in load_synonyms(self._config_dir):  # 旁听庭审 is one word, as its synonyms are
                    for word in group:
                        if len(word) >= 2:
                            self._jieba.add_word(normalise(word), freq=300)
            self._ready = True  # (words are added only once ready: add_words readies first)

    def add_words(self, words: Iterable[str]) -> None:
        """Add words (such as unit names) to this tokenizer's dictionary."""
        self._ensure_ready()
        with self._lock:
            for word in words:
                if word and word not in self._extra:
                    self._add_word(word, 1000)
                    self._extra.add(word)

    def _add_word(self, word: str, freq: int) -> None:
        add = getattr(self._jieba.FREQ, "add", None)
        if add is None:
            self._jieba.add_word(word, freq=freq)
        else:  # a stored dictionary (StoredFreq.add)
            add(word, freq)
            self._jieba.total += freq

    @contextlib.contextmanager
    def words_added(self, words: Iterable[str]) -> Iterator[None]:
        """Cut with these words in the dictionary for the ``with`` block only, then put the
        dictionary back exactly as it was (entries, prefixes and jieba's total, which every route's
        probability divides by). A build tokenises each report with its own unit's name this way,
        so a passage's tokens never depend on which reports its worker read before."""
        self._ensure_ready()
        with self._lock:
            jieba_ = self._jieba
            saved_total = jieba_.total
            saved: dict[str, int | None] = {}
            for word in words:
                if not word or word in self._extra:
                    continue
                for end in range(1, len(word) + 1):
                    saved.setdefault(word[:end], jieba_.FREQ.get(word[:end]))
                jieba_.add_word(word, freq=1000)
            try:
                yield
            finally:
                for key, value in saved.items():
                    if value is None:
                        jieba_.FREQ.pop(key, None)
                    else:
                        jieba_.FREQ[key] = value
                jieba_.total = saved_total

    def dictionary(self) -> tuple[dict[str, int], int]:
        """A copy of the dictionary (every word and prefix with its count) and jieba's total: what
        a build stores for questions (``stored_words.write_words``)."""
        self._ensure_ready()
        with self._lock:
            return dict(self._jieba.FREQ), int(self._jieba.total)

    def close(self) -> None:
        """Release a stored dictionary's file (a loaded one is only memory)."""
        close = getattr(self._jieba.FREQ, "close", None)
        if close is not None:
            close()

    def words(self, normalised_text: str) -> list[str]:
        """jieba search-mode words of an already normalised text, unfiltered except blanks."""
        self._ensure_ready()
        return [w for w in self._jieba.cut_for_search(normalised_text) if w.strip()]

    def phrases(self, normalised_text: str) -> list[str]:
        """jieba's accurate-mode words (whole: 四中全会, not 四中 and 全会), for reading what a text is
        about rather than for matching; every one is also an index token (search mode emits it too)."""
        self._ensure_ready()
        return [w for w in self._jieba.lcut(normalised_text) if w.strip()]

    def boundaries(self, normalised_text: str) -> frozenset[int]:
        """Where accurate-mode words begin and end in the text (character offsets): a phrase taken
        out of a question must start and end on them (请问 is a phrase of 请问…, 请 is not one of 请示)."""
        self._ensure_ready()
        edges = {0, len(normalised_text)}
        position = 0
        for word in self._jieba.cut(normalised_text):
            position += len(word)
            edges.add(position)
        return frozenset(edges)

    def _token_of(self, word: str) -> str:
        """A jieba word as an index token: stripped, lower-cased; "" for punctuation, blanks and
        stopwords. Remembered: a few thousand distinct words make up most of a corpus's millions, and
        the checks cost a tenth of jieba's own time when done at every word."""
        token = self._token_memo.get(word)
        if token is None:
            token = word.strip().lower()
            if not (token and _WORDISH.search(token) and token not in self.stopwords):
                token = ""
            if len(word) <= _TOKEN_MEMO_WORD_CHARS:  # a hostile file's long runs of letters are not kept
                if len(self._token_memo) >= _TOKEN_MEMO_MAX:
                    self._token_memo.clear()
                self._token_memo[word] = token
        return token

    def _each_token(self, normalised_text: str) -> Iterator[str]:
        self._ensure_ready()
        memo, token_of = self._token_memo, self._token_of
        for word in self._jieba.cut_for_search(normalised_text):
            token = memo.get(word)
            if token is None:
                token = token_of(word)
            if token:
                yield token

    def tokens(self, normalised_text: str) -> list[str]:
        """Index tokens: search-mode words, lower-cased, without punctuation and stopwords."""
        return list(self._each_token(normalised_text))

    def token_counts(self, normalised_text: str) -> dict[str, int]:
        """``Counter(tokens(text))`` without the list, in the order each token first appears."""
        counts: dict[str, int] = {}
        for token in self._each_token(normalised_text):
            counts[token] = counts.get(token, 0) + 1
        return counts


@cache
def get_tokenizer(config_dir: Path) -> Tokenizer:
    """The process-wide tokenizer for questions over an index that stores no dictionary of its own
    (a loaded index adds its units' names to it)."""
    return Tokenizer(config_dir)


def question_tokenizer(config_dir: Path, stored: Path | None) -> Tokenizer:
    """The tokenizer for one index's questions: over the dictionary the index stores, when it does
    (its own instance: nothing to load, and the index's unit names stay its own); else the shared
    one that loads jieba's."""
    if stored is not None and stored.is_file():
        return Tokenizer(config_dir, stored)
    return get_tokenizer(config_dir)


@cache
def get_index_tokenizer(config_dir: Path) -> Tokenizer:
    """The tokenizer builds cut passages with: the configured dictionary only, never a question
    tokenizer's unit names (each report's own are added for its passages, ``words_added``)."""
    return Tokenizer(config_dir)
