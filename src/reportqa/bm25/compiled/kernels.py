"""The compiled loops of ``compiled_ranking`` (numba): imported only when a process accelerates.

A module of their own so that numba caches them (functions defined inside another function and
calling each other were compiled again by every process: 5 s); ``compiled_ranking`` imports it
lazily, so no command that does not rank many questions pays numba's import.
"""

from __future__ import annotations

import numpy as np
from numba import njit

SLACK = np.float32(1 + 2**-14)  # postings.BOUND_SLACK: a float32 sum of maxima may round under the float64 sum


@njit(nogil=True, cache=True, inline="always")
def gallop(docs, p, end, target):
    # the first position at or after p whose passage is at least target (end if none): steps
    # doubling from p, then a binary search, so a pointer moving forward pays the log of its move
    if p >= end or docs[p] >= target:
        return p
    low = p  # docs[low] < target
    step = 1
    high = p + 1
    while high < end and docs[high] < target:
        low = high
        step *= 2
        high = low + step
    if high > end:
        high = end
    low += 1
    while low < high:
        middle = (low + high) // 2
        if docs[middle] < target:
            low = middle + 1
        else:
            high = middle
    return low

@njit(nogil=True, cache=True)
def heap_push(heap, size, value):
    # a min-heap of the best ``len(heap)`` values seen: its root is the k-th best so far
    capacity = heap.shape[0]
    if size < capacity:
        i = size
        heap[i] = value
        while i > 0:
            parent = (i - 1) // 2
            if heap[parent] <= heap[i]:
                break
            heap[parent], heap[i] = heap[i], heap[parent]
            i = parent
        return size + 1
    if value <= heap[0]:
        return size
    heap[0] = value
    i = 0
    while True:
        child = 2 * i + 1
        if child >= capacity:
            break
        if child + 1 < capacity and heap[child + 1] < heap[child]:
            child += 1
        if heap[i] <= heap[child]:
            break
        heap[i], heap[child] = heap[child], heap[i]
        i = child
    return size

@njit(nogil=True, cache=True)
def _grown(values, c):
    # twice the room, the first c values kept (rarely: a question's candidates past 256, 512 …)
    more = np.empty(2 * values.shape[0], values.dtype)
    more[:c] = values[:c]
    return more


@njit(nogil=True, cache=True)
def _prefix_of(maxima, factors):
    # the running sums of the terms' bounds (maxima × factors), ascending as the terms are given
    m = factors.shape[0]
    prefix = np.zeros(m + 1)
    for j in range(m):
        prefix[j + 1] = prefix[j] + np.float64(maxima[j]) * factors[j]
    return prefix


@njit(nogil=True, cache=True)
def _first_essential(prefix, e, m, theta):
    # the first term that can still matter: the ones before it together cannot lift a passage to theta
    while e < m - 1 and prefix[e + 1] * SLACK < theta:
        e += 1
    return e


# MaxScore over the passages in order, the terms given by ascending ``maxima × factors``:
# the first ``e`` terms together cannot lift a passage to theta (the k-th best so far), so only
# passages holding one of the others ("essential") are candidates, their postings merged in
# passage order; a candidate's other terms are looked up (a gallop along their postings: read
# this way a dense row streamed as many bytes, measured) from the largest down, stopping once
# what is left cannot reach theta.
# Blocks whose bound is under theta are skipped whole, and within a block the other terms are
# bounded by their maxima in that block (a kept common row, or their block list), not overall:
# a term absent from the block is not looked up at all (Block-Max MaxScore). Theta starts at 0
# and rises with every passage found, and more terms turn non-essential as it does; blocks
# whose bound is 0 (no term, or filtered out) are skipped from the start.
@njit(nogil=True, cache=True)
def maxscore(bound, block, factors, maxima, docs, weights, starts, ends, common_rows, common_bounds,
             block_starts, block_ends, block_ids, block_max, allowed, use_allowed, scale, use_scale, k):
    m = factors.shape[0]
    n_blocks = bound.shape[0]
    prefix = _prefix_of(maxima, factors)
    heap, size, theta = np.empty(k, np.float64), 0, 0.0
    e = _first_essential(prefix, 0, m, theta)
    # each term's place in its postings and its block list; the non-essential terms' maxima in the
    # current block and their running sums
    p, bp, in_block, block_prefix = starts.copy(), block_starts.copy(), np.zeros(m, np.float64), np.zeros(m + 1)
    current = -1  # the block those are of
    found = np.empty(256, np.int64)
    sums = np.empty(256, np.float64)
    c = 0
    none = np.iinfo(np.int64).max
    while True:
        d = none
        for j in range(e, m):
            if p[j] < ends[j]:
                x = np.int64(docs[p[j]])
                if x < d:
                    d = x
        if d == none:
            break
        b = d // block
        if bound[b] * SLACK < theta or bound[b] <= 0:  # no passage here can reach theta (or score at all)
            b += 1
            while b < n_blocks and (bound[b] * SLACK < theta or bound[b] <= 0):
                b += 1
            for j in range(e, m):
                p[j] = gallop(docs, p[j], ends[j], b * block)
            continue
        if b != current:
            current = b
            for j in range(e):
                r = common_rows[j]
                if r >= 0:
                    most = common_bounds[r, b]
                else:
                    q = gallop(block_ids, bp[j], block_ends[j], b)
                    bp[j] = q
                    most = block_max[q] if q < block_ends[j] and block_ids[q] == b else np.float32(0)
                in_block[j] = np.float64(most) * factors[j]
                block_prefix[j + 1] = block_prefix[j] + in_block[j]
        total = 0.0
        for j in range(e, m):
            if p[j] < ends[j] and docs[p[j]] == d:
                total += np.float64(weights[p[j]] * factors[j])
                p[j] += 1
        if use_allowed and not allowed[d]:
            continue
        s = np.float64(scale[d]) if use_scale else 1.0
        reachable = True
        for j in range(e - 1, -1, -1):
            if (total + block_prefix[j + 1]) * s * SLACK < theta:
                reachable = False
                break
            if in_block[j] == 0:
                continue  # not in this block
            q = gallop(docs, p[j], ends[j], d)
            p[j] = q
            w = weights[q] if q < ends[j] and docs[q] == d else np.float32(0)
            total += np.float64(w * factors[j])
        if not reachable:
            continue
        total *= s
        if total >= theta and total > 0:
            if c == found.shape[0]:
                found, sums = _grown(found, c), _grown(sums, c)
            found[c] = d
            sums[c] = total
            c += 1
            size = heap_push(heap, size, total)
            if size == k and heap[0] > theta:
                theta = heap[0]
                if _first_essential(prefix, e, m, theta) != e:
                    e = _first_essential(prefix, e, m, theta)
                    current = -1  # a term turned non-essential: its maxima in this block are needed
    return found[:c].copy(), sums[:c].copy()

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
def top_by_blocks(k, n_docs, block, common_rows, common_bounds, block_starts, block_ends, block_ids, block_max,
                  factors, maxima, docs, weights, starts, ends, block_factor, use_block_factor,
                  allowed, use_allowed, scale, use_scale):
    # ``Postings._top_by_blocks`` compiled: the question's block bounds (a kept common row added
    # whole, other terms' maxima scattered; times each block's filter and scale), then MaxScore from
    # nothing, the terms in ascending order of their maxima: the k-th best so far rises as passages
    # are found, blocks under it are skipped, and terms too weak to reach it alone stop being merged.
    # numpy's probe of the best-bounded blocks is no help here: for a question of common words the
    # bounds are flat, the probe's floor is far under the k-th best, and its 64 random blocks cost
    # more, cold, than MaxScore's first few hundred passages (p99 at 100k passages 0.51 -> 0.45 ms,
    # at 1M 1.99 -> 1.60, p50 within 0.02). Returns (passages scoring at least the final k-th best,
    # and possibly some under it, with their scores).
    n_blocks = (n_docs + block - 1) // block
    m = factors.shape[0]
    bound = np.zeros(n_blocks, np.float32)
    for j in range(m):
        f = factors[j]
        r = common_rows[j]
        if r >= 0:
            row = common_bounds[r]
            for b in range(n_blocks):
                bound[b] += row[b] * f
        else:
            for i in range(block_starts[j], block_ends[j]):
                bound[block_ids[i]] += block_max[i] * f
    if use_block_factor:
        for b in range(n_blocks):
            bound[b] *= block_factor[b]
    weighed = np.empty(m, np.float64)
    for j in range(m):
        weighed[j] = np.float64(maxima[j]) * factors[j]
    order = np.argsort(weighed, kind="mergesort")
    return maxscore(bound, block, factors[order], maxima[order], docs, weights, starts[order], ends[order],
                    common_rows[order], common_bounds, block_starts[order], block_ends[order], block_ids,
                    block_max, allowed, use_allowed, scale, use_scale, k)
