"""Build or update the index: report files → passages in SQLite + BM25 postings, incrementally.

Unchanged files (same content, same metadata override, same cleaning config) are neither read as
reports again nor re-tokenised: their rows are copied from the served generation in SQLite and their
term frequencies from its arrays. Only BM25's corpus statistics are recomputed, vectorised.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from reportqa import store
from reportqa.ingest.metadata import region_of
from reportqa.ingest.pipeline import (
    ParseOptions,
    Skipped,
    discover,
    file_digest,
    parse_report,
    read_overrides,
    source_name,
)
from reportqa.ingest.readers import UnreadableFile
from reportqa.model import PREAMBLE, SECTION_SEPARATOR, ParsedReport
from reportqa.ranking import TermMatrix, build_postings
from reportqa.resources import config_fingerprint
from reportqa.section_kinds import load_section_kinds
from reportqa.settings import Settings
from reportqa.text import Tokenizer, get_tokenizer, normalise

PARALLEL_THRESHOLD = 16  # below this many files to parse, one process is faster than starting a pool
INDEX_FORMAT = "1"


@dataclass
class BuildSummary:
    generation: str | None
    changed: bool
    reports: int = 0
    passages: int = 0
    units: list[str] = field(default_factory=list)
    unknown_unit_reports: int = 0
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


# ---------------------------------------------------------------------------------------------
# parsing + tokenising (runs in worker processes for large batches)

def unit_words(unit: str | None) -> list[str]:
    """Dictionary words for a unit name: the name and its region-less stem, normalised."""
    if not unit:
        return []
    name = normalise(unit)
    words = [name]
    region = region_of(name)
    if region and len(name) - len(region) >= 3:
        words.append(name[len(region):])
    return words


def passage_tokens(tokenizer: Tokenizer, section: str, norm_text: str) -> list[str]:
    """What a passage is about: its text, plus the headings above it that its text does not repeat."""
    tokens = tokenizer.tokens(norm_text)
    if section != PREAMBLE:
        for heading in section.split(SECTION_SEPARATOR):
            norm_heading = normalise(heading)
            if norm_heading not in norm_text:
                tokens.extend(tokenizer.tokens(norm_heading))
    return tokens


@dataclass
class Parsed:
    """One file's outcome, from a worker: the report and its tokens, or why it could not be read."""

    path: Path
    report: ParsedReport | None
    tokens: list[list[str]]
    error: str | None
    parse_seconds: float = 0.0
    tokenize_seconds: float = 0.0


def parse_and_tokenize(
    path: Path, reports_dir: Path, options: ParseOptions, override: dict[str, str] | None
) -> Parsed:
    started = time.perf_counter()
    try:
        report = parse_report(path, reports_dir, options, override)
    except UnreadableFile as exc:
        return Parsed(path, None, [], str(exc))
    except Exception as exc:  # a bug or a file no reader expected: report it, keep indexing
        return Parsed(path, None, [], f"could not parse: {type(exc).__name__}: {exc}"[:200])
    parsed_at = time.perf_counter()
    tokenizer = get_tokenizer(options.config_dir)
    tokenizer.add_words(unit_words(report.meta.unit))
    tokens = [passage_tokens(tokenizer, p.section, p.norm_text) for p in report.passages]
    return Parsed(path, report, tokens, None, parsed_at - started, time.perf_counter() - parsed_at)


# ---------------------------------------------------------------------------------------------


def _parse_key(digest: str, fingerprint: str, override: dict[str, str] | None) -> str:
    payload = json.dumps([digest, fingerprint, override or {}], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def parse_options(settings: Settings) -> ParseOptions:
    return ParseOptions(settings.config_dir, settings.passage_max_chars, settings.passage_min_chars,
                        settings.max_file_mb * 1024 * 1024)


def _ranking_key(settings: Settings) -> str:
    return f"{settings.bm25_variant}:{settings.bm25_k1}:{settings.bm25_b}:{settings.bm25_delta}"


@dataclass
class _Previous:
    generation: Path
    reports: dict[str, store.ReportRow]
    vocab: list[str]
    matrix: TermMatrix
    passage_ids: np.ndarray
    passage_report: np.ndarray
    info: dict[str, str]

    @property
    def unreadable(self) -> dict[str, list[str]]:
        """Files that could not be read last time: source → [parse key, reason]."""
        return json.loads(self.info.get("unreadable", "{}"))


async def _load_previous(generation: Path) -> _Previous | None:
    try:
        db = await store.connect(generation / store.DB_NAME, readonly=True)
        try:
            reports = {row.source: row for row in await store.read_reports(db)}
            info = await store.read_info(db)
        finally:
            await db.close()
        vocab = json.loads((generation / store.VOCAB_NAME).read_text(encoding="utf-8"))
        with np.load(generation / store.TERMS_NAME) as arrays:
            matrix = TermMatrix(arrays["tf_indptr"], arrays["tf_terms"], arrays["tf_counts"])
            passage_ids = arrays["passage_ids"]
            passage_report = arrays["passage_report"]
    except Exception:  # an unreadable previous index is rebuilt from scratch
        return None
    if info.get("format") != INDEX_FORMAT:
        return None
    return _Previous(generation, reports, vocab, matrix, passage_ids, passage_report, info)


def _parse_all(
    jobs: list[tuple[Path, dict[str, str] | None]],
    reports_dir: Path,
    options: ParseOptions,
    on_done: Callable[[str], None],
) -> list[Parsed]:
    """Parse and tokenise files, on every core when there are enough of them (jieba is pure Python:
    processes, not threads)."""
    results: list[Parsed] = []
    if len(jobs) >= PARALLEL_THRESHOLD and (os.cpu_count() or 1) > 1:
        with ProcessPoolExecutor(max_workers=os.cpu_count()) as pool:
            futures = [pool.submit(parse_and_tokenize, path, reports_dir, options, ov) for path, ov in jobs]
            for (path, _), future in zip(jobs, futures, strict=True):
                results.append(future.result())
                on_done(path.name)
    else:
        for path, override in jobs:
            results.append(parse_and_tokenize(path, reports_dir, options, override))
            on_done(path.name)
    return results


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
        previous = None if (full or served is None) else await _load_previous(served)
        files, skipped = discover(reports_dir)
        overrides = read_overrides(reports_dir)
        fingerprint = config_fingerprint(settings.config_dir) + f":{options.max_chars}:{options.min_chars}"

        reused: list[store.ReportRow] = []
        to_parse: list[tuple[Path, dict[str, str] | None, str, str]] = []
        seen_digest: dict[str, str] = {}
        duplicates: list[tuple[str, str]] = []
        unreadable: dict[str, tuple[str, str]] = {}
        on_start(len(files))
        for path in files:
            source = source_name(path, reports_dir)
            try:
                digest = file_digest(path.read_bytes())
            except OSError as exc:
                skipped.append(Skipped(source, f"cannot read: {exc.strerror or exc}"))
                on_file(path.name)
                continue
            if digest in seen_digest:
                duplicates.append((source, seen_digest[digest]))
                on_file(path.name)
                continue
            seen_digest[digest] = source
            override = overrides.get(source)
            key = _parse_key(digest, fingerprint, override)
            old = previous.reports.get(source) if previous else None
            old_failure = previous.unreadable.get(source) if previous else None
            if old_failure and old_failure[0] == key:
                unreadable[source] = (key, old_failure[1])
                skipped.append(Skipped(source, old_failure[1]))
                on_file(path.name)
            elif old is not None and old.parse_key == key:
                reused.append(old)
                on_file(path.name)
            else:
                to_parse.append((path, override, digest, key))

        removed = sorted(set(previous.reports) - {r.source for r in reused} - {
            source_name(p, reports_dir) for p, *_ in to_parse
        }) if previous else []
        unchanged = (
            previous is not None
            and not to_parse
            and not removed
            and previous.info.get("ranking") == _ranking_key(settings)
            and sorted(json.loads(previous.info.get("skipped", "[]"))) == sorted([s.source, s.reason] for s in skipped)
            and json.loads(previous.info.get("duplicates", "[]")) == [list(d) for d in duplicates]
        )
        if unchanged and previous is not None:
            summary = await summarise(previous.generation)
            summary.changed = False
            summary.reused = len(reused)
            summary.seconds = time.perf_counter() - started
            return summary

        scanned_at = time.perf_counter()
        parsed = _parse_all([(p, o) for p, o, _, _ in to_parse], reports_dir, options, on_file)
        parsed_at = time.perf_counter()
        keys = {p: (d, k) for p, _, d, k in to_parse}
        generation = store.new_generation(index_dir)
        try:
            summary = await _write_generation(
                generation, previous, reused, parsed, keys, skipped, duplicates, unreadable, reports_dir,
                settings,
            )
        except BaseException:
            store.remove_stale(index_dir, {served.name} if served else set())
            raise
        store.publish(index_dir, generation)
        summary.removed = removed
        summary.reused = len(reused)
        summary.seconds = time.perf_counter() - started
        summary.timings = {
            "scan": scanned_at - started,
            "parse_and_tokenize": parsed_at - scanned_at,
            "parse_cpu": sum(p.parse_seconds for p in parsed),
            "tokenize_cpu": sum(p.tokenize_seconds for p in parsed),
            **summary.timings,
        }
        return summary


async def _write_generation(
    generation: Path,
    previous: _Previous | None,
    reused: list[store.ReportRow],
    parsed: list[Parsed],
    keys: dict[Path, tuple[str, str]],
    skipped: list[Skipped],
    duplicates: list[tuple[str, str]],
    unreadable: dict[str, tuple[str, str]],
    reports_dir: Path,
    settings: Settings,
) -> BuildSummary:
    vocab: list[str] = list(previous.vocab) if previous else []
    term_id = {term: i for i, term in enumerate(vocab)}
    warnings: dict[str, list[str]] = {}
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    db = await store.connect(generation / store.DB_NAME)
    try:
        await store.create_schema(db)
        # 1. unchanged reports: rows copied inside SQLite, term rows copied from the arrays
        reused_ids = sorted(r.id for r in reused)
        parts: list[TermMatrix] = []
        passage_ids: list[np.ndarray] = []
        passage_report: list[np.ndarray] = []
        if previous and reused_ids:
            await db.execute("ATTACH DATABASE ? AS prev", (f"file:{previous.generation / store.DB_NAME}?mode=ro",))
            await db.execute("CREATE TEMP TABLE keep_ids (id INTEGER PRIMARY KEY)")
            await db.executemany("INSERT INTO keep_ids VALUES (?)", [(i,) for i in reused_ids])
            await db.execute("INSERT INTO reports SELECT * FROM prev.reports WHERE id IN (SELECT id FROM keep_ids)")
            await db.execute(
                "INSERT INTO passages SELECT * FROM prev.passages WHERE report_id IN (SELECT id FROM keep_ids)"
            )
            await db.commit()
            await db.execute("DETACH DATABASE prev")
            rows = np.flatnonzero(np.isin(previous.passage_report, np.array(reused_ids)))
            parts.append(previous.matrix.take(rows))
            passage_ids.append(previous.passage_ids[rows])
            passage_report.append(previous.passage_report[rows])
        for row in reused:
            if row.warnings:
                warnings[row.source] = row.warnings

        # 2. new and changed reports
        next_report = max([r.id for r in (previous.reports.values() if previous else [])] + [0]) + 1
        next_passage = int(previous.passage_ids.max()) + 1 if previous and len(previous.passage_ids) else 1
        new_rows: list[dict[int, int]] = []
        new_ids: list[int] = []
        new_reports: list[int] = []
        stored_at = time.perf_counter()
        for item in parsed:
            path, report, tokens, error = item.path, item.report, item.tokens, item.error
            source = source_name(path, reports_dir)
            digest, key = keys[path]
            if report is None:
                skipped.append(Skipped(source, error or "unreadable"))
                unreadable[source] = (key, error or "unreadable")
                continue
            meta = report.meta
            await db.execute(
                f"INSERT INTO reports ({store.REPORT_COLUMNS}) VALUES ({','.join('?' * 16)})",
                (next_report, source, digest, key, meta.title, meta.unit, meta.year, meta.date, meta.region,
                 meta.addressee, meta.cc, report.encoding, json.dumps(report.warnings, ensure_ascii=False),
                 json.dumps(report.removed, ensure_ascii=False), len(report.passages), now),
            )
            await db.executemany(
                "INSERT INTO passages (id, report_id, ordinal, section, text, norm_text) VALUES (?,?,?,?,?,?)",
                [(next_passage + i, next_report, p.ordinal, p.section, p.text, p.norm_text)
                 for i, p in enumerate(report.passages)],
            )
            for i, passage_tokens_ in enumerate(tokens):
                counts: Counter[int] = Counter()
                for token in passage_tokens_:
                    tid = term_id.get(token)
                    if tid is None:
                        tid = term_id[token] = len(vocab)
                        vocab.append(token)
                    counts[tid] += 1
                new_rows.append(counts)
                new_ids.append(next_passage + i)
                new_reports.append(next_report)
            if report.warnings:
                warnings[source] = report.warnings
            next_passage += len(report.passages)
            next_report += 1
        parts.append(TermMatrix.from_rows(new_rows))
        passage_ids.append(np.array(new_ids, dtype=np.int64))
        passage_report.append(np.array(new_reports, dtype=np.int64))

        # 3. BM25 over everything, saved beside the database
        bm25_at = time.perf_counter()
        matrix = TermMatrix.concat(parts)
        ids = np.concatenate(passage_ids).astype(np.int64)
        kinds = load_section_kinds(settings.config_dir)
        kind_of: dict[str, int] = {}
        rows = await db.execute_fetchall("SELECT section FROM passages ORDER BY id")  # one hop, not one a row
        section_kind = np.array([kind_of.setdefault(r[0], kinds.of_section(r[0])) for r in rows], dtype=np.int8)
        del rows
        report_of = np.concatenate(passage_report).astype(np.int64)
        postings = build_postings(matrix, len(vocab), settings.bm25_variant, settings.bm25_k1,
                                  settings.bm25_b, settings.bm25_delta)
        np.savez(
            generation / store.TERMS_NAME,
            passage_ids=ids,
            passage_report=report_of,
            passage_kind=section_kind,
            tf_indptr=matrix.indptr,
            tf_terms=matrix.terms,
            tf_counts=matrix.counts,
            post_indptr=postings.indptr,
            post_docs=postings.docs,
            post_weights=postings.weights,
            post_absent=postings.absent,
            post_idf=postings.idf,
            post_df=postings.df,
        )
        (generation / store.VOCAB_NAME).write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        written_at = time.perf_counter()

        await db.executemany("INSERT INTO skipped VALUES (?, ?)", [(s.source, s.reason) for s in skipped])
        await db.executemany("INSERT INTO duplicates VALUES (?, ?)", duplicates)
        info = {
            "format": INDEX_FORMAT,
            "built_at": now,
            "reports_dir": str(reports_dir),
            "ranking": _ranking_key(settings),
            "skipped": json.dumps([[s.source, s.reason] for s in skipped], ensure_ascii=False),
            "duplicates": json.dumps([list(d) for d in duplicates], ensure_ascii=False),
            "unreadable": json.dumps({k: list(v) for k, v in unreadable.items()}, ensure_ascii=False),
        }
        await db.executemany("INSERT INTO info VALUES (?, ?)", list(info.items()))
        await db.commit()
    finally:
        await db.close()
    summary = await summarise(generation)
    summary.parsed = [source_name(p.path, reports_dir) for p in parsed if p.report is not None]
    summary.changed = True
    summary.timings = {"store": bm25_at - stored_at, "bm25_and_save": written_at - bm25_at}
    return summary


async def summarise(generation: Path) -> BuildSummary:
    """What an index generation holds."""
    db = await store.connect(generation / store.DB_NAME, readonly=True)
    try:
        reports = await store.read_reports(db)
        skipped = [Skipped(s, r) for s, r in await store.read_pairs(db, "skipped")]
        duplicates = await store.read_pairs(db, "duplicates")
    finally:
        await db.close()
    return BuildSummary(
        generation=generation.name,
        changed=False,
        reports=len(reports),
        passages=sum(r.passage_count for r in reports),
        units=sorted({r.unit for r in reports if r.unit}),
        unknown_unit_reports=sum(1 for r in reports if not r.unit),
        years=sorted({r.year for r in reports if r.year}),
        skipped=skipped,
        duplicates=duplicates,
        warnings={r.source: r.warnings for r in reports if r.warnings},
    )


def summary_dict(summary: BuildSummary) -> dict:
    data = asdict(summary)
    data["skipped"] = [{"source": s.source, "reason": s.reason} for s in summary.skipped]
    data["duplicates"] = [{"source": s, "same_as": o} for s, o in summary.duplicates]
    return data
