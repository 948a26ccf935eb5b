"""The compiled accumulate-and-select loop gives numpy's answers bit for bit, and the bot's index
holder turns it on for large indexes only, in the background."""

from __future__ import annotations

import random
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from reportqa.answers.compose import answer_question
from reportqa.bm25 import postings as postings_module
from reportqa.bm25.compiled import ranking as compiled_ranking
from reportqa.bm25.postings import Postings
from reportqa.bm25.scoring import Frequencies, TermMatrix, build_postings, weigh
from reportqa.index.builder import build_index
from reportqa.retrieval.serving import IndexHolder
from reportqa.settings import Settings
from tests.test_postings import assert_same_top, exhaustive, random_filters, random_query, report_corpus


def corpus_postings(seed: int, dense: bool) -> Postings:
    postings = weigh(Frequencies.from_matrix(TermMatrix.from_rows(report_corpus(seed)), 208 + 600),
                     "plus", 1.2, 0.75, 0.5)
    if dense:  # rows for the words in at least 1%: the common ones in over half the passages (read as rows),
        postings.densify(budget_bytes=10**7, min_share=0.01)  # the topic words in a few (read as postings)
        shares = postings.df[list(postings.dense_rows)] / postings.n_docs
        assert (shares >= compiled_ranking.ROW_MIN_SHARE).any() and (shares < compiled_ranking.ROW_MIN_SHARE).any()
    return postings


@pytest.mark.parametrize("seed", [3, 4])
@pytest.mark.parametrize("dense", [False, True])
def test_compiled_accumulator_answers_as_numpy_does(seed: int, dense: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every question through the accumulator (nothing merged, no blocks): passages, scores and
    matched counts equal numpy's exactly, over filters, scales, repeated and down-weighted terms
    and k from 1 to 400."""
    monkeypatch.setattr(postings_module, "MERGE_MAX_POSTINGS", 0)
    monkeypatch.setattr(postings_module, "MERGE_MAX_ONE_TERM", 0)
    monkeypatch.setattr(postings_module, "BLOCKS_MAX_RESULTS", 0)  # never the block path
    postings = corpus_postings(seed, dense)
    assert postings.accelerate() and postings.compiled is not None
    kernel = postings.compiled
    rng = random.Random(seed)
    n = postings.n_docs
    for _ in range(60):
        query = random_query(rng, (0, 4), (0, 3))
        allowed, scale = random_filters(rng, n, keep=0.7)
        k, count = rng.choice([1, 5, 10, 400]), rng.random() < 0.2
        postings.compiled = None
        expected = postings.top(query, k, allowed, scale, count)
        postings.compiled = kernel
        got = postings.top(query, k, allowed, scale, count)
        np.testing.assert_array_equal(got[0], expected[0])
        np.testing.assert_array_equal(got[1], expected[1])
        assert got[2] == expected[2]
        if query and not count:
            assert_same_top(got[0], got[1], *exhaustive(postings, query, k, allowed, scale))


def test_without_numba_numpy_ranks(monkeypatch: pytest.MonkeyPatch) -> None:
    """numba is an optional extra: without it ``accelerate`` says no and nothing changes."""
    monkeypatch.setattr(compiled_ranking, "_kernel", None)
    monkeypatch.setattr(compiled_ranking, "_failed", None)
    monkeypatch.setitem(sys.modules, "numba", None)  # import numba raises ImportError
    monkeypatch.delitem(sys.modules, "reportqa.bm25.compiled.kernels", raising=False)  # so its import is tried again
    postings = corpus_postings(3, dense=True)
    assert postings.accelerate() is False and postings.compiled is None
    assert compiled_ranking.compiled_kernel() is None  # the failure is remembered, not retried per index
    docs, _, _ = postings.top({0: 1, 1: 1}, 5)
    assert len(docs) == 5


@pytest.mark.parametrize("min_passages", [0, 10**9])
async def test_the_index_holder_compiles_for_large_indexes_only(settings: Settings, reports_copy: Path,
                                                                min_passages: int) -> None:
    settings = settings.model_copy(update={"reports_dir": reports_copy, "compiled_ranking_min_passages": min_passages})
    await build_index(reports_copy, settings.index_dir, settings)
    holder = IndexHolder(settings)
    try:
        index = await holder.get()
        if min_passages:
            assert holder.accelerating is None and index.postings.compiled is None
        else:
            assert holder.accelerating is not None
            holder.accelerating.join(timeout=120)
            assert index.postings.compiled is not None
        assert (await answer_question(index, "哪些单位开展了执法培训")).results
    finally:
        await holder.close()


@pytest.mark.parametrize("seed", [3, 4, 5])
@pytest.mark.parametrize("dense", [False, True])
def test_maxscore_answers_the_exhaustive_top_k(seed: int, dense: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled block path (Block-Max MaxScore: blocks under the k-th best so far skipped, terms
    turning non-essential as it rises) gives the exhaustive top k over filters, scales, repeated
    and down-weighted terms, ties at the cut included, and scores fewer passages than the
    questions' terms hold."""
    monkeypatch.setattr(postings_module, "MERGE_MAX_POSTINGS", 0)
    monkeypatch.setattr(postings_module, "MERGE_MAX_ONE_TERM", 0)
    postings = corpus_postings(seed, dense)
    assert postings.accelerate() and postings.compiled is not None
    kernel = postings.compiled
    calls = {"blocks": 0, "pruned": 0}

    def counted(*args):  # type: ignore[no-untyped-def]
        found = kernel.top_by_blocks(*args)
        calls["blocks"] += 1
        starts, ends = args[13], args[14]
        calls["pruned"] += len(found[0]) < int((ends - starts).sum()) // 4
        return found

    postings.compiled = kernel._replace(top_by_blocks=counted)
    rng = random.Random(seed)
    n = postings.n_docs
    for _ in range(80):
        query = random_query(rng, (1, 5), (0, 3))
        allowed, scale = random_filters(rng, n, keep=0.7)
        k = rng.choice([1, 5, 10, 40])
        docs, scores, _ = postings.top(query, k, allowed, scale)
        assert_same_top(docs, scores, *exhaustive(postings, query, k, allowed, scale))
    assert calls["blocks"] == 80 and calls["pruned"] >= 40


def test_maxscore_keeps_ties_at_the_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    """Passages tied with the k-th best found after it are kept: every tie competes and the lower
    passage wins, wherever the ties are."""
    monkeypatch.setattr(postings_module, "MERGE_MAX_POSTINGS", 0)
    monkeypatch.setattr(postings_module, "MERGE_MAX_ONE_TERM", 0)
    ties = set(range(0, 20_000, 97))
    rows = [Counter({0: 1, 1: 1}) if i in ties else Counter({1: 1, 2: 3}) for i in range(20_000)]
    postings = build_postings(TermMatrix.from_rows(rows), 3)
    assert postings.accelerate() and postings.compiled is not None
    kernel, found = postings.compiled, []

    def kept(*args):  # type: ignore[no-untyped-def]
        answer = kernel.top_by_blocks(*args)
        found.append(set(answer[0].tolist()))
        return answer

    postings.compiled = kernel._replace(top_by_blocks=kept)
    for k in (1, 3, 10, 40):
        docs, scores, _ = postings.top({0: 1, 1: 1, 2: 1}, k)
        expected_docs, expected_scores = exhaustive(postings, {0: 1, 1: 1, 2: 1}, k)
        assert docs.tolist() == expected_docs.tolist()
        np.testing.assert_allclose(scores, expected_scores, rtol=1e-6)
        assert ties <= found[-1]  # every tie reached the cut, not only the first k found
