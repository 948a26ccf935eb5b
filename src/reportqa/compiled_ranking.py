"""The accumulator path of ``Postings.top`` as one compiled loop, and the block path's exact scoring
of a few blocks as another (numba, the optional ``fast`` extra).

Why: the questions numpy answers slowest are those of only common words (every term in 8-70% of the
passages), where no bound prunes and every posting is added. numpy adds a common term as a dense
row (4 bytes a passage, whether the term is there or not) because its scatter (``np.add.at``) costs
several times a compiled one; a compiled loop scatters a term's postings (8 bytes a posting) at
memory speed, so only terms in at least half the passages are worth a row, and the selection runs
in the same loop's pass. At 1M passages that reads 40% fewer bytes for such a question.

Why optional and never at import: numba's import and the loading of its compiled code take about
0.4 s, more than a whole cold ``reportqa ask``. Long-running processes (the bot) compile it in the
background after the index loads (``Settings.compiled_ranking``); one-shot commands rank with numpy.

Exactness: the loop adds the same float32 values in the same order as ``Postings._accumulate``
(the terms with dense rows first, in the question's order, then the rest), and adding a row's 0 for
a passage without the term leaves a float unchanged, so the accumulator is bit for bit numpy's,
whichever way each term is read; ``tests/test_compiled_ranking.py`` checks it.

The block scorer: numpy's ``Postings._score_blocks`` is some thirty small array calls (0.06 ms at
100k passages, 0.12-0.14 ms at 300k, whatever the blocks hold), which is what a question the bounds
then cannot prune pays before the accumulator answers it; compiled, 13-43 µs with the call. Scoring
blocks this cheaply pays up to half of them (``postings.COMPILED_MAX_BLOCK_SHARE``, against 1/32 with
numpy), so most common-word questions are answered by blocks too. It sums in numpy's order (see the
loop), so the scores are numpy's bit for bit.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

log = logging.getLogger(__name__)

# A term in at least this share of the passages is read from its dense row (4 bytes a passage)
# rather than its postings (8 bytes a posting).
ROW_MIN_SHARE = 0.5



class Kernels(NamedTuple):
    """The compiled loops ``Postings`` uses once accelerated."""

    accumulate_select: Callable[..., Any]  # the accumulator path: add every posting, select the top
    score_blocks: Callable[..., Any]  # the block path: exact scores of every passage of some blocks


_lock = threading.Lock()
_kernel: Kernels | None = None
_failed: str | None = None


def _define() -> Kernels:
    from numba import njit  # the optional extra: imported only here

    @njit(nogil=True, cache=True)
    def accumulate_select(acc, dense, rows, factors, docs, weights, starts, ends,
                          allowed, use_allowed, scale, use_scale, floor, has_floor, k, sample_stride, count):
        n = acc.shape[0]
        # the terms in order: term j is read from dense row rows[j] (>= 0), else from the postings
        # starts[j]:ends[j]; the first one written (not added) into the accumulator. Times a factor
        # of 1 is exact, so one loop serves repeated and single terms
        for j in range(rows.shape[0]):
            f = factors[j]
            if rows[j] >= 0:
                row = dense[rows[j]]
                if j == 0:
                    for i in range(n):
                        acc[i] = row[i] * f
                else:
                    for i in range(n):
                        acc[i] += row[i] * f
            else:
                if j == 0:
                    acc[:] = 0
                for p in range(starts[j], ends[j]):
                    acc[docs[p]] += weights[p] * f
        if rows.shape[0] == 0:
            acc[:] = 0
        if use_allowed:
            for i in range(n):
                acc[i] *= allowed[i]
        if use_scale:
            for i in range(n):
                acc[i] *= scale[i]
        matched = 0
        if count:
            for i in range(n):
                if acc[i] != 0:
                    matched += 1
        if not has_floor:
            # a subset's k-th largest never exceeds the whole's: every stride-th passage's k-th largest
            sample = np.empty((n + sample_stride - 1) // sample_stride, np.float32)
            c = 0
            for i in range(0, n, sample_stride):
                if acc[i] > 0:
                    sample[c] = acc[i]
                    c += 1
            if c >= k:
                floor = np.partition(sample[:c], c - k)[c - k]
                has_floor = True
        strict = not (has_floor and floor > 0)  # no floor: every passage above 0
        found = 0
        for i in range(n):
            if (acc[i] > 0) if strict else (acc[i] >= floor):
                found += 1
        out = np.empty(found, np.int64)
        c = 0
        for i in range(n):
            if (acc[i] > 0) if strict else (acc[i] >= floor):
                out[c] = i
                c += 1
        return out, matched

    @njit(nogil=True, cache=True)
    def score_blocks(blocks, block, n_docs, in_rows, factors, docs, weights, starts, ends,
                     allowed, use_allowed, scale, use_scale):
        # numpy's ``Postings._score_blocks`` summed the same way: the terms with dense rows in float32
        # (in the question's order), the others in float64 from 0 (a bincount, in the question's
        # order), then the two added; a row's 0 where a term is absent changes no float32 sum, so
        # every term is read from its postings here (a binary search a block: the blocks ascend)
        nb = blocks.shape[0]
        size = nb * block
        rows_sum = np.zeros(size, np.float32)
        other = np.zeros(size, np.float64)
        for j in range(factors.shape[0]):
            f = factors[j]
            run = docs[starts[j]:ends[j]]
            w = weights[starts[j]:ends[j]]
            p = 0
            for b in range(nb):
                first = blocks[b] * block
                p += np.searchsorted(run[p:], first)
                shift = b * block - first
                while p < run.shape[0] and run[p] < first + block:
                    v = w[p] * f
                    if in_rows[j]:
                        rows_sum[run[p] + shift] += v
                    else:
                        other[run[p] + shift] += np.float64(v)
                    p += 1
        passages = np.empty(size, np.int64)
        sums = np.empty(size, np.float64)
        c = 0
        for b in range(nb):
            for i in range(block):
                d = blocks[b] * block + i
                if d >= n_docs:
                    break
                s = np.float64(rows_sum[b * block + i]) + other[b * block + i]
                if use_allowed and not allowed[d]:
                    s = 0.0
                if use_scale:
                    s *= np.float64(scale[d])
                if s > 0:
                    passages[c] = d
                    sums[c] = s
                    c += 1
        return passages[:c], sums[:c]

    return Kernels(accumulate_select, score_blocks)


def compiled_kernel() -> Kernels | None:
    """The compiled loops, compiling them on first call (seconds the first time
    on a machine, then read from numba's cache); None when numba is not installed or fails."""
    global _kernel, _failed
    with _lock:
        if _kernel is None and _failed is None:
            try:
                kernel = _define()
                _warm(kernel)
                _kernel = kernel
            except Exception as error:  # ImportError, or numba failing on this machine: numpy ranks
                _failed = f"{type(error).__name__}: {error}"
                log.info("compiled ranking unavailable (%s); ranking with numpy", _failed)
        return _kernel


def _warm(kernels: Kernels) -> None:
    """Compile for the argument types ``Postings`` passes (one signature each), on a tiny problem."""
    acc = np.zeros(4, np.float32)
    dense = np.ones((1, 4), np.float32)
    kernels.score_blocks(np.array([0], np.int64), 4, 4, np.array([True, False]), np.ones(2, np.float32),
                         np.array([1, 2], np.int32), np.ones(2, np.float32), np.zeros(2, np.int64),
                         np.array([0, 2], np.int64), np.ones(4, np.bool_), False, np.ones(4, np.float32), False)
    kernels.accumulate_select(acc, dense, np.array([0, -1], np.int64), np.ones(2, np.float32),
                              np.array([1, 2], np.int32), np.ones(2, np.float32), np.zeros(2, np.int64),
                              np.array([0, 2], np.int64), np.ones(4, np.bool_), False, np.ones(4, np.float32),
                              False, np.float32(0), False, 2, 2, False)
