"""The compiled loops of ``Postings.top`` (numba, the optional ``fast`` extra): the accumulator path
as one loop, and the block path whole as another (``ranking_kernels``).

Why: the questions numpy answers slowest are those of only common words (every term in 8-70% of the
passages). numpy adds a common term as a dense row (4 bytes a passage, whether the term is there or
not) because its scatter (``np.add.at``) costs several times a compiled one; a compiled loop
scatters a term's postings (8 bytes a posting) at memory speed, so only terms in at least half the
passages are worth a row, and the selection runs in the same loop's pass.

The block path in one call: numpy's is some thirty small array calls around the probe, whose
Python costs more than the loops once the caches are cold (a question among other work). Compiled,
a question whose bounds leave over ``postings.COMPILED_MAX_BLOCK_SHARE`` of the blocks (too flat to
prune by blocks: every word common) is answered by Block-Max MaxScore from the probe's floor rather
than by a pass over every posting: at 300k passages p99 went from 1.43 to 0.82 ms (benchmarks/peers.py).

Why optional and never at import: numba's import and the loading of its compiled code take about
0.5 s, more than a whole cold ``reportqa ask``. Long-running processes (the bot) compile it in the
background after the index loads (``Settings.compiled_ranking``); one-shot commands rank with numpy.

Exactness: the accumulator loop adds the same float32 values in the same order as
``Postings._accumulate`` (the terms with dense rows first, in the question's order, then the rest),
and adding a row's 0 for a passage without the term leaves a float unchanged, so its accumulator is
bit for bit numpy's. The block path computes the same bounds, floor and block scores as numpy's
(``tests/test_compiled_ranking.py`` compares them bit for bit); MaxScore, which numpy does not have,
sums each passage's terms in float64 and is checked against the exhaustive ranking, ties included.
"""

from __future__ import annotations

import importlib
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
    """The compiled loops ``Postings`` uses once accelerated (``ranking_kernels``)."""

    accumulate_select: Callable[..., Any]  # the accumulator path: add every posting, select the top
    top_by_blocks: Callable[..., Any]  # the block path whole: bounds, probe, floor, rest or MaxScore


_lock = threading.Lock()
_kernel: Kernels | None = None
_failed: str | None = None


def _define() -> Kernels:
    kernels = importlib.import_module("reportqa.bm25.compiled.kernels")  # numba, the optional extra: imported only here
    return Kernels(kernels.accumulate_select, kernels.top_by_blocks)


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
    """Compile (or read from numba's cache) for the argument types ``Postings`` passes, on a tiny
    problem: one signature each."""
    acc = np.zeros(4, np.float32)
    dense = np.ones((1, 4), np.float32)
    kernels.accumulate_select(acc, dense, np.array([0, -1], np.int64), np.ones(2, np.float32),
                              np.array([1, 2], np.int32), np.ones(2, np.float32), np.zeros(2, np.int64),
                              np.array([0, 2], np.int64), np.ones(4, np.bool_), False, np.ones(4, np.float32),
                              False, np.float32(0), False, 2, 2, False)
    kernels.top_by_blocks(1, 4, 4, np.array([0, -1], np.int64), np.ones((1, 1), np.float32), np.zeros(2, np.int64),
                          np.array([1, 1], np.int64), np.zeros(1, np.int32), np.ones(1, np.float32),
                          np.ones(2, np.float32), np.ones(2, np.float32), np.array([1, 2], np.int32),
                          np.ones(2, np.float32), np.zeros(2, np.int64), np.array([1, 2], np.int64),
                          np.ones(1, np.float32), False, np.ones(4, np.bool_), False, np.ones(4, np.float32), False)
