"""Understanding a question: years, units, intent, language, and the terms worth searching for.

``parse_question`` is pure: the index's vocabulary is not needed, only the tokenizer, the word lists
from ``config/``, the unit catalog and today's date (injectable, for 今年/去年/前年).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from reportqa.answers.english import english_units
from reportqa.answers.unit_catalog import UnitCatalog, UnitQuery
from reportqa.answers.wording import (
    ContentWords,
    Vocabulary,
    glue_characters,
    judge_words,
    load_chat_phrasing,
    strip_chat,
)
from reportqa.domain.lang import language_of
from reportqa.domain.numbers import CN_YEAR_CHARS, year_value
from reportqa.domain.rules import load_glossary, load_intents, load_synonyms, load_word_set
from reportqa.domain.section_kinds import load_section_kinds
from reportqa.domain.text import Tokenizer, has_cjk, normalise
from reportqa.retrieval.query import Concept, Intent, ParsedQuestion, finest

_RANGE = re.compile(
    r"((?:19|20)\d{2})\s*年?\s*(?:至|到|-|—|–|~|～|to|through|until)\s*((?:19|20)\d{2})\s*年?(?:度)?",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)\s*(?:年度|年)?")
_CN_YEAR = re.compile(rf"([{CN_YEAR_CHARS}]{{4}})\s*年度?")
_RELATIVE = (
    (re.compile(r"今年|本年度|本年|this year", re.IGNORECASE), 0),
    (re.compile(r"大前年|the year before last", re.IGNORECASE), -3),
    (re.compile(r"前年"), -2),
    (re.compile(r"去年|上一?年度?|last year|previous year", re.IGNORECASE), -1),
)
_UNITS_INTENT = re.compile(
    r"哪些(?:单位|部门|机关|镇|乡|街道|区县|区|县|地方|局|委)|哪(?:个|家|几个|一个)(?:单位|部门|机关|镇|局|委)|哪家|"
    r"哪些[\u4e00-\u9fff]{1,10}?(?:局|委员会|厅|政府|街道|办事处)|各(?:区县|区|县|街道|乡镇)|"
    r"(?<!是)谁|which\s+(?:[a-z'\-]+\s+){0,4}?(?:units?|departments?|agenc(?:y|ies)|offices?|bureaus?|towns?|"
    r"townships?|streets?|districts?|count(?:y|ies)|cit(?:y|ies)|provinces?|places?|regions?|organi[sz]ations?|"
    r"governments?|commissions?|committees?|bodies|body)\b|^\s*who\b(?!\s+(?:is|are|was|were)\b)",
    re.IGNORECASE,
)
# A word that names a unit (…局, …委员会, …人民政府) but no indexed report: searched, never required.
_UNIT_LIKE = re.compile(
    r"(?:^|(?<=[\s的在和与及、，,。？?!！了]))[\u4e00-\u9fff]{1,10}?(?:局|委员会|办公室|人民政府|街道办事处|管委会)"
)
_EN_WORD = re.compile(r"[a-z][a-z'\-]*|\d+(?:\.\d+)?%?")
_ASCII_RUN = re.compile(r"[A-Za-z][A-Za-z'\- ]*[A-Za-z]|[A-Za-z]")


_INVISIBLE = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean_question(text: str) -> str:
    """A question as it may be searched: no lone surrogates (a broken emoji, bytes that were not
    UTF-8), no control or bidirectional-override characters, white space collapsed."""
    if _has_surrogate(text):
        text = "".join(ch for ch in text if not "\ud800" <= ch <= "\udfff")
    text = text.replace("\ufffd", " ") if "\ufffd" in text else text
    kept = "".join(ch for ch in text if (ch.isprintable() or ch in " \t\n") and ch not in _INVISIBLE)
    return " ".join(kept.split())


def clipped_question(text: str, limit: int) -> tuple[str, bool]:
    """A question as every channel searches it: cleaned (``clean_question``) and cut to ``limit``
    characters (``max_question_chars``); and whether it was cut, for the note the asker is given."""
    question = clean_question(text)
    return question[:limit], len(question) > limit


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in text)


def parse_years(text: str, today: dt.date) -> tuple[list[int], str]:
    """Years asked about (ranges expanded), and the text with them removed."""
    years: list[int] = []

    def take(match: re.Match[str], values: list[int]) -> str:
        years.extend(values)
        return " "

    text = _RANGE.sub(
        lambda m: take(m, list(range(min(int(m[1]), int(m[2])), max(int(m[1]), int(m[2])) + 1))), text
    )
    text = _YEAR.sub(lambda m: take(m, [int(m[1])]), text)
    text = _CN_YEAR.sub(lambda m: take(m, [year_value(m[1])]), text)
    for pattern, offset in _RELATIVE:
        text = pattern.sub(lambda m, offset=offset: take(m, [today.year + offset]), text)
    return sorted(set(years)), text


def detect_intent(text: str) -> Intent:
    return "units" if _UNITS_INTENT.search(text) else "passages"


def _english_variants(word: str) -> list[str]:
    variants = [word]
    for suffix, repl in (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""),
                         ("ing", "e"), ("d", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            variants.append(word[: -len(suffix)] + repl)
    return variants


def translate_english(text: str, config_dir: Path) -> tuple[list[tuple[str, tuple[str, ...]]], list[str]]:
    """English words → (phrase, Chinese alternatives) by the glossary, longest phrase first;
    and the words the glossary does not know."""
    glossary = load_glossary(config_dir)
    words = [w.strip("'-") for w in _EN_WORD.findall(text.lower())]  # 'no-sense approval': quotes are no part
    words = [w for w in words if w]
    found: list[tuple[str, tuple[str, ...]]] = []
    unknown: list[str] = []
    i = 0
    while i < len(words):
        for size in range(min(6, len(words) - i), 0, -1):
            span = words[i : i + size]
            # try the phrase with each word in its base forms (only the last word inflects in most phrases)
            candidates = {" ".join(span)}
            candidates.update(" ".join([*span[:-1], v]) for v in _english_variants(span[-1]))
            if size == 1:
                candidates.update(_english_variants(span[0]))
            else:
                candidates.add(" ".join(_english_variants(w)[-1] if len(_english_variants(w)) > 1 else w
                                        for w in span))
            hit = next((c for c in candidates if c in glossary), None)
            if hit is not None:
                if glossary[hit]:
                    found.append((hit, glossary[hit]))
                i += size
                break
        else:
            if not words[i].isdigit():
                unknown.append(words[i])
            i += 1
    return found, unknown


def _english_read(rest: str, catalog: UnitCatalog | None, config_dir: Path,
                  ) -> tuple[str, list[tuple[str, tuple[str, ...]]], list[str]]:
    """The English of a question: the units and places it names put back in Chinese (Qingdao,
    district education commissions: as a Chinese question names them) in the text returned, the
    rest translated phrase by phrase, and the words no glossary entry knows."""
    ascii_text = " ".join(_ASCII_RUN.findall(rest))
    if not ascii_text.strip():
        return rest, [], []
    rest = _ASCII_RUN.sub(" ", rest)
    if catalog is not None:
        units = english_units(ascii_text, catalog.place_names(), catalog.is_unit_word, load_glossary(config_dir))
        rest, ascii_text = f"{units.chinese} {rest}", units.rest
    english_parts, unknown_english = translate_english(ascii_text, config_dir)
    return rest, english_parts, unknown_english


@dataclass
class NamedFilters:
    """What a question names of units, kinds and places, and the text left once they are taken out."""

    rest: str
    english_parts: list[tuple[str, tuple[str, ...]]]
    report_ids: set[int] | None = None
    unit_words: list[str] = field(default_factory=list)
    missing_unit: str | None = None
    place_label: str | None = None
    place_report_ids: set[int] = field(default_factory=set)
    filter_label: str | None = None
    filter_is_place: bool = False
    optional_tokens: list[str] = field(default_factory=list)
    filter_tokens: list[str] = field(default_factory=list)


def _named_filters(rest: str, english_parts: list[tuple[str, tuple[str, ...]]], catalog: UnitCatalog | None,
                   tokenizer: Tokenizer, query_stopwords: frozenset[str]) -> NamedFilters:
    """The units, kinds and places ``rest`` names (in Chinese, or in what its English translated to)
    as the reports they select; a name no report has as ``missing_unit``, its words then searched
    but never in a report known to be from somewhere else."""
    named = NamedFilters(rest, list(english_parts))
    if catalog is None:
        return named
    query = catalog.read(rest, tokenizer.boundaries(rest))
    for phrase, alts in list(named.english_parts):
        translated = next((q for q in (catalog.read(normalise(a)) for a in alts) if q.kind), None)
        if translated is not None and query.kind is None:
            query = replace(query, kind=translated.kind, words=(*query.words, phrase))
            named.english_parts.remove((phrase, alts))
    if not query.empty:
        named.unit_words = list(query.words)
        named.filter_label = query.label or None
        named.filter_is_place = bool(query.places) and not (query.kind or query.locality or query.exact
                                                            or query.level or query.unit_class)
        found = catalog.select(query)
        if found:
            named.report_ids = found
            named.filter_tokens = list(dict.fromkeys(  # (哪些城市, 东北地区 say nothing of a passage's words)
                t for w in query.words if w not in query.general_words
                for t in finest(tokenizer.tokens(w)) if t not in query_stopwords))
        else:
            named.missing_unit = query.label or "、".join(query.words)
            if query.places and (query.kind or query.locality or query.unit_class or query.level):
                # 东北 has no city government's report: which of its units have one
                places_only = UnitQuery(places=query.places)
                named.place_report_ids = catalog.select(places_only)
                named.place_label = catalog.label_of(places_only)
            # search the words, but never in a report known to be from somewhere else
            named.report_ids = catalog.unplaced(query) if (query.places or query.locality) else None
            named.optional_tokens += [t for w in query.words for t in tokenizer.tokens(w) if t not in query_stopwords]
    for start, end in sorted(query.spans, reverse=True):  # (哪些地方 names no filter, and no topic)
        rest = rest[:start] + " " + rest[end:]
    named.rest = rest
    return named


def _content_concepts(rest: str, normalised: str, narrowed: str, tokenizer: Tokenizer,
                      config_dir: Path, vocabulary: Vocabulary | None, query_stopwords: frozenset[str],
                      ) -> tuple[list[Concept], list[str], ContentWords, str]:
    """What a question asks about, from the words left once filters and cues are taken out: its
    concepts in the question's order, those it narrows to (只看培训的), the words judged against the
    index (slips corrected, absent words named) and the text with its slips corrected."""
    phrasing = load_chat_phrasing(config_dir)
    glue = glue_characters(tokenizer.stopwords)
    judged = functools.partial(judge_words, vocabulary=vocabulary, phrasing=phrasing, glue=glue,
                               parts=tokenizer.words, stopwords=query_stopwords | tokenizer.stopwords)
    content = judged(_question_words(rest, tokenizer, query_stopwords), phrases=tokenizer.phrases(rest))
    for typed, meant in content.slips:  # 执法陪训 is read as 执法培训
        rest = rest.replace(typed, meant)
    if content.slips:
        content = replace(judged(_question_words(rest, tokenizer, query_stopwords), phrases=tokenizer.phrases(rest)),
                          slips=content.slips)
    phrases = tokenizer.phrases(rest)
    words = [*content.words, *_single_character_compounds(phrases, set(finest(content.words)))]
    concepts = [replace(c, synonyms=tuple(_synonyms_of(c.label, tokenizer, config_dir))) for c in word_concepts(words)]
    concepts = _either_or(concepts, phrases)
    required = [c.label for c in concepts if narrowed and (c.label in narrowed or any(
        t in narrowed for alt in c.alternatives for t in alt))]
    concepts.sort(key=lambda c: (normalised.find(c.label) if c.label in normalised else len(normalised)))
    return concepts, required, content, rest


def _english_concepts(english_parts: list[tuple[str, tuple[str, ...]]], tokenizer: Tokenizer, config_dir: Path,
                      query_stopwords: frozenset[str]) -> list[Concept]:
    """The concepts of the English words a question's translation gave (each phrase's Chinese ways)."""
    concepts: list[Concept] = []
    for phrase, alternatives in english_parts:
        options: list[tuple[str, ...]] = []
        scored: list[str] = []
        for alternative in alternatives:
            norm = normalise(alternative)
            if norm in query_stopwords:
                continue
            tokens = [t for t in tokenizer.tokens(norm) if t not in query_stopwords]
            if tokens:
                options.append(tuple(finest(tokens)))
                scored.extend(tokens)
        if options:
            options = list(dict.fromkeys(options))
            synonyms = tuple(dict.fromkeys(alt for option in options for alt in
                                           _synonyms_of("".join(option), tokenizer, config_dir) if alt not in options))
            phrases = tuple("".join(o) if len(o) > 1 and "".join(o) in scored else "" for o in options)
            concepts.append(Concept(phrase, tuple(options), tuple(dict.fromkeys(scored)), synonyms, phrases))
    return concepts


def parse_question(
    question: str,
    tokenizer: Tokenizer,
    config_dir: Path,
    catalog: UnitCatalog | None = None,
    today: dt.date | None = None,
    vocabulary: Vocabulary | None = None,
) -> ParsedQuestion:
    """Years, units, intent, language and search concepts of a question. With the index's
    ``vocabulary``, words no report contains are told apart (wording.py)."""
    today = today or dt.date.today()
    question = clean_question(question)
    raw = unicodedata.normalize("NFKC", question).strip()
    # English only when it is plainly English words: 😀🎉, ？？？, 2021 or ok are nobody's English
    language = language_of(raw) or "zh"
    # 帮我查一下…, …做得怎么样, 谢谢: how it is asked, never what (config/chat_phrases.toml)
    normalised, chat_phrases = strip_chat(normalise(raw), load_chat_phrasing(config_dir), tokenizer.boundaries)
    intent = detect_intent(normalised)
    years, rest = parse_years(normalised, today)
    intents = load_intents(config_dir)
    wants_figure = any(_cue_in(c, normalised) for c in intents.get("figures", ()))
    rest, asks_overview = _take_cues(rest, intents.get("overview", ()))
    rest, compares = _take_cues(rest, intents.get("compare", ()))
    rest, narrowed = _narrowed(rest, intents.get("narrow", ()))
    kinds = load_section_kinds(config_dir)
    focus = kinds.of_question(normalised)
    # 明年, 下一步, 存在的问题 … say which sections are asked about (the focus), not what they say
    rest, _ = _take_cues(rest, tuple(c for c in kinds.cues(focus) if not c.isascii()))

    query_stopwords = load_word_set(config_dir / "stopwords_query.txt")
    rest, english_parts, unknown_english = _english_read(rest, catalog, config_dir)

    # units, kinds and places, in the Chinese text and in what the English translated to
    named = _named_filters(rest, english_parts, catalog, tokenizer, query_stopwords)
    rest, english_parts = named.rest, named.english_parts
    report_ids, missing_unit, optional_tokens = named.report_ids, named.missing_unit, list(named.optional_tokens)

    # unit names that match no indexed report: fall back to plain terms, but do not require them
    unmatched_units = [m.group(0) for m in _UNIT_LIKE.finditer(rest)]
    optional_tokens += [t for unit in unmatched_units for t in tokenizer.tokens(unit) if t not in query_stopwords]
    rest = _UNIT_LIKE.sub(" ", rest)

    concepts, required, content, rest = _content_concepts(rest, normalised, narrowed, tokenizer, config_dir,
                                                          vocabulary, query_stopwords)
    concepts += _english_concepts(english_parts, tokenizer, config_dir, query_stopwords)
    if not concepts and (report_ids is not None or years or missing_unit or focus) and not unmatched_units \
            and not content.absent:
        intent = "overview"  # who or when (or which sections), no topic: those reports (or sections)
    return ParsedQuestion(
        text=question,
        language=language,
        intent=intent,
        years=years,
        unit_words=named.unit_words,
        unit_names=sorted({catalog.display[i] for i in report_ids if i in catalog.display})
        if catalog is not None and report_ids and missing_unit is None else [],
        report_ids=report_ids,
        missing_unit=missing_unit,
        place_label=named.place_label,
        place_report_ids=named.place_report_ids,
        filter_label=named.filter_label,
        filter_is_place=named.filter_is_place,
        concepts=concepts,
        unknown_words=unknown_english,
        unmatched_units=unmatched_units,
        optional_tokens=list(dict.fromkeys(optional_tokens)),
        filter_tokens=named.filter_tokens,
        wants_figure=wants_figure,
        asks_overview=asks_overview,
        compares=compares,
        focus=focus,
        absent_words=content.absent,
        slips=content.slips,
        chat_phrases=chat_phrases,
        content_text=" ".join(rest.split()),
        required=required,
    )


def _question_words(text: str, tokenizer: Tokenizer, query_stopwords: frozenset[str]) -> list[str]:
    """A question's search-mode words that may be what it asks: no stopwords, no punctuation."""
    words = []
    for word in tokenizer.words(text):
        token = word.strip().lower()
        if not token or token in query_stopwords or token in tokenizer.stopwords:
            continue
        if not re.search(r"[\w\u3400-\u9fff]", token) or (len(token) == 1 and not has_cjk(token)):
            continue
        words.append(token)
    return list(dict.fromkeys(words))


_OR_WORDS = frozenset({"或", "或者", "还是", "或是"})


def _single_character_compounds(phrases: list[str], content: set[str]) -> list[str]:
    """A one-character word of the question's content stuck to the content word beside it, as the
    question wrote them together (全 + 覆盖 → 全覆盖, 示范 + 市 → 示范市, 新 + 提任 → 新提任): alone it says
    little, and a passage holding it anywhere is no evidence. It goes with the word after it when
    that is content, else with the one before."""
    out: list[str] = []
    for i, word in enumerate(phrases):
        if len(word) != 1 or word not in content:
            continue
        after = phrases[i + 1] if i + 1 < len(phrases) else ""
        before = phrases[i - 1] if i > 0 else ""
        if after in content:
            out.append(word + after)
        elif before in content:
            out.append(before + word)
    return out


def _either_or(concepts: list[Concept], phrases: list[str]) -> list[Concept]:
    """Concepts joined by 或 / 或者 / 还是 (新提任或拟提拔, 考试或测试) as one concept a passage covers with
    either: its ways of saying it are both's."""
    for i, word in enumerate(phrases):
        if word not in _OR_WORDS or i == 0 or i + 1 >= len(phrases):
            continue
        left = next((c for c in concepts if phrases[i - 1] in (c.label, *c.tokens)), None)
        right = next((c for c in concepts if phrases[i + 1] in (c.label, *c.tokens)), None)
        if left is None or right is None or left is right:
            continue
        merged = Concept(
            f"{left.label}或{right.label}",
            left.alternatives + right.alternatives,
            tuple(dict.fromkeys(left.tokens + right.tokens)),
            tuple(dict.fromkeys(left.synonyms + right.synonyms)),
            tuple(c.phrase_of(j) for c in (left, right) for j in range(len(c.alternatives))),
        )
        concepts = [merged if c is left else c for c in concepts if c is not right]
    return concepts


def word_concepts(words: list[str]) -> list[Concept]:
    """A question's words as concepts. A compound the question uses (行政执法, 法律顾问) is one
    concept, covered in full by a passage holding the compound and only in part by one holding its
    pieces apart (依法行政 … 执法严明); the other finest tokens are a concept each."""
    tokens = finest(words)
    compounds = [w for w in words if w not in tokens and sum(1 for t in tokens if t in w) >= 2]
    chosen: list[str] = []
    for compound in sorted(compounds, key=len, reverse=True):  # the longest first; none sharing a token
        if not any({t for t in tokens if t in compound} & {t for t in tokens if t in other} for other in chosen):
            chosen.append(compound)
    concepts: list[Concept] = []
    used: set[str] = set()
    for compound in sorted(chosen, key=words.index):
        parts = tuple(t for t in tokens if t in compound and t not in used)
        if len(parts) < 2:
            continue
        used.update(parts)
        inner = tuple(w for w in words if w in compound)
        concepts.append(Concept(compound, (parts,), tuple(dict.fromkeys([*parts, *inner])), (), (compound,)))
    for token in tokens:
        if token not in used:
            compounds_of = tuple(w for w in words if w != token and token in w)
            concepts.append(Concept(token, ((token,),), (token, *compounds_of)))
    return concepts


def _narrowed(text: str, cues: tuple[str, ...]) -> tuple[str, str]:
    """The text without a narrowing cue (只看, only), and what follows the cue up to the next stop: the
    words every answer must hold."""
    for pattern in _cue_patterns(cues):
        match = pattern.search(text)
        if match:
            after = re.split(r"[,.;:!?，。；：！？、\n]", text[match.end():], maxsplit=1)[0]
            return text[: match.start()] + " " + text[match.end():], after.strip()
    return text, ""


def _cue_in(cue: str, text: str) -> bool:
    cue = normalise(cue).lower()
    if cue.isascii():
        return re.search(rf"\b{re.escape(cue)}\b", text.lower()) is not None
    return cue in text


def _take_cues(text: str, cues: tuple[str, ...]) -> tuple[str, bool]:
    """The text without the cue phrases found in it (longest first), and whether any was."""
    found = False
    for pattern in _cue_patterns(cues):
        text, count = pattern.subn(" ", text)
        found = found or count > 0
    return text, found


@cache
def _cue_patterns(cues: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """Each cue as a pattern, longest first (English ones as whole words), compiled once: a question
    looks for a few hundred cues (120 µs a question when each was normalised and compiled again)."""
    ordered = sorted((normalise(c).lower() for c in cues), key=len, reverse=True)
    return tuple(re.compile(rf"\b{re.escape(cue)}\b" if cue.isascii() else re.escape(cue), re.IGNORECASE)
                 for cue in ordered)


@cache
def _synonym_groups(config_dir: Path) -> dict[str, tuple[str, ...]]:
    return {normalise(word): tuple(normalise(w) for w in group)
            for group in load_synonyms(config_dir) for word in group}


def _synonyms_of(phrase: str, tokenizer: Tokenizer, config_dir: Path) -> list[tuple[str, ...]]:
    """The finest tokens of each other word in ``phrase``'s synonym group, leaving out words that
    only add to it (专题培训 for 培训: a passage holding it holds 培训)."""
    group = _synonym_groups(config_dir).get(phrase)
    if not group:
        return []
    own = set(finest(tokenizer.tokens(phrase)))
    out = []
    for other in group:
        if other == phrase:
            continue
        tokens = tuple(finest(tokenizer.tokens(other)))
        if tokens and not own <= set(tokens):
            out.append(tokens)
    return list(dict.fromkeys(out))
