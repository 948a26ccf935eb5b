"""Search: a question → ranked, filtered, grouped passages (``answers.py`` composes the replies).

The index is loaded once (arrays and the small reports table in memory, passage text fetched from
SQLite for the few results shown); a question costs what the postings of its terms cost.
"""

from __future__ import annotations

import asyncio
import functools
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from reportqa.bm25.overlay import LiveStats, OverlaidPostings
from reportqa.bm25.postings import Postings, stored_postings
from reportqa.domain.section_kinds import load_section_kinds
from reportqa.domain.stored_words import WORDS_NAME
from reportqa.domain.text import Tokenizer, normalise, question_tokenizer
from reportqa.domain.unit_names import unit_words
from reportqa.errors import IndexDamaged, IndexMissing
from reportqa.index import database as store
from reportqa.index.boilerplate import content, content_holding
from reportqa.index.checks import LIVE_PREFIX, OVERLAY_PREFIX, SERVING_ARRAYS, arrays_under, verified_load
from reportqa.retrieval.query import SYNONYM_WEIGHT, ParsedQuestion
from reportqa.retrieval.retriever import Retriever
from reportqa.settings import Settings

if TYPE_CHECKING:
    from reportqa.index.builder import BuildSummary

CANDIDATE_POOL = 400  # best-scoring passages examined for coverage before cutting to the page


@dataclass(slots=True)  # not frozen: a frozen dataclass sets each field through object.__setattr__,
class ReportInfo:  # 3.9 µs a report against 0.7 (an index of 83k reports builds them all on load)
    id: int
    source: str
    unit: str | None
    year: int | None
    date: str | None
    title: str | None
    region: str | None
    passage_count: int
    kind: str | None = None  # the unit's canonical kind
    place_code: str | None = None  # the gazetteer division the unit is in
    locality: str | None = None  # its town or street
    national: bool = False
    date_kind: str | None = None  # signed | published
    place_exact: bool = True  # place_code is the unit's own place (not only the province it is in)
    sha256: str = ""  # of the file as indexed (the bot sends the file only while it still is that)

    @classmethod
    def from_summary(cls, row: tuple) -> ReportInfo:
        """From a row of ``store.read_report_summaries``."""
        rid, source, unit, year, date, title, region, passage_count, sha256, details = row
        details = details or {}
        return cls(rid, source, unit, year, date, title, region, passage_count,
                   details.get("unit_kind"), details.get("place_code"), details.get("locality"),
                   bool(details.get("national")), details.get("date_kind"), bool(details.get("place_exact", True)),
                   sha256)

    @property
    def unit_key(self) -> str:
        """Which reports are one unit's: the same kind in the same place (and town), or the same
        ministry. A unit whose own place is unknown stands alone: two 鼓楼街道 or two 区退役军人事务局
        may be anyone's."""
        return _unit_key(self.unit, self.place_code, self.place_exact, self.locality, self.kind,
                         self.national) or f"#{self.id}"


@functools.lru_cache(maxsize=65536)
def _unit_key(unit: str | None, place_code: str | None, place_exact: bool, locality: str | None, kind: str | None,
              national: bool) -> str | None:
    """``ReportInfo.unit_key`` of a unit, None for one that stands alone (cached: a unit's reports are many)."""
    if unit and place_code and place_exact:
        return f"{place_code}|{normalise(locality or '')}|{normalise(kind or unit)}"
    if unit and national:
        return f"~|{normalise(unit)}"
    return None


@dataclass
class Result:
    rank: int
    score: float
    passage_id: int
    report: ReportInfo
    section: str
    text: str
    norm_text: str
    ordinal: int
    matched: list[str]  # the question's tokens found in this passage

    def to_json(self) -> dict:
        return {
            "rank": self.rank,
            "score": round(self.score, 4),
            "source": self.report.source,
            "unit": self.report.unit,
            "year": self.report.year,
            "date": self.report.date,
            "date_kind": self.report.date_kind,
            "region": self.report.region,
            "title": self.report.title,
            "section": self.section,
            "text": self.text,
            "passage_id": self.passage_id,
        }


@dataclass(frozen=True)
class Ranking:
    """Passages (positions in the index) and their scores, best first."""

    docs: np.ndarray
    scores: np.ndarray
    # the rows already read while checking candidates, by passage id: a page shows them unread again
    rows: Mapping[int, store.PassageRow] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.docs)

    def page(self, offset: int, size: int) -> Ranking:
        return Ranking(self.docs[offset : offset + size], self.scores[offset : offset + size], self.rows)


EMPTY = Ranking(np.empty(0, np.int32), np.empty(0, np.float64))


PHRASE_APART = 0.6  # a compound's pieces all found but apart (依法行政 … 执法严明) cover it this much


def coverage_tokens(parsed: ParsedQuestion) -> set[str]:
    """Every token whose presence the coverage rule looks at."""
    tokens = {t for c in parsed.concepts for alt in (*c.alternatives, *c.synonyms) for t in alt}
    tokens |= {p for c in parsed.concepts for p in c.phrases if p}
    return tokens | set(parsed.tokens)


def covers(parsed: ParsedQuestion, present: Callable[[str], Any], idf: Callable[[str], float],
           settings: Settings, zero: Any = 0.0, known: Callable[[str], bool] = lambda token: True,
           unit_holds: Callable[[str], Any] | None = None) -> Any:
    """Whether passages carry enough of the question's informative weight (the IDF of its concepts'
    words) to be answers: ``min_coverage`` of it with the unit words the filter satisfies, and
    ``min_content_coverage`` of the rest on their own (a unit word no report holds, ``known`` false: 东北,
    成渝, satisfies nothing: it says nothing of any passage). ``present(token)`` is a bool per passage (an
    array, or one bool for one text); ``zero`` the matching zero. A concept counts by its best way of
    saying it, a synonym included; a compound asked for (执法培训) counts in full where it stands whole,
    ``PHRASE_APART`` where its pieces all stand apart, and not at all where one is missing."""
    satisfied = float(sum(idf(t) for t in parsed.filter_tokens if known(t)))
    content = 0.0
    covered = zero + 0.0
    held = zero == zero  # every required concept (只看培训的) held
    for concept in parsed.concepts:
        weights = [sum(idf(t) for t in alt) for alt in concept.alternatives]
        weight = max(weights)
        content += weight
        best = zero + 0.0
        for i, (alt, alt_weight) in enumerate(zip(concept.alternatives, weights, strict=True)):
            share = sum(idf(t) * present(t) for t in alt) / alt_weight
            phrase = concept.phrase_of(i)
            if phrase:  # whole: in full; its pieces apart: in part; a piece missing: not at all
                apart = np.logical_and.reduce([present(t) for t in alt]) if len(alt) > 1 else present(alt[0])
                share = np.maximum(apart * PHRASE_APART, present(phrase) * 1.0)
            # a way of saying it counts as much as it says: a common one (聘请 for "hire", which 聘用
            # also translates) no more than its own weight
            best = np.maximum(best, share * (alt_weight / weight))
        for alt in concept.synonyms:  # another word for it covers it as well
            alt_weight = sum(idf(t) for t in alt)
            if alt_weight > 0:
                best = np.maximum(best, sum(idf(t) * present(t) for t in alt) / alt_weight)
        if concept.label in parsed.required:  # 只看交通的: in the passage, or in its unit's name (交通局)
            if unit_holds is not None:
                best = np.maximum(best, unit_holds(concept.label) * 1.0)
            held = held & (best > 0)
        covered = covered + weight * best
    if content <= 0:
        return zero > 0  # nothing to cover: no passage answers
    whole = covered + satisfied >= settings.min_coverage * (content + satisfied) - 1e-9
    own = covered >= settings.min_content_coverage * content - 1e-9
    return whole & own & held


Prepare = Callable[[Settings, "dict[int, ReportInfo]"], Any]
"""What the layer above wants made from an index's reports while it loads (``answers.reading``: the
units' catalog questions are read with): run beside the checks, kept as ``SearchIndex.prepared``."""


def index_tokenizer(settings: Settings, generation: Path, reports: dict[int, ReportInfo]) -> Tokenizer:
    """The tokenizer questions are cut with: the build's stored dictionary and the units' names."""
    words = [w for unit, kind in {(r.unit, r.kind) for r in reports.values() if r.unit}
             for w in unit_words(unit, kind)]
    tokenizer = question_tokenizer(settings.config_dir, generation / WORDS_NAME)
    tokenizer.add_words(words)
    return tokenizer


class SearchIndex:
    """A loaded index generation, ready to answer."""

    def __init__(
        self,
        settings: Settings,
        generation: Path,
        db: store.aiosqlite.Connection,
        reports: dict[int, ReportInfo],
        vocab: list[str],
        postings: Retriever,
        passage_ids: np.ndarray,
        passage_report: np.ndarray,
        passage_kind: np.ndarray,
        tokenizer: Tokenizer,
        prepared: Any = None,
    ) -> None:
        self.settings = settings
        self.generation = generation
        self.db = db
        self.reports = reports
        self.term_id = dict(zip(vocab, range(len(vocab)), strict=True))
        self.postings = postings
        self.passage_ids = passage_ids
        self.passage_report = passage_report
        self.passage_kind = passage_kind
        self.kinds = load_section_kinds(settings.config_dir)
        self.boilerplate: frozenset[int] = frozenset()  # clause keys found in many reports (boilerplate.py)
        self._scales: dict[int, np.ndarray | None] = {}
        report_ids = np.array(sorted(reports), dtype=np.int64)
        report_years = np.array([reports[int(i)].year or 0 for i in report_ids], dtype=np.int32)
        # each passage's report's row (a dead passage of an overlaid index, whose report is gone, is
        # given some row: it is never answered)
        row = np.minimum(np.searchsorted(report_ids, passage_report), max(len(report_ids) - 1, 0))
        self._doc_year = report_years[row] if len(report_ids) else np.zeros(len(passage_report), dtype=np.int32)
        group_of: dict[str, int] = {}
        report_groups = np.array(
            [group_of.setdefault(reports[int(i)].unit_key, len(group_of)) for i in report_ids], dtype=np.int64
        )
        self._doc_group = report_groups[row] if len(report_ids) else np.zeros(len(passage_report), dtype=np.int64)
        report_known = np.array([reports[int(i)].unit is not None for i in report_ids], dtype=bool)
        self._doc_unit_known = report_known[row] if len(report_ids) else np.ones(len(passage_report), dtype=bool)
        self.years = sorted({r.year for r in reports.values() if r.year})
        self.units = sorted({r.unit for r in reports.values() if r.unit})
        self.tokenizer = tokenizer
        self.prepared = prepared  # what the layer above made from the reports (``Prepare``)
        n = max(postings.n_live, 1)
        self._coverage_idf = np.log((n + 1) / np.maximum(postings.df, 0.5))
        self._unknown_idf = math.log((n + 1) / 0.5)

    # -- loading -----------------------------------------------------------------------------

    @classmethod
    async def load(cls, index_dir: Path, settings: Settings, prepare: Prepare | None = None) -> SearchIndex:
        generation, problem = store.read_pointer(index_dir)
        if problem is not None:
            raise IndexDamaged(f"{problem}. Run `reportqa index REPORTS_DIR --index-dir {index_dir}` to rebuild")
        if generation is None:
            raise IndexMissing(f"no index in {index_dir}: run `reportqa index REPORTS_DIR --index-dir {index_dir}`")
        # the checks (checksums: I/O and zlib, which release the interpreter) run beside reading the
        # reports and indexing their units (Python), and nothing is answered before they pass
        checking = asyncio.ensure_future(asyncio.to_thread(verified_load, generation, arrays=SERVING_ARRAYS,
                                                              remember=True))
        db, tokenizer, prepared = None, None, None
        try:
            db = await store.connect(generation / store.DB_NAME, readonly=True)
            try:
                rows = await store.read_report_summaries(db)
            except Exception as exc:
                raise IndexDamaged(f"the index {generation.name} is damaged: its reports cannot be read ({exc}). "
                                   "Run `reportqa index REPORTS_DIR` to rebuild it from the report files") from exc
            reports = {row[0]: ReportInfo.from_summary(row) for row in rows}
            made = asyncio.to_thread(prepare, settings, reports) if prepare is not None else asyncio.sleep(0)
            tokenizer, prepared = await asyncio.gather(
                asyncio.to_thread(index_tokenizer, settings, generation, reports), made)
            arrays, vocab, _ = await checking
        except BaseException:
            await asyncio.wait([checking])
            if db is not None:
                await store.close_quietly(db)
            if tokenizer is not None:
                tokenizer.close()
            if not checking.cancelled() and checking.exception() is not None:
                raise checking.exception() from None  # what the checks found says most
            raise
        postings: Postings | OverlaidPostings = stored_postings(arrays)
        passage_ids = arrays["passage_ids"]
        passage_report = arrays["passage_report"]
        passage_kind = arrays["passage_kind"]
        boilerplate = frozenset(arrays["boilerplate"].tolist()) if "boilerplate" in arrays else frozenset()
        if LIVE_PREFIX + "alive" in arrays:  # overlaid: the base's passages, then the overlay's
            postings = OverlaidPostings(
                postings, stored_postings(arrays, OVERLAY_PREFIX),
                LiveStats.from_arrays(arrays_under(arrays, LIVE_PREFIX), settings.bm25_variant),
                arrays["post_tf"], arrays["passage_len"], settings.bm25_variant, settings.bm25_k1, settings.bm25_b,
                settings.bm25_delta)
            passage_ids, passage_report, passage_kind = (
                np.concatenate([arrays[name], arrays[OVERLAY_PREFIX + name]])
                for name in ("passage_ids", "passage_report", "passage_kind"))
            boilerplate = frozenset(arrays.get(OVERLAY_PREFIX + "boilerplate", np.empty(0)).tolist())
        try:
            postings.densify(settings.dense_budget_mb * 1024 * 1024)
            index = cls(settings, generation, db, reports, vocab, postings, passage_ids, passage_report, passage_kind,
                        tokenizer, prepared)
        except BaseException:
            await store.close_quietly(db)  # its thread would keep the process alive
            tokenizer.close()
            raise
        index.boilerplate = boilerplate
        return index

    async def close(self) -> None:
        await self.db.close()
        self.tokenizer.close()

    # -- the pure part: a parsed question → ranked passage positions -------------------------

    def without_boilerplate(self, norm_text: str, words: tuple[str, ...] | None = None) -> str:
        """A passage's normalised text less the clauses found in many reports (``boilerplate.py``);
        with ``words`` (lower case), only its clauses holding one of them (all a check for those
        words needs, for a few clauses' work), found in the text in lower case."""
        if not self.boilerplate:  # the text as it is (no clause taken out: none is keyed)
            return norm_text
        if words is not None and len(lower := norm_text.lower()) == len(norm_text):
            return content_holding(norm_text, self.boilerplate, words, lower)
        return content(norm_text, self.boilerplate)

    @property
    def passage_count(self) -> int:
        """Passages the index answers from (an overlaid index's dead ones not counted)."""
        return int(self.postings.n_live)

    def term_frequencies(self) -> Iterator[tuple[str, int]]:
        """Every indexed term with the number of passages holding it."""
        df = self.postings.df
        return ((term, int(df[i])) for term, i in self.term_id.items())

    def document_frequency(self, token: str) -> int:
        """How many live passages hold a token (an overlaid index's word whose passages are all gone is
        in none)."""
        tid = self.term_id.get(token)
        return int(self.postings.df[tid]) if tid is not None else 0

    def idf(self, token: str) -> float:
        tid = self.term_id.get(token)
        return float(self._coverage_idf[tid]) if tid is not None else self._unknown_idf

    def _kind_factors(self, focus: int) -> np.ndarray:
        """Score multiplier per section kind value (bits), for a question's focus."""
        size = 1 << max(len(self.kinds.names), 1)
        return np.array([self.kinds.factor_for(focus, kind) for kind in range(size)])

    def _allowed(self, parsed: ParsedQuestion) -> np.ndarray | None:
        """Which passages the question's year and unit filters allow (None: all)."""
        allowed = None
        if parsed.years:
            allowed = np.isin(self._doc_year, np.array(parsed.years, dtype=np.int32))
        if parsed.report_ids is not None:
            by_unit = np.isin(self.passage_report, np.array(sorted(parsed.report_ids), dtype=np.int64))
            allowed = by_unit if allowed is None else allowed & by_unit
        return allowed

    def _scale(self, focus: int) -> np.ndarray | None:
        """Per-passage score multipliers for a question's focus (section kinds), cached."""
        if focus not in self._scales:
            factors = self._kind_factors(focus)
            self._scales[focus] = None if np.all(factors == 1.0) else factors.astype(np.float32)[self.passage_kind]
        return self._scales[focus]

    def rank(self, parsed: ParsedQuestion, pool: int = CANDIDATE_POOL) -> Ranking:
        """Passages that answer the question, best first (filters applied, coverage checked), from the
        ``pool`` best-scoring (an export asks for more than a page: every unit of a large library)."""
        query: dict[int, float] = {}
        for token in parsed.tokens:
            if token in self.term_id:
                query[self.term_id[token]] = query.get(self.term_id[token], 0) + 1
        for token in parsed.weak_tokens:  # synonyms of the asked words, at a lower weight
            if token in self.term_id:
                query[self.term_id[token]] = query.get(self.term_id[token], 0) + SYNONYM_WEIGHT
        docs, scores, _ = self.postings.top(query, pool, self._allowed(parsed), self._scale(parsed.focus))
        if len(docs) == 0:
            return EMPTY

        # coverage: the share of the question's informative weight (IDF) a passage carries
        by_doc = np.argsort(docs)
        sorted_docs = docs[by_doc]
        present: dict[str, np.ndarray] = {}
        for token in coverage_tokens(parsed):
            hit = np.zeros(len(docs), dtype=bool)
            if token in self.term_id:
                hit[by_doc] = self.postings.contains(self.term_id[token], sorted_docs)
            present[token] = hit
        # a compound whose pieces a passage all holds may stand whole in it where jieba cut it inside a
        # longer word (镇政府法律顾问) or never made it a word (示范市): here it counts as whole, an upper
        # bound; verify.py's text check tells whole from apart
        for concept in parsed.concepts:
            for i, alternative in enumerate(concept.alternatives):
                phrase = concept.phrase_of(i)
                if phrase:
                    pieces = np.logical_and.reduce([present[t] for t in alternative])
                    present[phrase] = present[phrase] | pieces if phrase in present else pieces
        def unit_holds(label: str) -> np.ndarray:
            return np.array([label in self.unit_name(int(d)) for d in docs])

        keep = covers(parsed, present.__getitem__, self.idf, self.settings, np.zeros(len(docs)),
                      self.term_id.__contains__, unit_holds if parsed.required else None)
        return Ranking(docs[keep], scores[keep])

    def unit_name(self, doc: int) -> str:
        """The normalised name of a passage's unit ("" when unknown)."""
        report = self.reports.get(int(self.passage_report[doc]))
        return normalise(report.unit) if report is not None and report.unit else ""

    def matched_tokens(self, parsed: ParsedQuestion, doc: int) -> list[str]:
        """The question's tokens a passage contains (for marking them in the snippet)."""
        one = np.array([doc])
        return [t for t in parsed.tokens if t in self.term_id and self.postings.contains(self.term_id[t], one)[0]]

    def unit_group(self, docs: np.ndarray) -> np.ndarray:
        """Which unit each passage is of (see ``ReportInfo.unit_key``), as numbers."""
        return self._doc_group[docs]

    def group_by_unit(self, ranking: Ranking) -> Ranking:
        """One passage per unit (its best), units in the order of their best passage. Reports with
        no known unit each stand alone, after every known unit (issue 32: a "which units" answer
        names units first; 单位不详 is a lead, not an answer)."""
        if len(ranking) == 0:
            return ranking
        _, first = np.unique(self._doc_group[ranking.docs], return_index=True)
        keep = np.sort(first)
        known = self._doc_unit_known[ranking.docs[keep]]
        keep = np.concatenate([keep[known], keep[~known]])
        return Ranking(ranking.docs[keep], ranking.scores[keep], ranking.rows)

    # -- fetching what is shown --------------------------------------------------------------

    async def results(self, parsed: ParsedQuestion, page: Ranking, offset: int) -> list[Result]:
        """The passages of a page of a ranking, with their reports, numbered from ``offset + 1``."""
        ids = [int(self.passage_ids[doc]) for doc in page.docs]
        rows = await self.passage_rows(ids, page.rows)
        results = []
        for rank, (doc, score, pid) in enumerate(zip(page.docs, page.scores, ids, strict=True), start=offset + 1):
            row = rows[pid]
            results.append(Result(rank, float(score), pid, self.reports[row.report_id], row.section, row.text,
                                  row.norm_text, row.ordinal, self.matched_tokens(parsed, int(doc))))
        return results

    async def passage_rows(self, ids: list[int], known: Mapping[int, store.PassageRow] | None = None,
                           ) -> dict[int, store.PassageRow]:
        """Passages by id; those in ``known`` (read earlier for the same answer) are not read again."""
        known = known or {}
        rows = {pid: known[pid] for pid in ids if pid in known}
        if len(rows) < len(ids):
            rows.update(await store.read_passages(self.db, [pid for pid in ids if pid not in rows]))
        return rows

    async def passage(self, passage_id: int) -> Result | None:
        rows = await store.read_passages(self.db, [passage_id])
        row = rows.get(passage_id)
        if row is None:
            return None
        return Result(0, 0.0, row.id, self.reports[row.report_id], row.section, row.text, row.norm_text,
                      row.ordinal, [])

    async def report_sections(self, report_id: int) -> list[store.PassageRow]:
        return await store.read_report_passages(self.db, report_id)


async def ensure_index(settings: Settings, index_dir: Path | None = None,
                       announce: Callable[[BuildSummary | None], None] | None = None) -> Path:
    """The index folder, built from the configured reports (the bundled samples unless
    REPORTQA_REPORTS_DIR says otherwise) on first use: only when it holds no index at all, never
    over a damaged one (that is refused, and said). The one build-on-first-use of every command and
    channel; ``announce(None)`` as it starts and ``announce(summary)`` once built tell the user."""
    index_dir = index_dir or settings.index_dir
    if store.read_pointer(index_dir) == (None, None):
        from reportqa.index.builder import build_index  # (the parsers: 60 ms a cold `ask` need not pay)

        if announce is not None:
            announce(None)
        summary = await build_index(settings.reports_dir, index_dir, settings)
        if announce is not None:
            announce(summary)
    return index_dir
