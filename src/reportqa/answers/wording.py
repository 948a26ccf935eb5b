"""What of a question is wording and what is content.

Staff type as they chat: "帮我查一下玉龙镇的法律顾问是谁", "双随机一公开做得怎么样", "执法陪训" (an input-method
slip for 执法培训). Three general rules, and one list, decide what of it is asked about:

- **chat phrasing** (``config/chat_phrases.toml``): openers, closers and "how is it going" phrases are
  taken out, only where they are whole words of the question (请 is taken from 请问…, never from 请示…);
- **function words**: a word jieba's own dictionary tags as a pronoun, particle, adverb, conjunction,
  preposition, interjection (已经, 这个, 怎么, 不断) is never a topic;
- **words of this index**: a question's word that no report contains is, unless it is a slip of the
  input method for one that some report does (the same pinyin, tones included, one character
  different: 陪训 → 培训, 制渡 → 制度), the most informative word of all: nothing can answer the question,
  and the reply names the word (托育, 燃气). A single character or a function word found nowhere is
  wording (搞, 帮), not a topic.

Everything here is pure and reads only ``config/`` and jieba's packaged dictionary.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jieba

# jieba's part-of-speech tags (ICTCLAS) of words that say how, not what: pronouns, conjunctions,
# prepositions, particles, modal particles, interjections, onomatopoeia, adverbs
FUNCTION_TAGS = ("r", "rr", "rz", "rg", "c", "p", "u", "ud", "ug", "uj", "ul", "uv", "uz", "y", "e", "o",
                 "d", "dg", "df")
# and, for a word that no report contains, numerals, measure words, directions and bound morphemes
# (一下, 一些, 以上): found nowhere, they are wording too
ABSENT_WORDING_TAGS = (*FUNCTION_TAGS, "m", "mq", "q", "f", "zg")
# verbs and adjectives that general Chinese uses often (分为, 搞好): found in no report of this index
# they are how a question is put or a word the index cut differently (细分|为), not a topic. Rare ones
# (殡葬, 外卖) and every noun (托育, 燃气, 医院) stay topics. jieba's counts: 分为 8,259, 了解 11,774;
# the absent topic words of the real questions 3 (预付卡, 个人信息) to 1,200 (预付, a vn); 1,000 parts them.
COMMON_VERB_TAGS = ("v", "vd", "vi", "vg", "a", "ad", "ag", "z")
COMMON_VERB_COUNT = 1000
_CJK_RUN = re.compile(r"[\u3400-\u9fff]")
_EDGE_PUNCTUATION = " \t,.;:!?~、,。;:!?~…—-·\"'“”‘’()（）[]【】"


@dataclass(frozen=True)
class ChatPhrasing:
    """The phrases of ``config/chat_phrases.toml``, normalised and longest first."""

    openers: tuple[str, ...]
    closers: tuple[str, ...]
    anywhere: tuple[str, ...]
    answer_forms: frozenset[str] = frozenset()  # 文号, 哪一年: the form of the answer, never a topic


@cache
def load_chat_phrasing(config_dir: Path) -> ChatPhrasing:
    from reportqa.domain.text import normalise

    path = config_dir / "chat_phrases.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}

    def phrases(table: str) -> tuple[str, ...]:
        found = {normalise(p).lower().strip() for p in data.get(table, {}).get("phrases", [])}
        return tuple(sorted((p for p in found if p), key=len, reverse=True))

    return ChatPhrasing(phrases("openers"), phrases("closers"), phrases("anywhere"), frozenset(phrases("answer_forms")))


def _english(phrase: str) -> bool:
    return phrase.isascii()


def strip_chat(text: str, phrasing: ChatPhrasing, boundaries: Callable[[str], frozenset[int]]) -> tuple[str, list[str]]:
    """The question without its chat phrasing, and the phrases taken out.

    ``text`` is normalised; ``boundaries(text)`` gives where its words begin and end. A Chinese
    phrase is taken only when it starts and ends on those (whole words); an English one only as
    whole words. Openers go from the start and closers from the end as long as one is there; the
    others wherever they stand. What is left keeps its other characters in place."""
    removed: list[str] = []
    edges = boundaries(text)
    chars = list(text)
    gone = [False] * len(chars)

    def whole(start: int, end: int, phrase: str) -> bool:
        if _english(phrase):
            before = text[start - 1] if start > 0 else " "
            after = text[end] if end < len(text) else " "
            return not (before.isascii() and before.isalnum()) and not (after.isascii() and after.isalnum())
        return start in edges and end in edges

    def first_kept(start: int) -> int:
        while start < len(chars) and (gone[start] or chars[start] in _EDGE_PUNCTUATION):
            start += 1
        return start

    def last_kept(end: int) -> int:
        while end > 0 and (gone[end - 1] or chars[end - 1] in _EDGE_PUNCTUATION):
            end -= 1
        return end

    def take(start: int, end: int, phrase: str) -> None:
        for i in range(start, end):
            gone[i] = True
        removed.append(phrase)

    lowered = text.lower()
    changed = True
    while changed:  # openers and closers, again and again: 你好，请问，帮我查一下 …
        changed = False
        start = first_kept(0)
        for phrase in phrasing.openers:
            end = start + len(phrase)
            if lowered.startswith(phrase, start) and whole(start, end, phrase) and last_kept(len(chars)) > end:
                take(start, end, phrase)
                changed = True
                break
        end = last_kept(len(chars))
        for phrase in phrasing.closers:
            start = end - len(phrase)
            if start > first_kept(0) and lowered.startswith(phrase, start) and whole(start, end, phrase):
                take(start, end, phrase)
                changed = True
                break
    for phrase in phrasing.anywhere:
        start = lowered.find(phrase)
        while start != -1:
            end = start + len(phrase)
            if not any(gone[start:end]) and whole(start, end, phrase):
                take(start, end, phrase)
            start = lowered.find(phrase, end)
    if not removed:
        return text, []
    kept = "".join(" " if g else c for c, g in zip(chars, gone, strict=True))
    return kept, removed


@cache
def _dictionary_text() -> str:
    """jieba's packaged dictionary (word, count, tag a line); "" when it is not there."""
    try:
        return Path(jieba.__file__).with_name("dict.txt").read_text(encoding="utf-8")
    except OSError:  # a jieba without its dictionary file: no word is known to be wording
        return ""


@cache
def _tagged_words() -> dict[str, str]:
    """jieba's dictionary's words of ``ABSENT_WORDING_TAGS`` with their tag: 23,700 of its 349,000
    words, found by one regular expression in 55 ms on first use (a question needs them)."""
    tags = "|".join(sorted(ABSENT_WORDING_TAGS, key=len, reverse=True))
    return dict(re.findall(rf"(?m)^(\S+) \d+ ({tags})$", _dictionary_text()))


@cache
def _common_verbs() -> frozenset[str]:
    """jieba's dictionary's verbs and adjectives counted ``COMMON_VERB_COUNT`` times or more (40 ms, on
    the first word no report holds)."""
    tags = "|".join(sorted(COMMON_VERB_TAGS, key=len, reverse=True))
    digits = len(str(COMMON_VERB_COUNT))
    return frozenset(word for word, count in re.findall(rf"(?m)^(\S+) (\d{{{digits},}}) (?:{tags})$",
                                                          _dictionary_text()) if int(count) >= COMMON_VERB_COUNT)


def is_function_word(word: str) -> bool:
    """A pronoun, particle, adverb, conjunction … by jieba's dictionary (已经, 这个, 怎么)."""
    return _tagged_words().get(word) in FUNCTION_TAGS


def is_generic_word(word: str) -> bool:
    """A function word (关于, 按照) or a verb or adjective of everyday writing (实现, 制定, 加快, 严格:
    jieba's common verbs): it says how a report writes, never what a unit works on (/unit's topics)."""
    return is_function_word(word) or word in _common_verbs()


def is_wording_if_absent(word: str, phrasing: ChatPhrasing | None = None) -> bool:
    """A word that, found in no report, says how rather than what: a single character (搞, 帮), a
    function word, a numeral or measure word (一下), a common verb (分为), a form of answer (文号)."""
    return (len(word) == 1 or word in _tagged_words() or word in _common_verbs()
            or (phrasing is not None and word in phrasing.answer_forms))


class Vocabulary:
    """The index's words, for telling a question's words that some report contains from those that
    none does, and for finding the word an input-method slip stands for.

    ``terms`` maps the index's tokens to how many passages hold each (an overlaid index's token whose
    passages are all gone holds none). A word is in the index when it is a token some passage holds or
    part of one (托育 in a token 托育服务): jieba cuts a dictionary word the same way wherever it stands.
    The tokens are joined into one text for those look-ups only when a question first needs one."""

    def __init__(self, terms: Mapping[str, int] | Iterable[str], df: Callable[[str], int] | None = None) -> None:
        if isinstance(terms, Mapping):
            self._terms: Mapping[str, int] | frozenset[str] = terms
        else:
            self._terms = frozenset(terms)
        self._df = df or (lambda token: 1)

    @functools.cached_property
    def _joined(self) -> str:
        return "\n" + "\n".join(sorted(t for t in self._terms if self.df(t) > 0)) + "\n"

    @functools.cached_property
    def _by_ends(self) -> tuple[dict[tuple[int, str], str], dict[tuple[int, str], str]]:
        """The live tokens joined as ``_joined`` is, by length and first character, and by length and
        last character: a slip changes one character, so the word it stands for has the typed word's
        length and its first (or, when the first is the slip, its last) character. Each look-up then
        scans a few hundred tokens, not the whole vocabulary (6 ms a slip at 100k passages)."""
        firsts: dict[tuple[int, str], list[str]] = {}
        lasts: dict[tuple[int, str], list[str]] = {}
        for term in sorted(t for t in self._terms if t and self.df(t) > 0):
            firsts.setdefault((len(term), term[0]), []).append(term)
            lasts.setdefault((len(term), term[-1]), []).append(term)

        def joined(groups: dict[tuple[int, str], list[str]]) -> dict[tuple[int, str], str]:
            return {key: "\n" + "\n".join(terms) + "\n" for key, terms in groups.items()}

        return joined(firsts), joined(lasts)

    def __contains__(self, word: str) -> bool:
        if word in self._terms and self.df(word) > 0:
            return True
        return len(word) > 1 and f"{word}" in self._joined

    def df(self, word: str) -> int:
        return self._df(word) if word in self._terms else 0

    def slip_for(self, word: str, context: tuple[str, str] = ("", "")) -> tuple[str, str] | None:
        """The index's word that ``word`` is an input-method slip for: one character different, read
        with the same pinyin and tone (陪训 → 培训, 故问 → 顾问, 制渡 → 制度), the most frequent if several.
        With ``context`` (the words before and after it) the slip may be inside a longer word
        (双随机 + 一工开 → 双随机一公开). Returns (the text as typed, as meant), or None."""
        if not _CJK_RUN.search(word) or len(word) < 2:
            return None
        before, after = context
        for prefix, suffix in ((before, after), (before, ""), ("", after), ("", "")):
            span = prefix + word + suffix
            candidates: list[tuple[int, str]] = []
            firsts, lasts = self._by_ends
            for i in range(len(prefix), len(prefix) + len(word)):
                pattern = "\n" + re.escape(span[:i]) + "([^\n])" + re.escape(span[i + 1:]) + "\n"
                haystack = firsts.get((len(span), span[0]), "") if i else lasts.get((len(span), span[-1]), "")
                for match in re.finditer(pattern, haystack):
                    if match[1] != span[i] and _same_sound(match[1], span[i]):
                        token = span[:i] + match[1] + span[i + 1:]
                        candidates.append((self.df(token), token))
            if candidates:  # the widest span that has one decides
                return span, max(candidates)[1]
        return None


@cache
def _reading(char: str) -> str:
    """A character's usual pinyin reading with its tone (an input method lists a character under its
    usual readings: 款 is kuan3, never its rare xin1)."""
    from pypinyin import Style, pinyin  # pinyin's tables load on the first slip looked for (0.3 s)

    readings = pinyin(char, style=Style.TONE3, heteronym=False, errors="ignore")
    return readings[0][0] if readings and readings[0] else ""


def _same_sound(a: str, b: str) -> bool:
    return bool(_reading(a)) and _reading(a) == _reading(b)


def _made_of(word: str, pieces: list[str], vocabulary: Vocabulary, stopwords: frozenset[str]) -> bool:
    """Whether every character of ``word`` lies in a shorter piece that is an index word or a stopword."""
    covered = [False] * len(word)
    for piece in pieces:
        if piece == word or not (piece in vocabulary or piece in stopwords):
            continue
        start = word.find(piece)
        while start != -1:
            covered[start : start + len(piece)] = [True] * len(piece)
            start = word.find(piece, start + 1)
    return all(covered)


_PARTICLE_TAGS = ("u", "ud", "ug", "uj", "ul", "uv", "uz", "y", "e")


@cache
def glue_characters(stopwords: frozenset[str]) -> frozenset[str]:
    """Characters jieba sticks to a neighbour (办得, 奖是): the index's one-character stopwords (是, 的, 了)
    and the particles of jieba's dictionary (得, 着, 吧); not numerals, measure words or directions (一,
    个, 上), which are part of words (一年, 个人)."""
    tagged = _tagged_words()
    particles = {w for w, tag in tagged.items() if len(w) == 1 and tag in _PARTICLE_TAGS}
    return frozenset({*(w for w in stopwords if len(w) == 1 and tagged.get(w) not in ("m", "mq", "q", "f")),
                      *particles})


@dataclass(frozen=True)
class ContentWords:
    """A question's words judged against the index."""

    words: list[str]  # what is searched
    absent: list[str]  # words no report contains: nothing answers the question
    slips: list[tuple[str, str]]  # input-method slips: (the text as typed, as meant)


def judge_words(words: list[str], vocabulary: Vocabulary | None, phrases: list[str],
                phrasing: ChatPhrasing | None = None, glue: frozenset[str] = frozenset(),
                parts: Callable[[str], list[str]] | None = None, stopwords: frozenset[str] = frozenset()
                ) -> ContentWords:
    """A question's words judged. ``words`` are its search-mode words (compounds and their parts),
    ``phrases`` its accurate-mode words in order (whole: 无人机, not 无人 + 人机), which are what is judged.
    Function words go; with the index's ``vocabulary``, a word no report contains is wording (a single
    character, a function word, a common verb, a form of answer), an index word with ``glue``
    characters stuck to it (奖是 → 奖), a slip for an index word, or absent. A slip's words are left
    out of ``words``: the caller replaces the typed text by the meant and reads it again. A word made
    of index words and ``stopwords`` (``parts``: its search-mode pieces; 哪些地方, 矛盾纠纷化解) is those."""
    kept = [w for w in words if not is_function_word(w)]
    if vocabulary is None:
        return ContentWords(kept, [], [])
    absent: list[str] = []
    slips: list[tuple[str, str]] = []
    dropped: set[str] = set()
    unglued: list[str] = []
    asked = set(kept)
    for at, word in enumerate(phrases):
        if word in vocabulary or not _CJK_RUN.search(word) or not (word in asked or any(w in word for w in asked)):
            continue
        if parts is not None and _made_of(word, parts(word), vocabulary, stopwords):
            continue
        dropped.add(word)
        if is_wording_if_absent(word, phrasing):
            continue
        core = word.strip("".join(glue)) if glue else word
        if core != word and core and (core in vocabulary or len(core) == 1):
            unglued.append(core)  # jieba stuck 是 to 奖: the question asks 奖
            continue
        context = (phrases[at - 1] if at > 0 else "", phrases[at + 1] if at < len(phrases) - 1 else "")
        slip = vocabulary.slip_for(word, context)
        if slip is not None:
            slips.append(slip)
        else:
            absent.append(word)
    out = [w for w in kept if w not in dropped and not any(w in d for d in dropped)]
    return ContentWords(list(dict.fromkeys([*out, *unglued])), list(dict.fromkeys(absent)), slips)
