"""How an update is written as an overlay over the last full build (``overlay.py`` reads one): whether
it can be, the base it keeps and what of it is dead now (``plan_overlay``); and, when the next update
is a full build again (compaction), an overlaid generation's database merged back into one file
(``database.keep_overlay_reports``). ``indexer`` writes both kinds of generation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reportqa.bm25.overlay import LiveStats, df_of_passages
from reportqa.bm25.postings import Postings, stored_postings
from reportqa.bm25.scoring import Frequencies
from reportqa.domain.rules import config_fingerprint
from reportqa.domain.stored_words import WORDS_NAME, dictionary_key, stored_key
from reportqa.index import database as store
from reportqa.index.boilerplate import recount
from reportqa.index.checks import LIVE_PREFIX, OVERLAY_DIR, OVERLAY_PREFIX, Shape, arrays_under, read_manifest
from reportqa.index.scan import INDEX_FORMAT, Previous, Scan, ranking_key
from reportqa.settings import Settings

BASE_FILES = (store.DB_NAME, store.TERMS_NAME, store.VOCAB_NAME, WORDS_NAME)  # what an overlaid generation links


@dataclass
class WrittenOverlay:
    """What ``indexer._write_generation`` wrote of an overlay, for ``indexer._write_overlaid`` to finish."""

    build_id: str
    shape: Shape
    arrays: dict[str, np.ndarray]
    vocab: list[str]
    live: LiveStats
    extra: list[str]
    new_reports: list[store.ReportRow]


@dataclass
class OverlayPlan:
    """An overlaid generation to write (``overlay.py``): the base it keeps (the served generation's
    base files), what of the base is dead now, and the overlay's reports kept from the served one."""

    base: Path  # the folder whose base files are linked (the served generation)
    base_manifest: dict  # the base files' records and the base's build id and shape
    base_postings: Postings  # memory-mapped: which terms the newly dead passages held
    base_len: np.ndarray
    base_vocab: list[str]
    alive: np.ndarray  # per base passage, now
    newly_dead: np.ndarray  # base passages alive in the served generation and dead now
    dead_reports: list[int]  # every base report dead now
    previous_live: LiveStats | None  # the served generation's, when it is overlaid
    overlay_previous: Previous | None  # the served overlay, as a generation of its own
    overlay_reused: list[store.KnownReport]
    base_reused: list[store.KnownReport]
    boilerplate_counts: tuple[np.ndarray, np.ndarray]  # the base's counted keys and their counts
    id_floor: int
    written: WrittenOverlay | None = None

    async def recount_boilerplate(self, overlay_keys: list[np.ndarray], n_reports: int) -> np.ndarray:
        """The boilerplate of the whole generation: the base's counted keys less its dead reports',
        plus the overlay's (``n_reports`` live reports in all)."""
        db = await store.connect(self.base / store.DB_NAME, readonly=True)
        try:
            dead = [np.frombuffer(blob, dtype=np.uint64)
                    for blob in await store.read_base_clause_keys(db, self.dead_reports)]
        finally:
            await db.close()
        return recount(*self.boilerplate_counts, dead, overlay_keys, n_reports)

    def live_stats(self, settings: Settings, freqs: Frequencies, vocab: list[str],
                   doc_len: np.ndarray) -> tuple[LiveStats, list[str]]:
        """The live statistics once the overlay holds ``freqs`` (its own terms ``vocab``), and the
        terms it adds to the base's, in the whole index's order."""
        term_id = {term: i for i, term in enumerate(self.base_vocab)}
        extra = [term for term in vocab if term not in term_id]
        term_id.update({term: len(self.base_vocab) + i for i, term in enumerate(extra)})
        if self.previous_live is None:
            base_df = self.base_postings.df.astype(np.int64)
            base_length = float(self.base_len.sum(dtype=np.float64))
            base_avgdl = base_length / len(self.base_len) if len(self.base_len) else 0.0
        else:
            base_df, base_length = self.previous_live.base_df, self.previous_live.base_length
            base_avgdl = self.previous_live.base_avgdl
        base_df = base_df - df_of_passages(self.base_postings, self.newly_dead)
        base_length -= float(self.base_len[self.newly_dead].sum(dtype=np.float64))
        live = LiveStats.combine(settings.bm25_variant, self.alive, base_df, base_length, base_avgdl,
                                 np.array([term_id[t] for t in vocab], dtype=np.int64), freqs.df,
                                 float(doc_len.sum(dtype=np.float64)), freqs.n_docs, len(term_id))
        return live, extra


def plan_overlay(previous: Previous | None, scan: Scan, settings: Settings, full: bool,
                  damage: str | None) -> OverlayPlan | None:
    """Whether this update is written as an overlay (``overlay.py``) and how: only for a base of at
    least ``overlay_min_passages`` whose statistics it is exact over (BM25+ and BM25L: Okapi's IDF
    can go below 0, where the rescoring bound does not hold), the same dictionary and ranking, and
    while the overlay and the dead stay under ``overlay_max_share`` of the base."""
    if previous is None or full or damage or settings.bm25_variant not in ("plus", "l"):
        return None
    if previous.info.get("ranking") != ranking_key(settings) or previous.info.get("format") != INDEX_FORMAT:
        return None
    arrays = previous.arrays
    base_report, base_ids = arrays["passage_report"], arrays["passage_ids"]
    n_base = len(base_ids)
    if n_base == 0 or n_base < settings.overlay_min_passages:
        return None
    base_words = previous.generation / WORDS_NAME
    if stored_key(base_words) != dictionary_key(config_fingerprint(settings.config_dir)):
        return None
    base_report_ids = np.unique(base_report)
    base_set = set(base_report_ids.tolist())
    in_base = {r.id for r in scan.reused if r.id in base_set}
    base_reused = [r for r in scan.reused if r.id in in_base]
    overlay_reused = [r for r in scan.reused if r.id not in in_base]
    alive = np.isin(base_report, np.array(sorted(in_base), dtype=np.int64))
    per_report = n_base / max(1, len(base_report_ids))
    overlay_passages = sum(r.passage_count for r in overlay_reused) + per_report * len(scan.to_parse)
    share = settings.overlay_max_share
    limit, report_limit = share * n_base, share * len(base_report_ids)
    if (overlay_passages > limit or n_base - int(alive.sum()) > limit
            or len(overlay_reused) + len(scan.to_parse) > report_limit
            or len(base_report_ids) - len(base_reused) > report_limit):
        return None  # compact: the next generation is a full build
    if "boilerplate_counts" not in arrays or float(arrays["boilerplate_share"]) < share:
        return None  # the base did not count the clauses an overlay this large recounts
    overlaid = previous.overlaid
    previous_alive = arrays[LIVE_PREFIX + "alive"] if overlaid else np.ones(n_base, dtype=bool)
    manifest = read_manifest(previous.generation)
    base_manifest = {"files": {name: manifest["files"][name] for name in BASE_FILES},
                     "build_id": manifest["base"]["build_id"] if overlaid else manifest["build_id"],
                     "shape": manifest["shape"]}
    n_base_terms = len(arrays["post_indptr"]) - 1
    base_postings = stored_postings(arrays)
    overlay_previous = None
    if overlaid:
        overlay_vocab = [previous.vocab[int(t)] for t in arrays[LIVE_PREFIX + "overlay_terms"]]
        overlay_previous = Previous(previous.generation / OVERLAY_DIR,
                                     {r.source: r for r in previous.reports.values() if r.id not in base_set},
                                     previous.stamps, previous.info,
                                     arrays_under(arrays, OVERLAY_PREFIX), overlay_vocab)
    previous_live = (LiveStats.from_arrays(arrays_under(arrays, LIVE_PREFIX), settings.bm25_variant) if overlaid
                     else None)
    highest = max(int(base_ids.max()), int(base_report.max()))
    return OverlayPlan(
        base=previous.generation, base_manifest=base_manifest, base_postings=base_postings,
        base_len=arrays["passage_len"], base_vocab=previous.vocab[:n_base_terms], alive=alive,
        newly_dead=np.flatnonzero(previous_alive & ~alive), dead_reports=sorted(base_set - in_base),
        previous_live=previous_live, overlay_previous=overlay_previous, overlay_reused=overlay_reused,
        base_reused=base_reused, boilerplate_counts=(arrays["boilerplate_keys"], arrays["boilerplate_counts"]),
        id_floor=highest + 1)
