"""An index as a base and an overlay: a one-report update without rewriting the base.

A full build weighs every posting with its corpus's statistics (N, average length, each term's
IDF), and any change of the corpus changes all of them, so an exact update used to reweigh and
rewrite every posting (2 GB and a 3.9 GB database copied at 1M passages: a minute). An overlaid
generation instead keeps the last full build's files as they are (hard-linked, never rewritten),
marks the passages of reports removed or changed since as dead, and holds the new and changed
reports in a small overlay, weighed with the statistics of the live corpus as a whole.

Scores stay exactly rank-bm25's over the live passages. The base's stored weights are
``idf_base(t) × h(tf, length; avgdl_base)``; the live IDF is applied as the query term's factor
``idf_live(t) / idf_base(t)`` (exact), and the length part is within a factor ``rho = max(avgdl_live /
avgdl_base, avgdl_base / avgdl_live)`` of the live one for every variant (the normalisation ``1 - b +
b·len/avgdl`` moves by at most that factor, and each contribution is monotone in it). So the base
is asked for its best passages by the stored weights, those are rescored exactly from their term
frequencies and lengths, and the base is asked for more until the last passage it returned could
not reach the k-th best even raised by ``rho``. The overlay's passages are scored as stored (its
weights are the live ones). ``LiveStats`` is what a build records of this; ``OverlaidPostings``
answers from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from reportqa.bm25.postings import BLOCK, Postings, blocks_allowed
from reportqa.bm25.scoring import Variant, compute_idf, contributions, length_norm

# float32 rounding of a stored weight times its term's factor, beyond rho
ROUNDING_SLACK = 1 + 2**-16


@dataclass
class LiveStats:
    """An overlaid generation's statistics over its live passages (the base's not dead, and the
    overlay's), and how the two are laid out: base passages first, then the overlay's; base terms
    first, then the overlay's new ones (``vocab_extra.json``). The base's share is kept apart
    (``base_df``, ``base_length``) so that the next update takes off only what it kills."""

    alive: np.ndarray  # bool per base passage
    base_df: np.ndarray  # int64 per base term: live base passages holding it
    base_length: float  # tokens in the live base passages
    base_avgdl: float  # the average the base's weights were computed with
    overlay_terms: np.ndarray  # int64 per overlay term: its id in the whole index
    df: np.ndarray  # int64 per term of the whole index: live passages holding it
    n_live: int
    avgdl: float  # over the live passages
    variant: Variant = field(default="plus", metadata={"stored": False})
    idf: np.ndarray = field(init=False, metadata={"stored": False})  # per term, from df and n_live

    def __post_init__(self) -> None:
        # derived, not stored: the variant's IDF over the live passages (0 where df is 0)
        self.idf = compute_idf(self.variant, self.df, self.n_live)

    @classmethod
    def combine(cls, variant: Variant, alive: np.ndarray, base_df: np.ndarray, base_length: float,
                base_avgdl: float, overlay_terms: np.ndarray, overlay_df: np.ndarray, overlay_length: float,
                n_overlay: int, n_terms: int) -> LiveStats:
        """The live statistics of a base (what is alive of it) and an overlay (its term ids in the
        whole index's numbering, ``n_terms`` terms in all)."""
        df = np.zeros(n_terms, dtype=np.int64)
        df[: len(base_df)] = base_df
        np.add.at(df, overlay_terms, overlay_df.astype(np.int64))
        n_live = int(alive.sum()) + n_overlay
        avgdl = (base_length + overlay_length) / n_live if n_live else 0.0
        return cls(alive, base_df.astype(np.int64), float(base_length), float(base_avgdl),
                   overlay_terms.astype(np.int64), df, n_live, float(avgdl), variant)

    @property
    def rho(self) -> float:
        """How far a base weight's length part may be from the live one, as a factor."""
        if not self.avgdl or not self.base_avgdl:
            return 1.0
        return max(self.avgdl / self.base_avgdl, self.base_avgdl / self.avgdl)

    def save(self, path: Path) -> None:
        np.savez(path, **{name: np.asarray(getattr(self, name)) for name in LIVE_ARRAYS})

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], variant: Variant) -> LiveStats:
        return cls(arrays["alive"].astype(bool, copy=False), arrays["base_df"], float(arrays["base_length"]),
                   float(arrays["base_avgdl"]), arrays["overlay_terms"], arrays["df"], int(arrays["n_live"]),
                   float(arrays["avgdl"]), variant)


LIVE_ARRAYS = tuple(f.name for f in fields(LiveStats) if f.metadata.get("stored", True))  # live.npz's


class OverlaidPostings:
    """``Postings``' answers over a base (dead passages left out, weights corrected) and an overlay,
    with exact scores: what ``SearchIndex`` ranks with when its generation is overlaid. Passages are
    numbered base first, then overlay; terms as ``LiveStats`` says."""

    def __init__(self, base: Postings, overlay: Postings, live: LiveStats, base_tf: np.ndarray,
                 base_len: np.ndarray, variant: Variant, k1: float, b: float, delta: float) -> None:
        self.base, self.overlay, self.live = base, overlay, live
        self.base_tf, self.base_len = base_tf, base_len
        self.variant, self.k1, self.b, self.delta = variant, k1, b, delta
        self.n_base = base.n_docs
        self.n_docs = base.n_docs + overlay.n_docs
        self.n_live = live.n_live
        self.df = live.df
        self.idf = live.idf
        self.absent = live.idf * delta if variant == "plus" else np.zeros(len(live.idf))
        n_base_terms = len(base.idf)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = live.idf[:n_base_terms] / base.idf
        self._ratio = np.where((base.idf > 0) & (live.idf[:n_base_terms] > 0), ratio, 0.0)
        self._overlay_id = np.full(len(live.idf), -1, dtype=np.int64)
        self._overlay_id[live.overlay_terms] = np.arange(len(live.overlay_terms))
        self._alive_blocks = blocks_allowed(live.alive, base.n_blocks) if self.n_base else live.alive
        self._rho = live.rho * ROUNDING_SLACK

    # -- what SearchIndex and the bot use ---------------------------------------------------------

    def densify(self, budget_bytes: int) -> None:
        self.base.densify(budget_bytes)

    def accelerate(self) -> bool:
        done = self.base.accelerate()
        self.overlay.accelerate()
        return done

    def contains(self, term: int, docs: np.ndarray) -> np.ndarray:
        """Which of the (ascending) ``docs`` contain ``term``."""
        cut = int(np.searchsorted(docs, self.n_base))
        found = np.zeros(len(docs), dtype=bool)
        if term < len(self.base.idf) and cut:
            found[:cut] = self.base.contains(term, docs[:cut])
        overlay_term = int(self._overlay_id[term])
        if overlay_term >= 0 and cut < len(docs):
            found[cut:] = self.overlay.contains(overlay_term, docs[cut:] - self.n_base)
        return found

    def top(self, query: Mapping[int, float], k: int, allowed: np.ndarray | None = None,
            scale: np.ndarray | None = None, count: bool = False,
            allowed_blocks: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, int | None]:
        """As ``Postings.top``, over the live passages, with their exact scores."""
        items = [(int(t), float(r)) for t, r in query.items() if self.df[t] > 0]
        empty = (np.empty(0, np.int32), np.empty(0, np.float64), 0)
        if not items or k <= 0:
            return empty
        constant = float(sum(r * self.absent[t] for t, r in items))
        base_allowed = self.live.alive if allowed is None else self.live.alive & allowed[: self.n_base]
        base_blocks = self._alive_blocks if allowed is None else None
        base_scale = None if scale is None else scale[: self.n_base]
        base_query = {t: r * self._ratio[t] for t, r in items if t < len(self._ratio) and self._ratio[t] > 0}
        base_constant = float(sum(r * self.base.absent[t] for t, r in base_query.items()))
        overlay_query = {int(self._overlay_id[t]): r for t, r in items if self._overlay_id[t] >= 0}
        overlay_docs, overlay_scores, overlay_matched = self.overlay.top(
            overlay_query, k, None if allowed is None else allowed[self.n_base:],
            None if scale is None else scale[self.n_base:], count)
        overlay_constant = float(sum(r * self.overlay.absent[t] for t, r in overlay_query.items()))
        overlay_excess = overlay_scores - overlay_constant
        wanted = k + max(k, 10)
        while True:
            docs, approx, matched = self.base.top(base_query, wanted, base_allowed, base_scale, count, base_blocks)
            excess = self.rescore(docs, items, base_scale)
            all_docs = np.concatenate([docs.astype(np.int64), overlay_docs.astype(np.int64) + self.n_base])
            all_excess = np.concatenate([excess, overlay_excess])
            if len(docs) < wanted or len(all_excess) < k:
                break  # every base passage holding a term is here
            kth = np.partition(all_excess, len(all_excess) - k)[len(all_excess) - k]
            if (approx[-1] - base_constant) * self._rho < kth:
                break  # no passage the base did not return can reach the k-th, even raised by rho
            wanted *= 4
        order = np.lexsort((all_docs, -all_excess))[:k]
        total = None if not count else int(matched or 0) + int(overlay_matched or 0)
        return all_docs[order].astype(np.int32), all_excess[order] + constant, total

    def rescore(self, docs: np.ndarray, items: list[tuple[int, float]], scale: np.ndarray | None) -> np.ndarray:
        """The exact contributions of the question's terms to these base passages (float64), from
        their term frequencies and lengths and the live statistics."""
        total = np.zeros(len(docs))
        if not len(docs):
            return total
        norm = length_norm(self.base_len[docs], self.live.avgdl, self.b)
        for term, repeat in items:
            if term >= len(self.base.idf):
                continue
            start, end = int(self.base.indptr[term]), int(self.base.indptr[term + 1])
            run = self.base.docs[start:end]
            if not len(run):
                continue
            where = np.searchsorted(run, docs)
            hit = where < len(run)
            hit[hit] = run[where[hit]] == docs[hit]
            if not hit.any():
                continue
            idf = self.live.idf[term]
            part, _ = contributions(self.variant, self.base_tf[start + where[hit]], norm[hit], self.k1, self.delta,
                                    np.full(int(hit.sum()), idf), np.array([idf]))
            total[hit] += repeat * part
        if scale is not None:
            total *= scale[docs]
        return total


def df_of_passages(base: Postings, passages: np.ndarray) -> np.ndarray:
    """How many of ``passages`` (base positions, ascending) each base term occurs in: what removing
    them takes off its document frequency. Only the blocks holding them are looked at (each term's
    block list says which terms occur there), so a report's dozen passages cost one pass over the
    block lists, not over every posting."""
    if not len(passages):
        return np.zeros(len(base.idf), dtype=np.int64)
    dead_block = np.zeros(base.n_blocks, dtype=bool)
    dead_block[passages // BLOCK] = True
    entries = np.flatnonzero(dead_block[base.block_ids])  # (term, block) pairs in those blocks
    terms = np.searchsorted(base.block_indptr, entries, side="right") - 1
    is_dead = np.zeros(base.n_docs, dtype=bool)
    is_dead[passages] = True
    blocks = base.block_ids[entries].astype(np.int64)
    term_end = base.indptr[terms + 1].astype(np.int64)
    low = _first_at_least(base.docs, base.indptr[terms].astype(np.int64), term_end, blocks * BLOCK)
    high = _first_at_least(base.docs, low, term_end, (blocks + 1) * BLOCK)
    lengths = high - low  # each (term, block): its postings in the block
    starts = np.cumsum(lengths) - lengths
    at = np.arange(int(lengths.sum()), dtype=np.int64) - np.repeat(starts - low, lengths)
    hit = is_dead[base.docs[at]]
    return np.bincount(np.repeat(terms, lengths)[hit], minlength=len(base.idf)).astype(np.int64)


def _first_at_least(docs: np.ndarray, low: np.ndarray, high: np.ndarray, target: np.ndarray) -> np.ndarray:
    """For each ascending run ``docs[low:high]``, the first position holding ``target`` or more
    (``high`` if none): a bisection of every run at once (a loop of ``np.searchsorted`` a run cost
    0.3 s of a one-report update at 1M passages)."""
    low, high = low.copy(), high.copy()
    while True:
        open_ = low < high
        if not open_.any():
            return low
        middle = (low + high) // 2
        below = open_ & (docs[np.where(open_, middle, 0)] < target)
        low = np.where(below, middle + 1, low)
        high = np.where(open_ & ~below, middle, high)
