"""The k best passages of a question, from term-major BM25 postings, without scoring every passage.

The scores are rank-bm25's (``ranking.weigh`` computes each (term, passage) contribution once, at
build time). What is here is how few of them a question has to add up:

* a question of rare terms merges their postings (a sort of a few thousand entries at most);
* otherwise the passages are cut into blocks of ``BLOCK`` consecutive passages, and the build
  stored, per term, the largest contribution it makes in each block it occurs in. A block's bound
  (the sum of its terms' block maxima) is at least the score of every passage in it. With the
  compiled loops (``compiled_ranking``, the bot), Block-Max MaxScore: the passages in order, a
  heap of the k best so far, blocks whose bound is under its k-th skipped, and the terms too weak
  to lift a passage to it alone only looked up for passages holding a stronger one. With numpy,
  the best-bounded blocks are scored exactly first, their k-th best score is a floor, and only
  blocks whose bound reaches that floor are scored too: on report corpora about 1% of the blocks
  (consecutive passages come from the same report, so a block's terms are its report's);
* when that does not pay (numpy's floor leaves too many blocks: a question of only very common
  words; more than 100 results asked for: the bot's 400-candidate first stage; an index under 50k
  passages), every posting is added into an accumulator of every passage, common terms' weights
  kept as dense rows.

All paths give the same passages and, up to float32 rounding, the same scores;
``tests/test_postings.py`` checks each against an exhaustive ranking.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from reportqa.bm25.compiled.ranking import Kernels

BLOCK = 32  # passages per block of the stored bounds
# Up to this many postings a question's terms are merged outright (one term's need no merge at all).
MERGE_MAX_POSTINGS = 4096
MERGE_MAX_ONE_TERM = 16384
# A term in at least this share of the passages gets a dense row (budget permitting): adding a
# dense row is one vectorised pass, several times faster than scattering as many postings, and
# scoring a few blocks of it is one gather.
DENSE_MIN_SHARE = 1 / 32
# Blocks scored first to find the floor: enough that their k-th best is near the true k-th best.
PROBE_BLOCKS_PER_RESULT = 4
PROBE_BLOCKS_MIN = 64
# ... and the probe at most an eighth of the blocks: a search's 400 candidates (1,600 blocks) at 100k
# passages would score half of them, 2.5x the accumulator's time.
PROBE_MAX_SHARE_INVERSE = 8
# Past this many results the bounds do not pay even where the probe fits: the search's 400 candidates
# at 1M passages took 6.7 ms (rank p50) by blocks, 4.4 ms by the accumulator.
BLOCKS_MAX_RESULTS = 100
# A term in at least 1/DENSE_BOUND_SHARE of the blocks keeps its bounds as one value per block,
# for as many such terms as this many bytes hold (at 1M passages, about 160 terms).
DENSE_BOUND_SHARE = 8
COMMON_ROWS_BUDGET = 64 * 1024 * 1024
# Bounds are float32 sums, scores float64 ones: a bound may round below the exact sum of maxima by
# a few units in the last place, which this covers (any number of terms a question has).
BOUND_SLACK = np.float32(1 + 2**-14)
# Under this many passages one pass over all of them costs less than numpy's bounds' bookkeeping
# (some twenty small numpy calls): at 20k passages the accumulator answers in about half the time.
BLOCKS_MIN_PASSAGES = 50_000
# Past this share of the blocks, scoring blocks costs more than one pass over every passage ...
MAX_BLOCK_SHARE = 1 / 32


def block_bounds(indptr: np.ndarray, docs: np.ndarray,
                 weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per term, the blocks (of ``BLOCK`` passages) it occurs in, ascending, and its largest weight
    in each: (indptr per term, block numbers int32, maxima float32). One pass over the postings."""
    n_terms = len(indptr) - 1
    if len(docs) == 0:
        return np.zeros(n_terms + 1, np.int64), np.empty(0, np.int32), np.empty(0, np.float32)
    block = docs // np.int32(BLOCK)
    starts_here = np.empty(len(docs), dtype=bool)
    starts_here[0] = True
    np.not_equal(block[1:], block[:-1], out=starts_here[1:])
    term_starts = indptr[:-1][np.diff(indptr) > 0]
    starts_here[term_starts] = True  # a term's first block, even if the previous term ended in it
    starts = np.flatnonzero(starts_here)
    # at least 0: a term a passage lacks adds 0, which the bound must cover (Okapi's IDF floor can
    # make a very common term's weights negative)
    maxima = np.maximum(np.maximum.reduceat(weights, starts), 0).astype(np.float32, copy=False)
    block_indptr = np.searchsorted(starts, indptr).astype(np.int64)
    return block_indptr, block[starts].astype(np.int32, copy=False), maxima


@dataclass
class Postings:
    """Term-major BM25 contributions: term t's passages are docs[indptr[t]:indptr[t+1]] (ascending)
    with the excess weight over ``absent[t]`` (what the term adds to a passage without it), and its
    block bounds: blocks block_ids[block_indptr[t]:block_indptr[t+1]] with the maxima ``block_max``."""

    indptr: np.ndarray  # int64, n_terms + 1
    docs: np.ndarray  # int32
    weights: np.ndarray  # float32
    absent: np.ndarray  # float64 per term
    idf: np.ndarray  # float64 per term (the variant's IDF, 0 for terms in no passage)
    df: np.ndarray  # int32 per term
    n_docs: int
    block_indptr: np.ndarray  # int64, n_terms + 1
    block_ids: np.ndarray  # int32
    block_max: np.ndarray  # float32
    dense_rows: dict[int, int] = field(default_factory=dict)  # term → row of ``dense``
    dense: np.ndarray | None = None  # float32 (rows, n_blocks × BLOCK): common terms' weights, 0 elsewhere
    _filled: np.ndarray | None = None  # bool per dense row: written yet (rows are filled on first use)
    compiled: Kernels | None = None  # compiled_ranking's loops, once ``accelerate`` has made them

    @property
    def n_blocks(self) -> int:
        return -(-self.n_docs // BLOCK)

    @property
    def n_live(self) -> int:
        """Passages the statistics count (every passage here; an overlaid index has dead ones)."""
        return self.n_docs

    def densify(self, budget_bytes: int, min_share: float = DENSE_MIN_SHARE) -> None:
        """Keep the weights of the most common terms (in at least ``min_share`` of the passages) as
        dense rows, as many as fit in ``budget_bytes``. A row is written the first time a question
        needs it (the zeroed block is only reserved here, so loading an index for one question does
        not pay for rows it never reads)."""
        if self.n_docs == 0:
            return
        width = self.n_blocks * BLOCK  # whole blocks: a block of a row is a row of its (blocks, BLOCK) view
        common = np.flatnonzero(self.df >= max(1, self.n_docs * min_share))
        common = common[np.argsort(-self.df[common], kind="stable")][: budget_bytes // (4 * width)]
        self.dense = np.zeros((len(common), width), dtype=np.float32)  # calloc: untouched pages are free
        self._filled = np.zeros(len(common), dtype=bool)
        self.dense_rows = {int(t): row for row, t in enumerate(common)}

    def accelerate(self) -> bool:
        """From now on add up the accumulator path's questions in ``compiled_ranking``'s loop, when
        numba is installed (else False, and numpy goes on ranking). Slow the first time (numba
        compiles, or reads its cache, for these arrays' types), so a long-running process calls it
        in the background once the index is loaded; the answers are the same either way."""
        from reportqa.bm25.compiled.ranking import compiled_kernel

        kernels = compiled_kernel()
        if kernels is None:
            return False
        # the specialisations questions use (these arrays' types: memory-mapped or not)
        self._accumulate_compiled(kernels.accumulate_select, [], 1, None, None, None, False)
        self.term_max()  # what MaxScore orders a question's terms by
        self.compiled = kernels
        if len(self.df) and self.n_blocks:  # the block path's specialisation for these arrays
            self._top_by_blocks_compiled([(0, 1.0)], 1, None, None, None)
        return True

    def _dense_row(self, row: int, term: int) -> np.ndarray:
        assert self.dense is not None and self._filled is not None
        if not self._filled[row]:  # two threads filling one row write the same values
            start, end = self.indptr[term], self.indptr[term + 1]
            self.dense[row, self.docs[start:end]] = self.weights[start:end]
            self._filled[row] = True
        return self.dense[row]

    def _postings(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        start, end = self.indptr[term], self.indptr[term + 1]
        return self.docs[start:end], self.weights[start:end]

    def _items(self, query: Mapping[int, float]) -> tuple[list[tuple[int, float]], float]:
        constant = float(sum(r * self.absent[t] for t, r in query.items()))
        items = [(t, r) for t, r in query.items() if self.indptr[t + 1] > self.indptr[t]]
        return items, constant

    def top(
        self,
        query: Mapping[int, float],
        k: int,
        allowed: np.ndarray | None = None,
        scale: np.ndarray | None = None,
        count: bool = False,
        allowed_blocks: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, int | None]:
        """The ``k`` best passages holding a query term, best first (ties: lower passage first), their
        scores, and (with ``count``) how many passages matched in all, else None.

        ``query`` maps term ids to how often the question names them (rank-bm25 counts repeats), or
        any positive factor. ``allowed`` (bool per passage) filters; ``allowed_blocks`` (float32 per
        block: 1 where a passage is allowed) saves working that out from it for every question when
        the caller keeps one filter (the live passages of an overlaid index). ``scale`` (float32 per
        passage, in (0, 1]) multiplies what the terms contribute (the score is ``constant + scale ×
        contributions``; the constant, BM25Plus's ``idf × delta`` of every query term, is the same for
        every passage).
        """
        items, constant = self._items(query)
        empty = (np.empty(0, np.int32), np.empty(0, np.float64), 0)
        if not items or k <= 0:
            return empty
        matched: int | None = None
        total = sum(int(self.df[t]) for t, _ in items)
        if total <= (MERGE_MAX_ONE_TERM if len(items) == 1 else MERGE_MAX_POSTINGS):
            docs, sums = self._sparse(items, allowed, scale)
            matched = len(docs)
        else:
            found, floor = (None, None) if count else self._top_by_blocks(items, k, allowed, scale, allowed_blocks)
            if found is None and self.compiled is not None:
                found, matched = self._accumulate_compiled(self.compiled.accumulate_select, items, k, allowed,
                                                           scale, floor, count)
            elif found is None:
                acc = self._accumulate(items)
                if allowed is not None:
                    acc *= allowed
                if scale is not None:
                    acc *= scale
                # contributions are positive, so "scored at all" is "above zero"
                matched = int(np.count_nonzero(acc)) if count else None
                found = select_top(acc, k, floor)
            docs, sums = found
        if len(docs) > k:  # only those tied with or above the k-th go to the sort
            kth = np.partition(sums, len(sums) - k)[len(sums) - k]
            keep = sums >= kth
            docs, sums = docs[keep], sums[keep]
        order = np.lexsort((docs, -sums))[:k]
        return docs[order].astype(np.int32), sums[order].astype(np.float64) + constant, matched

    def _sparse(self, items: list[tuple[int, float]], allowed: np.ndarray | None,
                scale: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """(passages ascending, sums) by a sort-based merge: for questions whose terms are rare (its
        cost grows with their postings, not with the index)."""
        doc_parts, weight_parts = [], []
        for term, repeat in items:
            docs, weights = self._postings(term)
            doc_parts.append(docs)
            weight_parts.append(weights if repeat == 1 else weights * np.float32(repeat))
        if len(items) == 1:  # one term's postings are already a passage each, ascending
            unique, sums = doc_parts[0], weight_parts[0].astype(np.float64)
        else:
            unique, inverse = np.unique(np.concatenate(doc_parts), return_inverse=True)
            sums = np.bincount(inverse, weights=np.concatenate(weight_parts))
        if allowed is not None:
            keep = allowed[unique]
            unique, sums = unique[keep], sums[keep]
        if scale is not None:
            sums = sums * scale[unique]
        return unique, sums

    def _top_by_blocks(self, items: list[tuple[int, float]], k: int, allowed: np.ndarray | None,
                       scale: np.ndarray | None, allowed_blocks: np.ndarray | None = None,
                       ) -> tuple[tuple[np.ndarray, np.ndarray] | None, float | None]:
        """Every passage scoring at least the k-th best (ties included) with its score, by block
        bounds; else (None, a floor under the k-th best, or None) when the bounds would not prune
        enough to pay (a question of only very common words: nearly every block holds a passage
        high in each). Compiled, Block-Max MaxScore (``_top_by_blocks_compiled``).

        Exactness: a passage's score never exceeds its block's bound (the sum of maxima, given
        ``BOUND_SLACK`` for rounding); the floor is the k-th best of passages actually scored, so it
        never exceeds the true k-th best."""
        n_blocks = self.n_blocks
        probe_size = max(PROBE_BLOCKS_MIN, PROBE_BLOCKS_PER_RESULT * k)
        if k > BLOCKS_MAX_RESULTS or (self.compiled is None and (
                self.n_docs < BLOCKS_MIN_PASSAGES or probe_size * PROBE_MAX_SHARE_INVERSE > n_blocks)):
            return None, None  # compiled, MaxScore pays at any size (at 20k passages p50 0.14 -> 0.10 ms)
        block_factor = None
        if allowed is not None:
            block_factor = allowed_blocks if allowed_blocks is not None else _per_block(allowed, n_blocks,
                                                                                        np.logical_or)
        if scale is not None:
            per_block = _per_block(scale, n_blocks, np.maximum)
            block_factor = per_block if block_factor is None else block_factor * per_block  # or: 0 or 1, exact
        if self.compiled is not None:
            return self._top_by_blocks_compiled(items, k, block_factor, allowed, scale), None
        bound = np.zeros(n_blocks, dtype=np.float32)
        for term, repeat in items:
            self._add_bound(bound, term, repeat)
        if block_factor is not None:
            bound *= block_factor
        probe = np.argpartition(bound, n_blocks - probe_size)[n_blocks - probe_size:]
        docs, sums = self._score_blocks(items, np.sort(probe), allowed, scale)
        if len(sums) < k:
            return None, None  # too few passages in the best blocks to set a floor: a filter, or few matches
        floor = np.partition(sums, len(sums) - k)[len(sums) - k]
        bound[probe] = 0
        rest = np.flatnonzero(bound * BOUND_SLACK >= floor)
        if len(rest) > n_blocks * MAX_BLOCK_SHARE:
            return None, float(floor) / float(BOUND_SLACK)  # float32 sums may round under float64 ones
        if len(rest):
            more_docs, more_sums = self._score_blocks(items, rest, allowed, scale)
            docs, sums = np.concatenate([docs, more_docs]), np.concatenate([sums, more_sums])
        keep = sums >= floor
        return (docs[keep], sums[keep]), None

    def _top_by_blocks_compiled(self, items: list[tuple[int, float]], k: int, block_factor: np.ndarray | None,
                                allowed: np.ndarray | None,
                                scale: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """The block path in one compiled call (``ranking_kernels.top_by_blocks``): the same block
        bounds as numpy's, then Block-Max MaxScore over them (every passage that can reach the k-th
        best, with its score, and perhaps some under it)."""
        assert self.compiled is not None
        terms = np.array([term for term, _ in items], dtype=np.int64)
        common_rows = np.array([-1 if (c := self._common(term)) is None else c[2] for term, _ in items],
                               dtype=np.int64)
        table: CommonRows = self.__dict__["_common_table"]  # made by _common
        return self.compiled.top_by_blocks(
            k, self.n_docs, BLOCK, common_rows, table.bounds, np.asarray(self.block_indptr[terms]),
            np.asarray(self.block_indptr[terms + 1]), np.asarray(self.block_ids), np.asarray(self.block_max),
            np.array([r for _, r in items], dtype=np.float32), self.term_max()[terms],
            np.asarray(self.docs), np.asarray(self.weights), np.asarray(self.indptr[terms]),
            np.asarray(self.indptr[terms + 1]), _NO_SCALE if block_factor is None else block_factor,
            block_factor is not None, *_compiled_filters(allowed, scale))

    def _add_bound(self, bound: np.ndarray, term: int, repeat: float) -> None:
        """Add ``term``'s block bounds (× ``repeat``) to ``bound`` (one value per block)."""
        common = self._common(term)
        if common is not None:
            bound += common[0] if repeat == 1 else common[0] * np.float32(repeat)
            return
        start, end = self.block_indptr[term], self.block_indptr[term + 1]
        maxima = self.block_max[start:end]
        bound[self.block_ids[start:end]] += maxima if repeat == 1 else maxima * np.float32(repeat)

    def _common(self, term: int) -> tuple[np.ndarray, np.ndarray, int] | None:
        """For a term in at least 1/DENSE_BOUND_SHARE of the blocks, kept once made: its bounds as
        one value per block (0 where it is absent: adding them is one contiguous pass, several
        times faster than scattering its block list), where each block's run of its postings
        starts (n_blocks + 1 positions in ``docs``: two lookups a block instead of a binary search,
        which misses the cache at every level), and its row of the ``CommonRows`` table (-1 when
        the table is full and the rows were made for this question only). None for rarer terms."""
        table = self.__dict__.get("_common_table")
        if table is None:
            table = self.__dict__.setdefault("_common_table", CommonRows.for_blocks(self.n_blocks))
        row = table.rows.get(term)
        if row is not None:
            return table.bounds[row], table.runs[row], row
        start, end = self.block_indptr[term], self.block_indptr[term + 1]
        if (end - start) * DENSE_BOUND_SHARE < self.n_blocks:
            return None
        bound = np.zeros(self.n_blocks, dtype=np.float32)
        bound[self.block_ids[start:end]] = self.block_max[start:end]
        first, last = self.indptr[term], self.indptr[term + 1]
        edges = np.arange(self.n_blocks + 1, dtype=np.int64) * BLOCK
        runs = (np.searchsorted(self.docs[first:last], edges) + first).astype(np.int64)
        return bound, runs, table.keep(term, bound, runs)

    def _score_blocks(self, items: list[tuple[int, float]], blocks: np.ndarray, allowed: np.ndarray | None,
                      scale: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Exact scores of every passage in ``blocks`` (ascending): (passages, float64 sums > 0).
        Dense rows are gathered block by block; every other term's postings in the blocks are
        found by their runs' ends and added in one ``bincount``, not term by term."""
        starts = blocks.astype(np.int64) * BLOCK
        size = len(blocks) * BLOCK
        dense_sum: np.ndarray | None = None
        lows, highs, factors = [], [], []
        for term, repeat in items:
            row = self.dense_rows.get(term)
            if row is not None:
                part = self._dense_row(row, term).reshape(-1, BLOCK)[blocks]  # a copy
                if repeat != 1:
                    part *= np.float32(repeat)
                if dense_sum is None:
                    dense_sum = part
                else:
                    dense_sum += part
                continue
            common = self._common(term)
            if common is not None:
                runs = common[1]
                lows.append(runs[blocks])
                highs.append(runs[blocks + 1])
            else:
                first, last = self.indptr[term], self.indptr[term + 1]
                docs = self.docs[first:last]
                lows.append(np.searchsorted(docs, starts) + first)
                highs.append(np.searchsorted(docs, starts + BLOCK) + first)
            factors.append(repeat)
        sums = np.zeros(size) if dense_sum is None else dense_sum.reshape(-1).astype(np.float64)
        if lows:
            low, high = np.concatenate(lows), np.concatenate(highs)
            lengths = high - low
            total = int(lengths.sum())
            if total:
                # positions of the selected postings: each (term, block) run low..high, concatenated
                picked = np.arange(total, dtype=np.int64) + np.repeat(low - (np.cumsum(lengths) - lengths), lengths)
                chosen = self.weights[picked]
                if any(f != 1 for f in factors):
                    chosen = chosen * np.repeat(np.repeat(np.float32(factors), len(blocks)), lengths)
                shift = np.arange(len(blocks), dtype=np.int64) * BLOCK - starts  # passage → position
                where = self.docs[picked] + np.repeat(np.tile(shift, len(lows)), lengths)
                sums += np.bincount(where, weights=chosen, minlength=size)
        passages = (starts[:, None] + np.arange(BLOCK)).reshape(-1)
        if passages[-1] >= self.n_docs:  # the last block runs past the last passage (its scores are 0)
            inside = passages < self.n_docs
            passages, sums = passages[inside], sums[inside]
        if allowed is not None:
            sums *= allowed[passages]
        if scale is not None:
            sums *= scale[passages]
        keep = sums > 0
        return passages[keep], sums[keep]

    def _accumulate(self, items: list[tuple[int, float]]) -> np.ndarray:
        """Dense float32 sums over every passage: dense rows added, other postings scattered. The
        first two rows are added into the accumulator in one pass (no copy of the first)."""
        acc = self._scratch()
        rows = []
        for term, repeat in items:
            row = self.dense_rows.get(term)
            if row is not None:
                weights = self._dense_row(row, term)[: self.n_docs]
                rows.append(weights if repeat == 1 else weights * np.float32(repeat))
        if len(rows) >= 2:
            np.add(rows[0], rows[1], out=acc)
        elif rows:
            np.copyto(acc, rows[0])
        else:
            acc.fill(0)
        for weights in rows[2:]:
            acc += weights
        for term, repeat in items:
            if term in self.dense_rows:
                continue
            docs, weights = self._postings(term)
            # ufunc.at, not ``acc[docs] +=``: numpy 2's fast path for it is 1.5-3x faster
            np.add.at(acc, docs, weights if repeat == 1 else weights * np.float32(repeat))
        return acc

    def _accumulate_compiled(self, kernel: Callable[..., Any], items: list[tuple[int, float]], k: int,
                             allowed: np.ndarray | None, scale: np.ndarray | None, floor: float | None,
                             count: bool) -> tuple[tuple[np.ndarray, np.ndarray], int | None]:
        """What ``_accumulate``, the filters and ``select_top`` give, in one compiled pass: the same
        terms in the same order (those with dense rows first), each read from its row only when
        it is in at least ``ROW_MIN_SHARE`` of the passages, else from its postings."""
        from reportqa.bm25.compiled.ranking import ROW_MIN_SHARE

        with_rows = [it for it in items if it[0] in self.dense_rows]
        ordered = with_rows + [it for it in items if it[0] not in self.dense_rows]
        rows = np.full(len(ordered), -1, dtype=np.int64)
        for j, (term, _) in enumerate(ordered):
            row = self.dense_rows.get(term)
            if row is not None and self.df[term] >= ROW_MIN_SHARE * self.n_docs:
                self._dense_row(row, term)
                rows[j] = row
        terms = np.array([term for term, _ in ordered], dtype=np.int64)
        acc = self._scratch()
        dense = self.dense if self.dense is not None else _NO_ROWS
        docs, matched = kernel(
            acc, dense, rows, np.array([r for _, r in ordered], dtype=np.float32),
            np.asarray(self.docs), np.asarray(self.weights),
            np.asarray(self.indptr[terms]), np.asarray(self.indptr[terms + 1]),
            *_compiled_filters(allowed, scale),
            np.float32(0 if floor is None else floor), floor is not None, k, SAMPLE_STRIDE, count)
        return (docs, acc[docs]), (int(matched) if count else None)

    def term_max(self) -> np.ndarray:
        """Each term's largest weight (float32; 0 for a term in no passage), from its block maxima,
        made on first use and kept."""
        made = self.__dict__.get("_term_max")
        if made is None:
            made = np.zeros(len(self.block_indptr) - 1, dtype=np.float32)
            present = np.diff(self.block_indptr) > 0
            if present.any():  # the present terms' runs of maxima follow one another
                made[present] = np.maximum.reduceat(self.block_max, self.block_indptr[:-1][present])
            self.__dict__["_term_max"] = made
        return made

    def _scratch(self) -> np.ndarray:
        """This thread's accumulator, reused question after question: a fresh array of every
        passage each time costs the kernel a page fault per 4 KB before the first add (questions
        run in worker threads at once, so each thread has its own). Callers copy out what they keep."""
        local = self.__dict__.get("_local")
        if local is None:
            local = self.__dict__.setdefault("_local", threading.local())
        acc = getattr(local, "acc", None)
        if acc is None or len(acc) != self.n_docs:
            acc = local.acc = np.empty(self.n_docs, dtype=np.float32)
        return acc

    def score(self, query: Mapping[int, float]) -> tuple[np.ndarray, np.ndarray]:
        """(passages containing at least one query term, ascending; their BM25 scores)."""
        docs, scores, _ = self.top(query, self.n_docs)
        order = np.argsort(docs)
        return docs[order], scores[order]

    def contains(self, term: int, docs: np.ndarray) -> np.ndarray:
        """Which of the (ascending) ``docs`` contain ``term``."""
        start, end = self.indptr[term], self.indptr[term + 1]
        postings = self.docs[start:end]
        if end == start or len(docs) == 0:
            return np.zeros(len(docs), dtype=bool)
        where = np.searchsorted(postings, docs)
        where[where >= len(postings)] = len(postings) - 1
        return postings[where] == docs

    def full_scores(self, query: Mapping[int, int]) -> np.ndarray:
        """Scores of every passage (what rank-bm25's ``get_scores`` returns: the fast path scores only
        those holding a term); for tests and checks."""
        scores = np.full(self.n_docs, sum(r * self.absent[t] for t, r in query.items()), dtype=np.float64)
        docs, values = self.score(query)
        scores[docs] = values
        return scores


class CommonRows:
    """The common terms' block bounds and postings run starts (``Postings._common``), one table row
    a term, up to ``COMMON_ROWS_BUDGET`` (12 bytes a block a term): a long-running process must not
    grow with every common word it is ever asked, and the compiled block path reads every kept
    term's bounds from one array (numpy's block scorer reads the runs). The tables are zeroed
    lazily (calloc), so unused rows cost nothing."""

    def __init__(self, capacity: int, n_blocks: int) -> None:
        self.bounds = np.zeros((capacity, n_blocks), dtype=np.float32)
        self.runs = np.zeros((capacity, n_blocks + 1), dtype=np.int64)
        self.rows: dict[int, int] = {}  # term → its row, set once the row is written
        self._lock = threading.Lock()

    @classmethod
    def for_blocks(cls, n_blocks: int) -> CommonRows:
        return cls(COMMON_ROWS_BUDGET // (12 * max(1, n_blocks)), n_blocks)

    def keep(self, term: int, bound: np.ndarray, runs: np.ndarray) -> int:
        """Store a term's rows; its row, or -1 when the table is full."""
        with self._lock:
            row = self.rows.get(term)
            if row is None:
                if len(self.rows) >= len(self.bounds):
                    return -1
                row = len(self.rows)
                self.bounds[row], self.runs[row] = bound, runs
                self.rows[term] = row
            return row


# stand-ins of the compiled loop's arguments a question does not use (the types it was compiled for)
_NO_ROWS = np.zeros((0, BLOCK), dtype=np.float32)
_NO_RUNS = np.zeros((0, 1), dtype=np.int64)
_NO_FILTER = np.ones(1, dtype=bool)
_NO_SCALE = np.ones(1, dtype=np.float32)


def _compiled_filters(allowed: np.ndarray | None,
                      scale: np.ndarray | None) -> tuple[np.ndarray, bool, np.ndarray, bool]:
    """The compiled loops' filter and scale arguments: (allowed, use it, scale, use it)."""
    return (_NO_FILTER if allowed is None else allowed.astype(bool, copy=False), allowed is not None,
            _NO_SCALE if scale is None else scale.astype(np.float32, copy=False), scale is not None)


def _per_block(values: np.ndarray, n_blocks: int, combine: np.ufunc) -> np.ndarray:
    """``combine`` (logical or, maximum) of ``values`` (one per passage) over each block, as float32."""
    return combine.reduceat(values, np.arange(0, n_blocks * BLOCK, BLOCK)).astype(np.float32)


def blocks_allowed(allowed: np.ndarray, n_blocks: int) -> np.ndarray:
    """Per block, 1 where any of its passages is allowed, else 0 (``Postings.top``'s ``allowed_blocks``)."""
    return _per_block(allowed, n_blocks, np.logical_or)


SAMPLE_STRIDE = 32


def select_top(acc: np.ndarray, k: int, floor: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The passages whose score is at least the k-th largest of ``acc`` (ties with it included),
    with their scores, passages ascending; zeros never. ``floor``, when known, is a value the k-th
    largest is not under.

    A selection over the whole accumulator (``np.partition`` of a mostly-zero array of every
    passage: 2 ms at 100k, 10 ms at 300k) is avoided: without a floor, the k-th largest of every
    32nd passage is one (a subset's k-th largest never exceeds the whole's), so one comparison pass
    keeps about 32·k candidates, and the exact selection runs among those only."""
    if floor is None:
        sample = acc[::SAMPLE_STRIDE]
        positive = sample[sample > 0]
        if len(positive) >= k:
            floor = float(positive[np.argpartition(positive, len(positive) - k)[len(positive) - k]])
    docs = np.flatnonzero(acc >= floor) if floor is not None and floor > 0 else np.flatnonzero(acc > 0)
    return docs, acc[docs]


def stored_postings(arrays: Mapping[str, np.ndarray], prefix: str = "") -> Postings:
    """The postings of a loaded generation's arrays (``prefix``: its overlay's)."""
    return Postings(
        indptr=arrays[prefix + "post_indptr"],
        docs=arrays[prefix + "post_docs"],
        weights=arrays[prefix + "post_weights"],
        absent=arrays[prefix + "post_absent"],
        idf=arrays[prefix + "post_idf"],
        df=arrays[prefix + "post_df"],
        n_docs=len(arrays[prefix + "passage_ids"]),
        block_indptr=arrays[prefix + "block_indptr"],
        block_ids=arrays[prefix + "block_ids"],
        block_max=arrays[prefix + "block_max"],
    )
