"""The fast path's scores equal rank-bm25's ``get_scores`` (the definition of the score)."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest

from reportqa.bm25.scoring import Frequencies, TermMatrix, build_postings, reference_bm25, weigh
from tests.test_postings import assert_same_top, exhaustive


def corpus(seed: int = 7, docs: int = 120) -> list[list[str]]:
    rng = random.Random(seed)
    common = ["法治", "执法", "工作", "建设"]  # in most passages: Okapi's IDF floor applies to them
    rare = [f"词{i}" for i in range(60)]
    out = []
    for _ in range(docs):
        length = rng.randint(3, 40)
        doc = [rng.choice(common) if rng.random() < 0.4 else rng.choice(rare) for _ in range(length)]
        out.append(doc)
    out.append([])  # an empty passage
    return out


@pytest.mark.parametrize("variant", ["okapi", "l", "plus"])
@pytest.mark.parametrize(("k1", "b", "delta"), [(1.5, 0.75, 0.5), (1.2, 0.3, 1.0), (2.0, 1.0, 0.25)])
def test_fast_scores_equal_rank_bm25(variant: str, k1: float, b: float, delta: float) -> None:
    documents = corpus()
    vocab: dict[str, int] = {}
    rows = [Counter(vocab.setdefault(t, len(vocab)) for t in doc) for doc in documents]
    postings = build_postings(TermMatrix.from_rows(rows), len(vocab), variant, k1, b, delta)
    oracle = reference_bm25(documents, variant, k1, b, delta)
    queries = [["执法", "词3"], ["法治", "工作", "建设"], ["词10", "词10", "词11"], ["不存在"], ["词59", "法治"]]
    for query in queries:
        with np.errstate(invalid="ignore", divide="ignore"):
            expected = oracle.get_scores(query)
        counts = Counter(vocab[t] for t in query if t in vocab)
        got = postings.full_scores(counts)
        # rank-bm25 divides 0 by 0 for an empty passage when b = 1 (NaN); the fast path stays finite
        defined = ~np.isnan(expected)
        assert np.isfinite(got).all()
        np.testing.assert_allclose(got[defined], expected[defined], rtol=1e-5, atol=1e-6)
        # and only passages holding a term are returned by the fast path
        docs, _ = postings.score(counts)
        holding = {i for i, doc in enumerate(documents) if set(doc) & set(query)}
        assert set(docs.tolist()) == holding


def freqs_of(rows: list[Counter[int]], n_terms: int) -> Frequencies:
    return Frequencies.from_matrix(TermMatrix.from_rows(rows), n_terms)


def same(a: Frequencies, b: Frequencies) -> bool:
    return (a.n_docs == b.n_docs and a.indptr.tolist() == b.indptr.tolist() and a.docs.tolist() == b.docs.tolist()
            and a.tf.tolist() == b.tf.tolist())


@pytest.mark.parametrize("seed", range(4))
def test_incremental_frequencies_equal_a_fresh_build(seed: int) -> None:
    """Dropping some passages and appending new ones (what an incremental build does) gives the same
    term-major arrays, and so the same scores, as building from the surviving rows."""
    rng = random.Random(seed)
    documents = corpus(seed=seed, docs=150)
    vocab: dict[str, int] = {}
    rows = [Counter(vocab.setdefault(t, len(vocab)) for t in doc) for doc in documents]
    old, new = rows[:100], rows[100:]
    new.append(Counter({len(vocab): 3}))  # a term the old passages never had
    n_terms = len(vocab) + 1
    keep = np.array([rng.random() < 0.8 for _ in old])
    incremental = freqs_of(old, n_terms - 1).keep(keep).extend(freqs_of(new, n_terms))
    survivors = [r for r, k in zip(old, keep, strict=True) if k] + new
    fresh = freqs_of(survivors, n_terms)
    assert same(incremental, fresh)
    assert incremental.doc_len().tolist() == [sum(r.values()) for r in survivors]
    a, b = weigh(incremental, "plus", 1.2, 0.5, 0.5), weigh(fresh, "plus", 1.2, 0.5, 0.5)
    np.testing.assert_array_equal(a.weights, b.weights)
    assert same(Frequencies.empty(n_terms).extend(fresh), fresh)
    joined = TermMatrix.concat([TermMatrix.from_rows(survivors[:40]), TermMatrix.from_rows(survivors[40:])])
    assert same(Frequencies.from_matrix(joined, n_terms), fresh)
    assert freqs_of(old, n_terms).keep(np.zeros(len(old), bool)).n_docs == 0


@pytest.mark.parametrize("seed", range(5))
def test_pruned_top_k_equals_exhaustive_ranking(seed: int) -> None:
    """The fast top-k (dense rows or sparse merge) returns exactly the k best, filters and per-passage
    scale included."""
    rng = random.Random(seed)
    documents = corpus(seed=seed, docs=400)
    vocab: dict[str, int] = {}
    rows = [Counter(vocab.setdefault(t, len(vocab)) for t in doc) for doc in documents]
    postings = build_postings(TermMatrix.from_rows(rows), len(vocab), "plus", 1.2, 0.5, 0.5)
    terms = list(vocab.values())
    for _ in range(30):
        query = Counter(rng.choice(terms) for _ in range(rng.randint(1, 6)))
        allowed = np.array([rng.random() < 0.7 for _ in documents]) if rng.random() < 0.5 else None
        scale = np.array([rng.choice([1.0, 0.7]) for _ in documents], dtype=np.float32) if rng.random() < 0.5 else None
        k = rng.choice([1, 5, 10, 50])
        if rng.random() < 0.5:
            postings.densify(budget_bytes=10**7, min_share=rng.choice([0.05, 0.3]))
        docs, scores, matched = postings.top(query, k, allowed, scale, count=True)
        assert matched == len(exhaustive(postings, query, postings.n_docs, allowed, scale)[0])
        assert_same_top(docs, scores, *exhaustive(postings, query, k, allowed, scale))
