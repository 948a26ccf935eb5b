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
def maxscore(bound, block, factors, maxima, docs, weights, starts, ends, common_rows, common_bounds,
             block_starts, block_ends, block_ids, block_max, allowed, use_allowed, scale, use_scale, seeds,
             floor, k):
    # MaxScore over the passages in order, the terms given by ascending ``maxima × factors``:
    # the first ``e`` terms together cannot lift a passage to theta (the k-th best so far), so only
    # passages holding one of the others ("essential") are candidates, their postings merged in
    # passage order; a candidate's other terms are looked up (a gallop along their postings: read
    # this way a dense row streamed as many bytes, measured) from the largest down, stopping once
    # what is left cannot reach theta.
    # Blocks whose bound is under theta are skipped whole, and within a block the other terms are
    # bounded by their maxima in that block (a kept common row, or their block list), not overall:
    # a term absent from the block is not looked up at all (Block-Max MaxScore). Theta starts at the
    # given floor (the k-th best of ``seeds``, the passages already scored) and rises with every
    # passage found, and more terms turn non-essential as it does.
    m = factors.shape[0]
    n_blocks = bound.shape[0]
    prefix = np.zeros(m + 1)
    for j in range(m):
        prefix[j + 1] = prefix[j] + np.float64(maxima[j]) * factors[j]
    heap = np.empty(k, np.float64)
    size = 0
    for i in range(seeds.shape[0]):
        size = heap_push(heap, size, seeds[i])
    theta = floor
    if size == k and heap[0] > theta:
        theta = heap[0]
    e = 0
    while e < m - 1 and prefix[e + 1] * SLACK < theta:
        e += 1
    p = starts.copy()
    bp = block_starts.copy()  # each term's place in its block list
    in_block = np.zeros(m, np.float64)  # the non-essential terms' maxima in the current block
    block_prefix = np.zeros(m + 1)
    current = -1  # the block those are of
    capacity = 256
    found = np.empty(capacity, np.int64)
    sums = np.empty(capacity, np.float64)
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
        if bound[b] * SLACK < theta:  # no passage of this block can reach theta: on to the next that can
            b += 1
            while b < n_blocks and bound[b] * SLACK < theta:
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
            if c == capacity:
                capacity *= 2
                more = np.empty(capacity, np.int64)
                more[:c] = found[:c]
                found = more
                grown = np.empty(capacity, np.float64)
                grown[:c] = sums[:c]
                sums = grown
            found[c] = d
            sums[c] = total
            c += 1
            size = heap_push(heap, size, total)
            if size == k and heap[0] > theta:
                theta = heap[0]
                while e < m - 1 and prefix[e + 1] * SLACK < theta:
                    e += 1
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
def score_blocks(blocks, block, n_docs, in_rows, factors, docs, weights, starts, ends, runs, runs_rows,
                 allowed, use_allowed, scale, use_scale, floor):
    # numpy's ``Postings._score_blocks`` summed the same way: the terms with dense rows in float32
    # (in the question's order), the others in float64 from 0 (a bincount, in the question's
    # order), then the two added; a row's 0 where a term is absent changes no float32 sum, so
    # every term is read from its postings here. A block's run of term j's postings is looked up
    # in row runs_rows[j] of ``runs`` when it has one, else found by galloping from the previous
    # block's (the blocks ascend, so the cost is the log of the gap, not of the postings)
    nb = blocks.shape[0]
    size = nb * block
    rows_sum = np.zeros(size, np.float32)
    other = np.zeros(size, np.float64)
    for j in range(factors.shape[0]):
        f = factors[j]
        r = runs_rows[j]
        end = ends[j]
        p = starts[j]
        for b in range(nb):
            first = blocks[b] * block
            if r >= 0:
                p = runs[r, blocks[b]]
                stop = runs[r, blocks[b] + 1]
            else:
                if p < end and docs[p] < first:
                    low, step = p, 1  # docs[low] < first
                    high = p + 1
                    while high < end and docs[high] < first:
                        low = high
                        step *= 2
                        high = low + step
                    if high > end:
                        high = end  # docs[high] >= first, or high == end
                    low += 1
                    while low < high:
                        middle = (low + high) // 2
                        if docs[middle] < first:
                            low = middle + 1
                        else:
                            high = middle
                    p = low
                stop = p
                while stop < end and docs[stop] < first + block:
                    stop += 1
            shift = b * block - first
            if in_rows[j]:
                for q in range(p, stop):
                    rows_sum[docs[q] + shift] += weights[q] * f
            else:
                for q in range(p, stop):
                    other[docs[q] + shift] += np.float64(weights[q] * f)
            p = stop
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
            if s > 0 and s >= floor:
                passages[c] = d
                sums[c] = s
                c += 1
    return passages[:c].copy(), sums[:c].copy()


@njit(nogil=True, cache=True)
def top_by_blocks(k, probe_size, max_rest, use_maxscore, n_docs, block,
                  common_rows, common_bounds, runs, block_starts, block_ends, block_ids, block_max,
                  in_rows, factors, maxima, docs, weights, starts, ends,
                  block_factor, use_block_factor, allowed, use_allowed, scale, use_scale):
    # ``Postings._top_by_blocks`` in one call (its numpy twin is step for step the same; the
    # Python between some thirty array calls cost more than the loops, cold): the question's block
    # bounds (a kept common row added whole, other terms' maxima scattered), the probe_size
    # best-bounded blocks scored exactly, their k-th best the floor, then the blocks whose bound
    # reaches it scored too, or, past max_rest of them, MaxScore from the floor. Returns (passages,
    # sums, status, floor): status 0 answered by blocks, 3 by MaxScore, 1 the bounds do not prune
    # (the accumulator answers, given the floor), 2 too few passages in the probe for a floor.
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
    # the probe: the probe_size best-bounded blocks (a heap of the best seen: one comparison a block
    # once it is full; np.partition's copy and selection cost three times as much), in block order
    heap = np.empty(probe_size, np.float32)
    size = 0
    for b in range(n_blocks):
        if size < probe_size or bound[b] > heap[0]:
            size = heap_push(heap, size, bound[b])
    cut = heap[0]  # the probe_size-th largest bound
    above = 0
    for b in range(n_blocks):
        if bound[b] > cut:
            above += 1
    probe = np.empty(probe_size, np.int64)
    equal = probe_size - above  # blocks tied with the cut that go in, the first ones
    c = 0
    for b in range(n_blocks):
        if bound[b] > cut or (bound[b] == cut and equal > 0):
            if bound[b] == cut:
                equal -= 1
            probe[c] = b
            c += 1
    found, sums = score_blocks(probe, block, n_docs, in_rows, factors, docs, weights, starts, ends, runs,
                               common_rows, allowed, use_allowed, scale, use_scale, 0.0)
    none_found = np.empty(0, np.int64)
    none_summed = np.empty(0, np.float64)
    if sums.shape[0] < k:
        return none_found, none_summed, 2, 0.0
    floor = np.partition(sums, sums.shape[0] - k)[sums.shape[0] - k]
    for i in range(probe_size):
        bound[probe[i]] = 0
    n_rest = 0
    for b in range(n_blocks):
        if bound[b] * SLACK >= floor:
            n_rest += 1
    keep = 0
    for i in range(sums.shape[0]):
        if sums[i] >= floor:
            keep += 1
    if n_rest > max_rest:
        if not use_maxscore:
            return none_found, none_summed, 1, floor / np.float64(SLACK)
        weighed = np.empty(m, np.float64)
        for j in range(m):
            weighed[j] = np.float64(maxima[j]) * factors[j]
        order = np.argsort(weighed, kind="mergesort")
        if weighed[order[0]] * np.float64(SLACK) >= floor:  # no term too weak to reach the floor alone
            return none_found, none_summed, 1, floor / np.float64(SLACK)
        seeds = np.empty(keep, np.float64)
        c = 0
        for i in range(sums.shape[0]):
            if sums[i] >= floor:
                seeds[c] = sums[i]
                c += 1
        more, more_sums = maxscore(bound, block, factors[order], maxima[order], docs, weights, starts[order],
                                   ends[order], common_rows[order], common_bounds, block_starts[order],
                                   block_ends[order], block_ids, block_max, allowed, use_allowed, scale,
                                   use_scale, seeds, floor, k)
        status = 3
    elif n_rest:
        rest = np.empty(n_rest, np.int64)
        c = 0
        for b in range(n_blocks):
            if bound[b] * SLACK >= floor:
                rest[c] = b
                c += 1
        more, more_sums = score_blocks(rest, block, n_docs, in_rows, factors, docs, weights, starts, ends, runs,
                                       common_rows, allowed, use_allowed, scale, use_scale, floor)
        status = 0
    else:
        more, more_sums = none_found, none_summed
        status = 0
    out = np.empty(keep + more.shape[0], np.int64)
    out_sums = np.empty(keep + more.shape[0], np.float64)
    c = 0
    for i in range(sums.shape[0]):
        if sums[i] >= floor:
            out[c] = found[i]
            out_sums[c] = sums[i]
            c += 1
    out[c:] = more
    out_sums[c:] = more_sums
    return out, out_sums, status, floor
