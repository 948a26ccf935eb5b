"""The accumulator path of ``Postings.top`` as one compiled loop (numba, the optional ``fast`` extra).

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
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

# A term in at least this share of the passages is read from its dense row (4 bytes a passage)
# rather than its postings (8 bytes a posting).
ROW_MIN_SHARE = 0.5

_lock = threading.Lock()
_kernel: Callable[..., Any] | None = None
_failed: str | None = None


def _define() -> Callable[..., Any]:
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

    return accumulate_select


def compiled_kernel() -> Callable[..., Any] | None:
    """The compiled accumulate-and-select loop, compiling it on first call (seconds the first time
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


def _warm(kernel: Callable[..., Any]) -> None:
    """Compile for the argument types ``Postings`` passes (one signature), on a tiny problem."""
    acc = np.zeros(4, np.float32)
    dense = np.ones((1, 4), np.float32)
    kernel(acc, dense, np.array([0, -1], np.int64), np.ones(2, np.float32), np.array([1, 2], np.int32),
           np.ones(2, np.float32), np.zeros(2, np.int64), np.array([0, 2], np.int64),
           np.ones(4, np.bool_), False, np.ones(4, np.float32), False, np.float32(0), False, 2, 2, False)
