"""Build or update the index: report files → passages in SQLite + BM25 postings, incrementally.

Unchanged files (same content, same metadata override, same cleaning config) are neither read as
reports again nor re-tokenised: their rows are copied from the served generation in SQLite and their
term frequencies from its arrays. Only BM25's corpus statistics are recomputed, vectorised.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from reportqa.bm25.overlay import LIVE_ARRAYS, LiveStats
from reportqa.bm25.postings import Postings
from reportqa.bm25.scoring import Frequencies, TermMatrix, weigh
from reportqa.domain.model import PREAMBLE, SECTION_SEPARATOR, ParsedReport, Passage, ReportMeta
from reportqa.domain.rules import config_fingerprint
from reportqa.domain.section_kinds import SectionKinds, load_section_kinds
from reportqa.domain.stored_words import WORDS_NAME, carry_forward, dictionary_key, stored_key, write_words
from reportqa.domain.text import Tokenizer, get_index_tokenizer, normalise
from reportqa.domain.unit_names import unit_words
from reportqa.errors import IndexDamaged, UnreadableFile
from reportqa.index import database as store
from reportqa.index.arrays import load_arrays
from reportqa.index.boilerplate import candidate_floor, key_counts, report_clause_keys, threshold
from reportqa.index.checks import (
    EXTRA_VOCAB_NAME,
    LIVE_NAME,
    OVERLAY_DIR,
    Shape,
    check_written,
    check_written_overlaid,
    new_build_id,
    overlay_files,
    read_manifest,
    verification_kept,
    verified_load,
    write_manifest,
    write_overlaid_manifest,
)
from reportqa.index.overlay_plan import BASE_FILES, OverlayPlan, WrittenOverlay, plan_overlay
from reportqa.index.scan import INDEX_FORMAT, Previous, PreviousArrays, Scan, ranking_key
from reportqa.ingest.library_files import NotInLibrary, real_root
from reportqa.ingest.pipeline import (
    METADATA_FILE,
    ParseOptions,
    Skipped,
    discover_sources,
    file_sha256,
    load_overrides,
    parse_report,
    source_name,
)
from reportqa.ingest.readers import READERS_VERSION
from reportqa.ingest.sandbox import BoundedRunner, Budget
from reportqa.settings import Settings

IN_FLIGHT_PER_WORKER = 8  # results held ahead of the one awaited, per worker process
PARALLEL_THRESHOLD = 16  # below this many files to parse, one process is faster than starting a pool

@dataclass
class BuildSummary:
    generation: str | None
    changed: bool
    reports: int = 0
    passages: int = 0
    units: list[str] = field(default_factory=list)
    unknown_unit_reports: int = 0
    unit_unknown: list[str] = field(default_factory=list)  # sources whose unit nobody could read
    date_unknown: list[str] = field(default_factory=list)  # sources with no signing or page date
    years: list[int] = field(default_factory=list)
    parsed: list[str] = field(default_factory=list)
    reused: int = 0
    removed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    warnings: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0
    # where the time went: parse (read + clean + split, summed over workers), tokenize (summed over
    # workers), then wall time of scanning files, storing rows and computing BM25
    timings: dict[str, float] = field(default_factory=dict)
    parse_peak_mb: float = 0.0  # the largest resident memory a parse worker reached
    rebuilt_because: str | None = None  # the served index was damaged: every file was read again


# ---------------------------------------------------------------------------------------------
# parsing + tokenising (runs in worker processes for large batches)

def meta_details(meta: ReportMeta) -> dict:
    """The metadata beyond the reports table's columns that answering needs, stored as JSON (see
    ``ReportRow.details``)."""
    return {
        "unit_written": meta.unit_written, "unit_kind": meta.unit_kind, "place_code": meta.place_code,
        "locality": meta.locality, "national": meta.national, "place_exact": meta.place_exact,
        "date_kind": meta.date_kind,
    }  # the evidence is for `reportqa inspect`, which reads the file itself: not loaded with every index


def passage_token_counts(tokenizer: Tokenizer, passages: Iterable[Passage]) -> list[dict[str, int]]:
    """What each passage of one report is about, as token counts: its text, plus the headings above
    it that its text does not repeat. A heading sits above every passage of its section, so each is
    cut once a report."""
    headings: dict[str, tuple[str, dict[str, int]]] = {}  # heading → (normalised, its token counts)
    out = []
    for passage in passages:
        counts = tokenizer.token_counts(passage.norm_text)
        if passage.section != PREAMBLE:
            for heading in passage.section.split(SECTION_SEPARATOR):
                known = headings.get(heading)
                if known is None:
                    norm_heading = normalise(heading)
                    known = headings[heading] = (norm_heading, tokenizer.token_counts(norm_heading))
                if known[0] not in passage.norm_text:
                    for token, count in known[1].items():
                        counts[token] = counts.get(token, 0) + count
        out.append(counts)
    return out


@dataclass
class Parsed:
    """One file's outcome, from a worker: the report and each passage's token counts, or why it
    could not be read."""

    path: Path
    report: ParsedReport | None
    counts: list[dict[str, int]]
    error: str | None
    parse_seconds: float = 0.0
    tokenize_seconds: float = 0.0
    clause_keys: bytes = b""  # the report's distinct clause keys (see boilerplate.py)


def parse_and_tokenize(
    path: Path, reports_dir: Path, options: ParseOptions, override: dict[str, str] | None
) -> Parsed:
    started = time.perf_counter()
    try:
        report = parse_report(path, reports_dir, options, override)
    except UnreadableFile as exc:
        return Parsed(path, None, [], str(exc))
    except MemoryError:
        raise  # over the worker's memory budget: the sandbox names the file and replaces the worker
    except Exception as exc:  # a bug or a file no reader expected: report it, keep indexing
        return Parsed(path, None, [], f"could not parse: {type(exc).__name__}: {exc}"[:200])
    parsed_at = time.perf_counter()
    tokenizer = get_index_tokenizer(options.config_dir)
    with tokenizer.words_added(unit_words(report.meta.unit, report.meta.unit_kind)):
        counts = passage_token_counts(tokenizer, report.passages)
    keys = report_clause_keys(p.norm_text for p in report.passages).tobytes()
    return Parsed(path, report, counts, None, parsed_at - started, time.perf_counter() - parsed_at, keys)


# ---------------------------------------------------------------------------------------------


def _parse_key(digest: str, fingerprint: str, override: dict[str, str] | None) -> str:
    """What a parse depends on: the content, the cleaning config and the file's metadata override."""
    if not override:
        return f"{digest[:32]}:{fingerprint}"
    payload = json.dumps(override, sort_keys=True, ensure_ascii=False).encode()
    return f"{digest[:32]}:{fingerprint}:{hashlib.sha256(payload).hexdigest()[:16]}"


# of a file's parse budget, what its reading (OCR, a converter) may take: the rest cleans and tokenises
READ_SHARE = 0.75


def parse_options(settings: Settings) -> ParseOptions:
    return ParseOptions(settings.config_dir, settings.passage_max_chars, settings.passage_min_chars,
                        settings.max_file_mb * 1024 * 1024, settings.parse_seconds_per_file * READ_SHARE)


async def _load_previous(generation: Path) -> tuple[Previous | None, str | None]:
    """The served generation, as much as scanning needs (its arrays come with ``_verify_previous``);
    or None and why not, when it is damaged (then the build reads every file again instead of
    carrying the damage forward) or of another format."""
    try:
        read_manifest(generation)
        db = await store.connect(generation / store.DB_NAME, readonly=True)
        try:
            info = await store.read_info(db)
            if info.get("format") != INDEX_FORMAT:
                return None, None
            reports = {row.source: row for row in await store.read_known_reports(db)}
            stamps = await store.read_file_stamps(db)
        finally:
            await db.close()
    except IndexDamaged as exc:
        return None, _damage(generation, str(exc))
    except (sqlite3.Error, ValueError, TypeError) as exc:
        return None, _damage(generation, f"its database cannot be read ({exc})")
    return Previous(generation, reports, stamps, info, {}, []), None


async def _verify_previous(previous: Previous) -> str | None:
    """Check the served generation completely (files, checksums, arrays, database) and keep its
    arrays for the build; or why it is damaged. Everything is checked, not only what is carried
    forward: an "up to date" build must not leave a damaged generation serving."""
    try:
        previous.arrays, previous.vocab, _ = await asyncio.to_thread(verified_load, previous.generation, deep=True,
                                                                   remember=True)
    except IndexDamaged as exc:
        return str(exc).split(". Run ")[0]
    return None


def _damage(generation: Path, problem: str) -> str:
    return problem if problem.startswith("the index") else f"the index {generation.name} is damaged: {problem}"


_ParseJob = tuple[Path, Path, ParseOptions, "dict[str, str] | None"]


def parse_job(job: _ParseJob) -> Parsed:
    """``parse_and_tokenize`` for one job of the sandbox (runs in a worker process)."""
    return parse_and_tokenize(*job)


def parse_job_failed(job: _ParseJob, reason: str) -> Parsed:
    """What a file that ran out of time or memory, or took its worker down, yields: named, skipped."""
    return Parsed(job[0], None, [], reason)


def warm_parser(config_dir: Path) -> None:
    """Load what every parse needs (dictionary, cleaning rules, gazetteer) before a worker's first
    file, so that a file's time budget is the file's own."""
    from reportqa.domain.places import load_gazetteer
    from reportqa.domain.rules import load_cleaning_rules

    get_index_tokenizer(config_dir).tokens("预热")  # jieba loads its dictionary on first use
    load_cleaning_rules(config_dir)
    load_gazetteer(config_dir)


def parse_runner(options: ParseOptions, settings: Settings) -> BoundedRunner:
    """The bounded workers (see ingest/sandbox.py) that parse and tokenise files, on every core when
    there are enough files (jieba is pure Python: processes, not threads). Results stream out in
    order, with a bounded number held, so memory does not grow with the corpus."""
    workers = settings.parse_workers or os.cpu_count() or 1
    return BoundedRunner(
        parse_job, parse_job_failed, Budget(settings.parse_seconds_per_file, settings.parse_memory_mb or None),
        workers, warm_up=functools.partial(warm_parser, options.config_dir),
        window=IN_FLIGHT_PER_WORKER * workers, preload=["reportqa.index.builder"], parallel_from=PARALLEL_THRESHOLD,
    )


def _digest(path: str, source: str, previous: Previous | None, root: str) -> tuple[str, store.FileStamp]:
    """A file's content hash, read from the last build when its size and mtime are unchanged and it
    was not modified while that build was scanning (an edit within the same clock tick could keep
    both, the rule git uses), else through the checked descriptor of a file inside ``root``. Raises
    OSError or NotInLibrary."""
    stat = os.stat(path)
    old = previous.stamps.get(source) if previous else None
    if (
        previous is not None
        and old is not None
        and old.size == stat.st_size
        and old.mtime_ns == stat.st_mtime_ns
        and stat.st_mtime_ns < previous.scan_started_ns
    ):
        return old.sha256, old
    digest = file_sha256(path, root)
    return digest, store.FileStamp(stat.st_size, stat.st_mtime_ns, digest)


def _scan(
    reports_dir: Path, previous: Previous | None, fingerprint: str, on_file: Callable[[str], None],
    on_start: Callable[[int], None],
) -> Scan:
    scan = Scan(started_ns=time.time_ns())
    files, scan.skipped = discover_sources(reports_dir)
    overrides, problem = load_overrides(reports_dir)
    if problem:
        scan.skipped.append(Skipped(METADATA_FILE, problem))
    seen_digest: dict[str, str] = {}
    old_failures = previous.unreadable if previous else {}
    root = real_root(reports_dir)
    on_start(len(files))
    for path, source in files:
        name = source.rpartition("/")[2]
        try:
            digest, stamp = _digest(path, source, previous, root)
        except NotInLibrary as exc:  # changed since the folder was listed
            scan.skipped.append(Skipped(source, str(exc)))
            on_file(name)
            continue
        except OSError as exc:
            scan.skipped.append(Skipped(source, f"cannot read: {exc.strerror or exc}"))
            on_file(name)
            continue
        scan.stamps[source] = stamp
        if digest in seen_digest:
            scan.duplicates.append((source, seen_digest[digest]))
            on_file(name)
            continue
        seen_digest[digest] = source
        override = overrides.get(source)
        key = _parse_key(digest, fingerprint, override)
        old = previous.reports.get(source) if previous else None
        old_failure = old_failures.get(source)
        if old_failure and old_failure[0] == key:
            scan.unreadable[source] = (key, old_failure[1])
            scan.skipped.append(Skipped(source, old_failure[1]))
            on_file(name)
        elif old is not None and old.parse_key == key:
            scan.reused.append(old)
            on_file(name)
        else:
            scan.to_parse.append((Path(path), override, digest, key))
    return scan


def _is_unchanged(previous: Previous | None, scan: Scan, removed: list[str], settings: Settings) -> bool:
    return (
        previous is not None
        and not scan.to_parse
        and not removed
        and previous.info.get("ranking") == ranking_key(settings)
        and sorted(json.loads(previous.info.get("skipped", "[]")))
        == sorted([s.source, s.reason] for s in scan.skipped)
        and json.loads(previous.info.get("duplicates", "[]")) == [list(d) for d in scan.duplicates]
    )


async def build_index(
    reports_dir: Path,
    index_dir: Path,
    settings: Settings,
    *,
    full: bool = False,
    on_start: Callable[[int], None] = lambda total: None,
    on_file: Callable[[str], None] = lambda name: None,
) -> BuildSummary:
    """Build or update the index of ``reports_dir`` in ``index_dir`` and switch to it atomically."""
    started = time.perf_counter()
    reports_dir = reports_dir.resolve()
    if not reports_dir.is_dir():
        raise FileNotFoundError(f"reports folder not found: {reports_dir}")
    options = parse_options(settings)
    with store.build_lock(index_dir):
        served = store.current_generation(index_dir)
        # generations older than the served one (and leftovers of killed builds) go
        stale = store.stale_paths(index_dir, {served.name} if served else set())
        # before the served generation is checked: removing an older overlaid generation unlinks
        # names of the files they share, which ``verification_kept`` carries in .verified.json
        await asyncio.to_thread(_remove_keeping_verified, index_dir, stale)
        # a worker warms up (fork server, dictionary) while the index is checked and files scanned
        with parse_runner(options, settings) as runner:
            return await _build_with(runner, reports_dir, index_dir, settings, options, served, full, on_start,
                                     on_file, started)


def _remove_keeping_verified(index_dir: Path, paths: list[Path]) -> None:
    if paths:
        with verification_kept(index_dir):
            store.remove_paths(paths)


async def _build_with(
    runner: BoundedRunner,
    reports_dir: Path,
    index_dir: Path,
    settings: Settings,
    options: ParseOptions,
    served: Path | None,
    full: bool,
    on_start: Callable[[int], None],
    on_file: Callable[[str], None],
    started: float,
) -> BuildSummary:
    previous, damage = (None, None) if (full or served is None) else await _load_previous(served)
    verifying = asyncio.ensure_future(_verify_previous(previous)) if previous is not None else None
    await asyncio.sleep(0)  # the check starts in its thread before the scan takes this one
    fingerprint = (config_fingerprint(settings.config_dir) + f":{options.max_chars}:{options.min_chars}"
                   + f":r{READERS_VERSION}")
    try:
        scan = _scan(reports_dir, previous, fingerprint, on_file, on_start)
    except BaseException:
        if verifying is not None:
            verifying.cancel()
        raise
    if verifying is not None and (problem := await verifying):
        previous, damage = None, problem  # read every file again, carry nothing forward
        scan = _scan(reports_dir, None, fingerprint, on_file, on_start)
    parsing = {source_name(p, reports_dir) for p, *_ in scan.to_parse}
    kept = {r.source for r in scan.reused}
    removed = sorted(set(previous.reports) - kept - parsing) if previous else []
    if _is_unchanged(previous, scan, removed, settings) and previous is not None:
        summary = _summary_of(previous.generation, list(previous.reports.values()), scan.skipped, scan.duplicates)
        summary.changed = False
        summary.reused = len(scan.reused)
        summary.seconds = time.perf_counter() - started
        return summary
    if damage is None and served is None and store.pointer_problem(index_dir):
        damage = store.pointer_problem(index_dir)

    scanned_at = time.perf_counter()
    generation = store.new_generation(index_dir)
    try:
        id_floor = _id_floor() if damage else 1
        plan = plan_overlay(previous, scan, settings, full, damage)
        if plan is not None:
            summary = await _write_overlaid(generation, plan, scan, reports_dir, options, settings, on_file, runner)
        else:
            summary = await _write_generation(generation, previous, scan, reports_dir, options, settings, on_file,
                                              runner, id_floor)
    except BaseException:
        store.remove_stale(index_dir, {served.name} if served else set())
        raise
    store.publish(index_dir, generation)
    summary.rebuilt_because = damage
    summary.removed = removed
    summary.reused = len(scan.reused)
    summary.seconds = time.perf_counter() - started
    summary.timings = {"scan": scanned_at - started, **summary.timings}
    return summary


async def _write_overlaid(generation: Path, plan: OverlayPlan, scan: Scan, reports_dir: Path,
                          options: ParseOptions, settings: Settings, on_file: Callable[[str], None],
                          runner: BoundedRunner) -> BuildSummary:
    """An overlaid generation: the overlay written by ``_write_generation`` into its folder, the base's
    files linked, the live statistics and the manifest of the whole, checked."""
    overlay_dir = generation / OVERLAY_DIR
    overlay_dir.mkdir()
    overlay_scan = Scan(scan.started_ns, scan.stamps, plan.overlay_reused, scan.to_parse, scan.skipped,
                         scan.duplicates, scan.unreadable)
    summary = await _write_generation(overlay_dir, plan.overlay_previous, overlay_scan, reports_dir, options, settings,
                                      on_file, runner, plan.id_floor, overlay=plan)
    written = plan.written
    assert written is not None
    started = time.perf_counter()
    with verification_kept(generation.parent):  # the served generation's record stays good
        for name in BASE_FILES:
            os.link(plan.base / name, generation / name)  # never written again: shared, not copied
    written.live.save(generation / LIVE_NAME)
    (generation / EXTRA_VOCAB_NAME).write_text(json.dumps(written.extra, ensure_ascii=False), encoding="utf-8")
    new_files = overlay_files()
    await asyncio.to_thread(write_overlaid_manifest, generation, written.build_id, plan.base_manifest, new_files,
                            written.shape)
    live_arrays = load_arrays(generation / LIVE_NAME, LIVE_ARRAYS)
    await asyncio.to_thread(check_written_overlaid, generation, written.arrays, written.vocab, live_arrays,
                            written.extra)
    whole = _summary_of(generation, plan.base_reused + plan.overlay_reused + written.new_reports, scan.skipped,
                        scan.duplicates)
    whole.parsed, whole.changed, whole.parse_peak_mb = summary.parsed, True, summary.parse_peak_mb
    whole.skipped = summary.skipped
    whole.timings = {**summary.timings, "overlay_finish": time.perf_counter() - started}
    return whole


async def _start_database(generation: Path, previous: Previous | None, reused: list[store.KnownReport]):
    """The new generation's database: a copy of the served one less the reports not kept (most
    builds change a few reports of many), or an empty one. An overlaid generation's is its base's
    file, less every report not kept, plus the overlay's kept reports."""
    path = generation / store.DB_NAME
    if previous is not None and reused:
        await asyncio.to_thread(store.copy_database, previous.generation / store.DB_NAME, path)
    db = await store.connect(path)
    try:
        await store.create_schema(db)
        if previous is not None and reused:
            kept = {r.id for r in reused}
            if previous.overlaid:
                await store.keep_overlay_reports(db, previous.generation / store.OVERLAY_DB, kept)
            else:
                await store.drop_reports(db, [r.id for r in previous.reports.values() if r.id not in kept])
            await store.clear_library_tables(db)
    except BaseException:
        await store.close_quietly(db)  # an open connection's thread would keep the process alive
        raise
    return db


@dataclass
class NewReports:
    """What a build adds to the kept reports: each parsed report's row, and its passages' ids,
    reports, kinds and term counts (term ids into ``vocab``, which grows as new words come)."""

    vocab: list[str]
    next_report: int
    next_passage: int
    kinds: SectionKinds
    now: str
    term_id: dict[str, int] = field(init=False)
    parts: list[TermMatrix] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)
    reports: list[int] = field(default_factory=list)
    section_kinds: list[int] = field(default_factory=list)
    rows: list[store.ReportRow] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.term_id = {term: i for i, term in enumerate(self.vocab)}

    def add(self, source: str, digest: str, key: str, report: ParsedReport,
            counts: list[dict[str, int]]) -> tuple[store.ReportRow, list[tuple]]:
        """One parsed report: its row and passage rows for the database, its counts kept here."""
        meta = report.meta
        row = store.ReportRow(self.next_report, source, digest, key, meta.title, meta.unit, meta.year, meta.date,
                              meta.region, meta.addressee, meta.cc, report.encoding, report.warnings,
                              report.removed, len(report.passages), self.now, meta_details(meta))
        passages = [(self.next_passage + i, self.next_report, p.ordinal, p.section, p.text, p.norm_text)
                    for i, p in enumerate(report.passages)]
        rows: list[dict[int, int]] = []
        for i, (passage, passage_counts) in enumerate(zip(report.passages, counts, strict=True)):
            rows.append({self._term(token): count for token, count in passage_counts.items()})
            self.ids.append(self.next_passage + i)
            self.reports.append(self.next_report)
            self.section_kinds.append(self.kinds.of_passage(passage.section, passage.norm_text))
        self.parts.append(TermMatrix.from_rows(rows))  # compact arrays, not a million dicts
        self.rows.append(row)
        self.sources.append(source)
        self.next_passage += len(report.passages)
        self.next_report += 1
        return row, passages

    def _term(self, token: str) -> int:
        tid = self.term_id.get(token)
        if tid is None:
            tid = self.term_id[token] = len(self.vocab)
            self.vocab.append(token)
        return tid


@dataclass
class PassageArrays:
    """Every passage of the new generation, kept and new, in id order: frequencies and per-passage
    columns."""

    freqs: Frequencies
    ids: np.ndarray
    report_of: np.ndarray
    section_kind: np.ndarray
    doc_len: np.ndarray


def _passage_arrays(arrays: PreviousArrays | None, reused: list[store.KnownReport], new: NewReports) -> PassageArrays:
    """The kept passages' frequencies less the dropped reports', plus the new ones."""
    new_matrix = TermMatrix.concat(new.parts)
    fresh = Frequencies.from_matrix(new_matrix, len(new.vocab))
    new_len = new_matrix.doc_len().astype(np.int32)
    new_report_of = np.array(new.reports, dtype=np.int64)
    new_ids = np.array(new.ids, dtype=np.int64)
    new_kinds = np.array(new.section_kinds, dtype=np.int8)
    if arrays is None:
        return PassageArrays(fresh, new_ids, new_report_of, new_kinds, new_len)
    keep = np.isin(arrays.passage_report, np.array([r.id for r in reused], dtype=np.int64))
    return PassageArrays(arrays.freqs.keep(keep).extend(fresh),
                         np.concatenate([arrays.passage_ids[keep], new_ids]),
                         np.concatenate([arrays.passage_report[keep], new_report_of]),
                         np.concatenate([arrays.passage_kind[keep], new_kinds]),
                         np.concatenate([arrays.passage_len[keep], new_len]))


@dataclass
class Weighed:
    """BM25 over a generation's passages and the boilerplate of its reports; for a full build, the
    clause counts an overlay recounts from; for an overlay, the live statistics it was weighed with."""

    postings: Postings
    boilerplate: np.ndarray
    counted: dict[str, np.ndarray]
    live: LiveStats | None = None
    extra: list[str] | None = None


async def _weighed(passages: PassageArrays, vocab: list[str], clause_keys: list[np.ndarray], n_reports: int,
                   settings: Settings, overlay: OverlayPlan | None) -> Weighed:
    bm25 = (settings.bm25_variant, settings.bm25_k1, settings.bm25_b, settings.bm25_delta)
    if overlay is not None:
        live, extra = overlay.live_stats(settings, passages.freqs, vocab, passages.doc_len)
        postings = weigh(passages.freqs, *bm25, doc_len=passages.doc_len, idf=live.idf[live.overlay_terms],
                         avgdl=live.avgdl)
        boilerplate = await overlay.recount_boilerplate(clause_keys, len(overlay.base_reused) + n_reports)
        return Weighed(postings, boilerplate, {}, live, extra)
    postings = weigh(passages.freqs, *bm25, doc_len=passages.doc_len)
    keys, counts = key_counts(clause_keys)
    # what an overlay on this generation recounts the boilerplate from
    candidates = counts >= candidate_floor(n_reports, settings.overlay_max_share)
    counted = {"boilerplate_keys": keys[candidates], "boilerplate_counts": counts[candidates],
               "boilerplate_share": np.float64(settings.overlay_max_share)}
    return Weighed(postings, keys[counts >= threshold(n_reports)], counted)


def _serving_arrays(passages: PassageArrays, weighed: Weighed) -> dict[str, np.ndarray]:
    """The arrays saved in ``terms.npz`` (what a generation is served from)."""
    postings = weighed.postings
    return {
        "passage_ids": passages.ids,
        "passage_report": passages.report_of,
        "passage_kind": passages.section_kind,
        "passage_len": passages.doc_len,
        "post_indptr": postings.indptr,
        "post_docs": postings.docs,
        "post_tf": passages.freqs.tf,
        "post_weights": postings.weights,
        "post_absent": postings.absent,
        "post_idf": postings.idf,
        "post_df": postings.df,
        "block_indptr": postings.block_indptr,
        "block_ids": postings.block_ids,
        "block_max": postings.block_max,
        "boilerplate": weighed.boilerplate,
        **weighed.counted,
    }


def _build_info(build_id: str, now: str, scan: Scan, reports_dir: Path, settings: Settings,
                skipped: list[Skipped], unreadable: dict[str, tuple[str, str]]) -> dict[str, str]:
    """The ``info`` table: what built this generation, from what, and what it could not read."""
    return {
        "format": INDEX_FORMAT,
        "build_id": build_id,
        "built_at": now,
        "scan_started_ns": str(scan.started_ns),
        "reports_dir": str(reports_dir),
        "ranking": ranking_key(settings),
        "skipped": json.dumps([[s.source, s.reason] for s in skipped], ensure_ascii=False),
        "duplicates": json.dumps([list(d) for d in scan.duplicates], ensure_ascii=False),
        "unreadable": json.dumps({k: list(v) for k, v in unreadable.items()}, ensure_ascii=False),
    }


async def _first_ids(previous: Previous | None, arrays: PreviousArrays | None, id_floor: int) -> tuple[int, int]:
    """The ids the first new report and passage take: past every id the previous generation gave."""
    old_reports = previous.reports.values() if previous else []
    next_report = max([r.id for r in old_reports] + [id_floor - 1]) + 1
    next_passage = int(arrays.passage_ids.max()) + 1 if arrays is not None and len(arrays.passage_ids) else id_floor
    if previous is not None and arrays is None and previous.reports:
        # nothing kept: ids still move on, so a passage id never names two different passages
        next_passage = max(next_passage, await store.max_passage_id(previous.generation / store.DB_NAME) + 1)
    return next_report, next_passage


async def _started(generation: Path, previous: Previous | None, scan: Scan, runner: BoundedRunner,
                   stream: Generator[Parsed, None, None], words: asyncio.Future,
                   ) -> tuple[PreviousArrays | None, store.aiosqlite.Connection, Parsed | None]:
    """The previous arrays, the new database and the first parsed file: parsing (jieba: CPU)
    overlaps reading the previous arrays and copying its database (I/O). On a failure everything
    started is stopped before it is raised."""
    first = asyncio.get_running_loop().run_in_executor(None, next, stream, None)
    db = None
    try:
        arrays = await asyncio.to_thread(previous.load_arrays) if previous and scan.reused else None
        db = await _start_database(generation, previous, scan.reused)
        return arrays, db, await first
    except BaseException:
        runner.stop()  # the thread waiting for the first file returns
        first.cancel()
        await _settled(words)  # its thread writes into the generation being given up
        with contextlib.suppress(ValueError):
            stream.close()
        if db is not None:
            await store.close_quietly(db)
        raise


async def _write_generation(
    generation: Path,
    previous: Previous | None,
    scan: Scan,
    reports_dir: Path,
    options: ParseOptions,
    settings: Settings,
    on_file: Callable[[str], None],
    runner: BoundedRunner,
    id_floor: int = 1,
    overlay: OverlayPlan | None = None,
) -> BuildSummary:
    """Write a generation of ``scan``'s reports (or, with ``overlay``, the overlay of an overlaid
    one: weighed with the live statistics of base and overlay, its manifest and check left to
    ``_write_overlaid``, which reads what it wrote from ``overlay.written``)."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    # the dictionary questions are cut with, beside the passages (a link when the config is unchanged;
    # an overlay's generation serves its base's)
    words = asyncio.ensure_future(asyncio.sleep(0) if overlay is not None else asyncio.to_thread(
        _store_words, generation, previous.generation if previous else None, settings.config_dir))
    stream = runner.run([(path, reports_dir, options, override) for path, override, _, _ in scan.to_parse])
    loop = asyncio.get_running_loop()
    arrays, db, first_parsed = await _started(generation, previous, scan, runner, stream, words)
    timings["load_previous"] = time.perf_counter() - started

    async def parsed_files() -> AsyncIterator[Parsed]:
        item = first_parsed
        while item is not None:
            on_file(item.path.name)
            yield item
            item = await loop.run_in_executor(None, next, stream, None)

    build_id = new_build_id()
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    skipped, unreadable = list(scan.skipped), dict(scan.unreadable)
    try:
        new = NewReports(list(arrays.vocab) if arrays else [], *await _first_ids(previous, arrays, id_floor),
                         load_section_kinds(settings.config_dir), now)
        stored_at = time.perf_counter()
        cpu = await _store_parsed(db, parsed_files(), new, scan, reports_dir, skipped, unreadable)
        # BM25 over everything, saved beside the database
        bm25_at = time.perf_counter()
        timings["parse_and_store"] = bm25_at - stored_at
        timings["parse_cpu"], timings["tokenize_cpu"] = cpu
        passages = _passage_arrays(arrays, scan.reused, new)
        clause_keys = [np.frombuffer(blob, dtype=np.uint64) for blob in await store.read_clause_keys(db)]
        weighed = await _weighed(passages, new.vocab, clause_keys, len(scan.reused) + len(new.rows), settings,
                                 overlay)
        saved = _serving_arrays(passages, weighed)
        np.savez(generation / store.TERMS_NAME, **saved)  # stored, not deflated: served memory-mapped
        (generation / store.VOCAB_NAME).write_text(json.dumps(new.vocab, ensure_ascii=False), encoding="utf-8")
        timings["bm25_and_save"] = time.perf_counter() - bm25_at
        await store.write_library_tables(
            db, [(s.source, s.reason) for s in skipped], scan.duplicates,
            [(source, st.size, st.mtime_ns, st.sha256) for source, st in scan.stamps.items()],
            _build_info(build_id, now, scan, reports_dir, settings, skipped, unreadable),
            overlay.dead_reports if overlay is not None else [])
        await store.seal(db)
    finally:
        runner.stop()  # after a failure, a thread still waiting on a worker returns at once
        with contextlib.suppress(ValueError):  # "generator already executing": a cancelled next()
            stream.close()  # shuts the worker processes down if we stopped early
        await store.close_quietly(db)
        await _settled(words)
    words.result()  # its failure (a full disk) fails the build
    shape = Shape(passages=len(passages.ids), terms=len(new.vocab), postings=len(weighed.postings.docs),
                  reports=len(scan.reused) + len(new.rows))
    if overlay is None:
        await asyncio.to_thread(write_manifest, generation, build_id, list(BASE_FILES), shape)
        await asyncio.to_thread(check_written, generation, saved, new.vocab)
    else:
        assert weighed.live is not None and weighed.extra is not None
        overlay.written = WrittenOverlay(build_id, shape, saved, new.vocab, weighed.live, weighed.extra, new.rows)
    summary = _summary_of(generation, scan.reused + new.rows, skipped, scan.duplicates)
    summary.parsed = new.sources
    summary.changed = True
    summary.timings = timings
    summary.parse_peak_mb = round(runner.peak_kb / 1024, 1)
    return summary


async def _store_parsed(db: store.aiosqlite.Connection, parsed: AsyncIterator[Parsed], new: NewReports, scan: Scan,
                        reports_dir: Path, skipped: list[Skipped], unreadable: dict[str, tuple[str, str]],
                        ) -> tuple[float, float]:
    """Each parsed file into the database and ``new`` as it comes (a file that failed into
    ``skipped`` and ``unreadable``); the CPU seconds parsing and tokenising took."""
    keys = {p: (d, k) for p, _, d, k in scan.to_parse}
    parse_cpu = tokenize_cpu = 0.0
    async for item in parsed:
        parse_cpu += item.parse_seconds
        tokenize_cpu += item.tokenize_seconds
        source = source_name(item.path, reports_dir)
        digest, key = keys[item.path]
        if item.report is None:
            skipped.append(Skipped(source, item.error or "unreadable"))
            unreadable[source] = (key, item.error or "unreadable")
            continue
        row, passages = new.add(source, digest, key, item.report, item.counts)
        await store.insert_report(db, row, item.clause_keys, passages)
    return parse_cpu, tokenize_cpu


async def _settled(task: asyncio.Future) -> None:
    """Wait for a side task to finish; its failure is the caller's to raise (``result()``), or is
    dropped when the build is already failing for another reason (never "never retrieved")."""
    await asyncio.wait([task])
    if not task.cancelled():
        task.exception()


def _store_words(generation: Path, previous: Path | None, config_dir: Path) -> None:
    """Write the dictionary passages are cut with into the generation (``stored_words.py``), or link
    the previous generation's when it was written under the same jieba and config."""
    key = dictionary_key(config_fingerprint(config_dir))
    if previous is not None and stored_key(previous / WORDS_NAME) == key:
        carry_forward(previous / WORDS_NAME, generation / WORDS_NAME)
        return
    freq, total = get_index_tokenizer(config_dir).dictionary()
    write_words(generation / WORDS_NAME, freq, total, key)


def _id_floor() -> int:
    """Where report and passage ids start after a damaged index: past any id a build can have given
    out before now (from the clock, in microseconds), since the damaged one's own record of its ids
    cannot be trusted, and a bot's buttons name passages and reports by id: an old button must find
    its passage gone, never another in its place."""
    return time.time_ns() // 1000


async def summarise(generation: Path) -> BuildSummary:
    """What an index generation holds."""
    db = await store.connect(generation / store.DB_NAME, readonly=True)
    try:
        reports = await store.read_reports(db)
        skipped = [Skipped(s, r) for s, r in await store.read_pairs(db, "skipped")]
        duplicates = await store.read_pairs(db, "duplicates")
    finally:
        await db.close()
    return _summary_of(generation, reports, skipped, duplicates)


def _summary_of(
    generation: Path, reports: Sequence[store.ReportRow | store.KnownReport], skipped: list[Skipped],
    duplicates: list[tuple[str, str]],
) -> BuildSummary:
    return BuildSummary(
        generation=generation.name,
        changed=False,
        reports=len(reports),
        passages=sum(r.passage_count for r in reports),
        units=sorted({r.unit for r in reports if r.unit}),
        unknown_unit_reports=sum(1 for r in reports if not r.unit),
        unit_unknown=sorted(r.source for r in reports if not r.unit),
        date_unknown=sorted(r.source for r in reports if not r.date),
        years=sorted({r.year for r in reports if r.year}),
        skipped=sorted(skipped, key=lambda s: s.source),
        duplicates=sorted(duplicates),
        warnings={r.source: r.warnings for r in sorted(reports, key=lambda r: r.source) if r.warnings},
    )


def summary_dict(summary: BuildSummary) -> dict:
    data = asdict(summary)
    data["skipped"] = [{"source": s.source, "reason": s.reason} for s in summary.skipped]
    data["duplicates"] = [{"source": s, "same_as": o} for s, o in summary.duplicates]
    return data
