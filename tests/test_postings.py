"""Every way ``Postings.top`` finds the k best (block bounds, accumulator, merge) gives the exhaustive
ranking's passages and scores."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
import pytest

from reportqa.bm25 import postings as postings_module
from reportqa.bm25.postings import BLOCK, Postings, block_bounds, select_top
from reportqa.bm25.scoring import Frequencies, TermMatrix, build_postings, weigh


@pytest.fixture(autouse=True)
def blocks_at_any_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """Served indexes under 50k passages, or where the probe would be over an eighth of the blocks,
    skip the block path (a speed choice); here, small corpora take it, so that it is right at any size."""
    monkeypatch.setattr(postings_module, "BLOCKS_MIN_PASSAGES", 0)
    monkeypatch.setattr(postings_module, "PROBE_MAX_SHARE_INVERSE", 2)


def report_corpus(seed: int, reports: int = 600, per_report: int = 12) -> list[Counter[int]]:
    """Passages in runs of one report each, as an index holds them: a report's passages share its
    topic words; some words are everywhere, a few nowhere but one report."""
    rng = random.Random(seed)
    common, topics = list(range(8)), list(range(8, 208))
    rows = []
    for report in range(reports):
        mine = rng.sample(topics, 6)
        own = 208 + report  # a word only this report uses
        for _ in range(per_report):
            words = [rng.choice(common) for _ in range(rng.randint(2, 20))]
            words += [rng.choice(mine) for _ in range(rng.randint(0, 12))]
            if rng.random() < 0.2:
                words += [own] * rng.randint(1, 3)
            rows.append(Counter(words))
    return rows


def random_filters(rng: random.Random, n: int, keep: float) -> tuple[np.ndarray | None, np.ndarray | None]:
    """A question's filter (each passage allowed with chance ``keep``) and focus scale, each in 30% of questions."""
    allowed = np.array([rng.random() < keep for _ in range(n)]) if rng.random() < 0.3 else None
    scale = np.array([rng.choice([1.0, 0.7]) for _ in range(n)], dtype=np.float32) if rng.random() < 0.3 else None
    return allowed, scale


def random_query(rng: random.Random, common: tuple[int, int], rare: tuple[int, int],
                 rare_terms: Sequence[int] = range(8, 808)) -> dict[int, float]:
    """A question over ``report_corpus``'s words: between ``common`` of its 8 common ones and ``rare``
    of ``rare_terms``, some repeated (2) or down-weighted (0.5) as synonyms are."""
    terms = rng.sample(range(8), rng.randint(*common)) + rng.sample(rare_terms, rng.randint(*rare))
    return {t: rng.choice([1, 1, 2, 0.5]) for t in terms}


def exhaustive(postings: Postings, query: Mapping[int, float], k: int, allowed: np.ndarray | None = None,
               scale: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The k best by scoring every passage that holds a term (filters and scale applied), best first,
    ties to the lower passage: what every path of ``Postings.top`` must give."""
    every, sums = postings.score(query)
    constant = sum(r * postings.absent[t] for t, r in query.items())
    excess = sums - constant
    if allowed is not None:
        every, excess = every[allowed[every]], excess[allowed[every]]
    final = constant + excess * (scale[every] if scale is not None else 1.0)
    positive = excess * (scale[every] if scale is not None else 1.0) > 0
    every, final = every[positive], final[positive]
    order = np.lexsort((every, -final))[:k]
    return every[order], final[order]


def assert_same_top(got_docs: np.ndarray, got_scores: np.ndarray, docs: np.ndarray, scores: np.ndarray) -> None:
    """Equal scores rank by rank, and the same passages wherever a score is not tied at the cut."""
    np.testing.assert_allclose(got_scores, scores, rtol=1e-5)
    cut = scores[-1] if len(scores) else 0
    assert set(got_docs[got_scores > cut + 1e-4].tolist()) == set(docs[scores > cut + 1e-4].tolist())


def test_block_bounds_are_each_blocks_largest_weight() -> None:
    rows = report_corpus(seed=1, reports=40)
    postings = build_postings(TermMatrix.from_rows(rows), 208 + 40)
    for term in range(len(postings.df)):
        docs, weights = postings._postings(term)
        start, end = postings.block_indptr[term], postings.block_indptr[term + 1]
        expected: dict[int, float] = {}
        for doc, weight in zip(docs.tolist(), weights.tolist(), strict=True):
            expected[doc // BLOCK] = max(expected.get(doc // BLOCK, 0.0), weight)
        assert postings.block_ids[start:end].tolist() == sorted(expected)
        np.testing.assert_array_equal(postings.block_max[start:end], np.float32([expected[b] for b in sorted(expected)]))


def test_block_bounds_of_no_postings() -> None:
    indptr, blocks, maxima = block_bounds(np.zeros(4, np.int64), np.empty(0, np.int32), np.empty(0, np.float32))
    assert indptr.tolist() == [0, 0, 0, 0] and len(blocks) == len(maxima) == 0


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("dense", [False, True])
@pytest.mark.parametrize("prune", [True, False])
def test_block_pruned_top_k_equals_exhaustive(seed: int, dense: bool, prune: bool,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The block path answers most of these questions on its own, and every answer (whichever path
    gave it) is the exhaustive top k: filters, scales, repeated and down-weighted terms included.
    With the blocks made never to prune, every question falls back to the accumulator, given the
    floor the blocks found."""
    if not prune:
        monkeypatch.setattr(postings_module, "MAX_BLOCK_SHARE", -1)
    rng = random.Random(seed)
    rows = report_corpus(seed)
    postings = weigh(Frequencies.from_matrix(TermMatrix.from_rows(rows), 208 + 600), "plus", 1.2, 0.75, 0.5)
    if dense:
        postings.densify(budget_bytes=10**7, min_share=0.05)
        assert postings.dense_rows
    n = postings.n_docs
    by_blocks = 0
    for _ in range(40):
        query = random_query(rng, (0, 2), (1, 3))
        allowed, scale = random_filters(rng, n, keep=0.8)
        k = rng.choice([1, 5, 10, 20])
        items, _ = postings._items(query)
        by_blocks += postings._top_by_blocks(items, k, allowed, scale)[0] is not None
        docs, scores, _ = postings.top(query, k, allowed, scale)
        assert_same_top(docs, scores, *exhaustive(postings, query, k, allowed, scale))
    assert by_blocks >= 20 if prune else by_blocks == 0  # the bounds prune on a corpus of reports


def test_block_path_keeps_ties_at_the_cut() -> None:
    """Passages tied with the k-th best in blocks the probe did not score still compete: the lower
    passage number wins, as in every other path."""
    rows = [Counter({0: 1, 1: 1}) if i % 97 == 0 else Counter({1: 1, 2: 3}) for i in range(6000)]
    postings = build_postings(TermMatrix.from_rows(rows), 3)
    for k in (1, 3, 10, 40):
        docs, scores, _ = postings.top({0: 1, 1: 1}, k)
        expected_docs, expected_scores = exhaustive(postings, {0: 1, 1: 1}, k)
        assert docs.tolist() == expected_docs.tolist()
        np.testing.assert_allclose(scores, expected_scores, rtol=1e-6)


def test_select_top_with_a_floor_keeps_every_passage_at_or_above_it() -> None:
    acc = np.float32([0, 3, 1, 5, 0, 2, 5, 4])
    for floor in (None, 2.0, 0.0):
        docs, sums = select_top(acc, 3, floor)
        assert {3, 6, 7} <= set(docs.tolist()) and 0 not in docs and 4 not in docs
        assert sums.tolist() == acc[docs].tolist()
    assert select_top(acc, 3, 4.0)[0].tolist() == [3, 6, 7]


@pytest.mark.parametrize("compiled", [False, True])
def test_common_rows_kept_within_their_budget(monkeypatch: pytest.MonkeyPatch, compiled: bool) -> None:
    """Past the budget a common term's rows are made for the question and not kept (the compiled
    block path then reads its block list instead of its row), and the answer is the same."""
    if compiled:
        pytest.importorskip("numba")
    monkeypatch.setattr(postings_module, "BLOCKS_MIN_PASSAGES", 0)
    monkeypatch.setattr(postings_module, "PROBE_MAX_SHARE_INVERSE", 2)
    monkeypatch.setattr(postings_module, "MERGE_MAX_POSTINGS", 0)
    rows = report_corpus(seed=3)
    postings = weigh(Frequencies.from_matrix(TermMatrix.from_rows(rows), 208 + 600), "plus", 1.2, 0.75, 0.5)
    query = {0: 1, 1: 1, 2: 1, 300: 1}
    expected = postings.top(query, 10)
    kept = len(postings.__dict__["_common_table"].rows)
    assert kept >= 2
    fresh = weigh(Frequencies.from_matrix(TermMatrix.from_rows(rows), 208 + 600), "plus", 1.2, 0.75, 0.5)
    monkeypatch.setattr(postings_module, "COMMON_ROWS_BUDGET", 12 * fresh.n_blocks)  # room for one
    if compiled:
        assert fresh.accelerate()
    got = fresh.top(query, 10)
    assert len(fresh.__dict__["_common_table"].rows) == 1
    assert got[0].tolist() == expected[0].tolist()
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-6)
