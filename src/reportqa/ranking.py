"""BM25 as rank-bm25 defines it, computed per question over the postings of its terms only.

rank-bm25 (``BM25Okapi``, ``BM25L``, ``BM25Plus``) is the definition of the score: its IDF (with
Okapi's floor for terms in half the passages or more), its document lengths and parameters. Its
``get_scores`` walks every passage in Python for every term; here the per-(term, passage)
contributions are computed once at build time into term-major postings, so a question costs what
its terms' postings cost. ``tests/test_ranking.py`` checks the scores equal ``get_scores``.

For BM25Plus a term absent from a passage still adds ``idf × delta`` (rank-bm25 adds it to every
passage); that constant is kept per term in ``absent`` so the totals match exactly.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from rank_bm25 import BM25L, BM25Okapi, BM25Plus

Variant = Literal["okapi", "l", "plus"]
OKAPI_EPSILON = 0.25  # rank-bm25's default
# A term in at least this share of the passages gets a dense row (budget permitting). 1/8 was the
# break-even of one add against one scatter in isolation; beside other work (caches cold, as a
# bot's next question finds them) 1/32 answered the benchmark questions 1.5x faster at 100k
# (benchmarks/peers.py), and rows are only written for the terms questions use.
DENSE_MIN_SHARE = 1 / 32


@dataclass
class TermMatrix:
    """Term frequencies, passage-major (CSR): passage i has terms[indptr[i]:indptr[i+1]]."""

    indptr: np.ndarray  # int64, n_docs + 1
    terms: np.ndarray  # int32 term ids
    counts: np.ndarray  # int32

    @property
    def n_docs(self) -> int:
        return len(self.indptr) - 1

    def doc_len(self) -> np.ndarray:
        """Tokens per passage (rank-bm25's ``doc_len``)."""
        return _reduce_lengths(self.indptr, self.counts)

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[int, int]]) -> TermMatrix:
        lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        terms = np.empty(int(indptr[-1]), dtype=np.int32)
        counts = np.empty(int(indptr[-1]), dtype=np.int32)
        pos = 0
        for row in rows:
            items = sorted(row.items())
            n = len(items)
            if n:
                terms[pos : pos + n] = [t for t, _ in items]
                counts[pos : pos + n] = [c for _, c in items]
            pos += n
        return cls(indptr, terms, counts)

    @staticmethod
    def concat(parts: Sequence[TermMatrix]) -> TermMatrix:
        """The passages of every part, in order."""
        parts = [p for p in parts if p.n_docs]
        if not parts:
            return TermMatrix(np.zeros(1, np.int64), np.empty(0, np.int32), np.empty(0, np.int32))
        indptr = [np.zeros(1, np.int64)]
        offset = 0
        for part in parts:
            indptr.append(part.indptr[1:] + offset)
            offset += int(part.indptr[-1])
        return TermMatrix(
            np.concatenate(indptr),
            np.concatenate([p.terms for p in parts]),
            np.concatenate([p.counts for p in parts]),
        )


def _reduce_lengths(indptr: np.ndarray, counts: np.ndarray) -> np.ndarray:
    cumulative = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)])
    return cumulative[indptr[1:]] - cumulative[indptr[:-1]]


@dataclass
class Postings:
    """Term-major BM25 contributions: term t's passages are docs[indptr[t]:indptr[t+1]] (ascending)
    with the excess weight over ``absent[t]`` (what the term adds to a passage without it)."""

    indptr: np.ndarray  # int64, n_terms + 1
    docs: np.ndarray  # int32
    weights: np.ndarray  # float32
    absent: np.ndarray  # float64 per term
    idf: np.ndarray  # float64 per term (the variant's IDF, 0 for terms in no passage)
    df: np.ndarray  # int32 per term
    n_docs: int
    dense_rows: dict[int, int] = field(default_factory=dict)  # term → row of ``dense``
    dense: np.ndarray | None = None  # float32 (rows, n_docs): the most common terms' weights, 0 elsewhere
    _filled: np.ndarray | None = None  # bool per dense row: written yet (rows are filled on first use)

    def densify(self, budget_bytes: int, min_share: float = DENSE_MIN_SHARE) -> None:
        """Keep the weights of the most common terms (in at least ``min_share`` of the passages) as
        dense rows, as many as fit in ``budget_bytes``: adding a dense row is a vectorised pass,
        several times faster than scattering the same number of postings. A row is written the
        first time a question needs it (the zeroed block is only reserved here, so loading an index
        for one question does not pay for rows it never reads)."""
        if self.n_docs == 0:
            return
        common = np.flatnonzero(self.df >= max(1, self.n_docs * min_share))
        common = common[np.argsort(-self.df[common], kind="stable")][: budget_bytes // (4 * self.n_docs)]
        self.dense = np.zeros((len(common), self.n_docs), dtype=np.float32)  # calloc: untouched pages are free
        self._filled = np.zeros(len(common), dtype=bool)
        self.dense_rows = {int(t): row for row, t in enumerate(common)}

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

    def _accumulate(self, items: list[tuple[int, float]]) -> np.ndarray:
        """Dense float32 sums over every passage: dense rows added, other postings scattered."""
        acc = self._scratch()
        first = True
        for term, repeat in sorted(items, key=lambda item: item[0] not in self.dense_rows):  # dense first
            row = self.dense_rows.get(term)
            if row is not None:
                weights = self._dense_row(row, term)
                if first and repeat == 1:  # the first row is copied, not added to zeros: one pass fewer
                    np.copyto(acc, weights)
                elif first:
                    np.multiply(weights, np.float32(repeat), out=acc)
                elif repeat == 1:
                    acc += weights
                else:
                    acc += weights * np.float32(repeat)
                first = False
                continue
            if first:
                acc.fill(0)
                first = False
            docs, weights = self._postings(term)
            acc[docs] += weights if repeat == 1 else weights * np.float32(repeat)
        if first:
            acc.fill(0)
        return acc

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

    def _sparse(self, items: list[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
        """(passages ascending, sums) by a sort-based merge: for questions whose terms are rare."""
        doc_parts, weight_parts = [], []
        for term, repeat in items:
            docs, weights = self._postings(term)
            doc_parts.append(docs)
            weight_parts.append(weights if repeat == 1 else weights * np.float32(repeat))
        docs = np.concatenate(doc_parts)
        weights = np.concatenate(weight_parts)
        unique, inverse = np.unique(docs, return_inverse=True)
        return unique, np.bincount(inverse, weights=weights)

    def _items(self, query: Mapping[int, float]) -> tuple[list[tuple[int, int]], float]:
        constant = float(sum(r * self.absent[t] for t, r in query.items()))
        items = [(t, r) for t, r in query.items() if self.indptr[t + 1] > self.indptr[t]]
        return items, constant

    def _dense_path(self, items: list[tuple[int, float]]) -> bool:
        postings = sum(int(self.df[t]) for t, _ in items)
        return postings * 16 >= self.n_docs or any(t in self.dense_rows for t, _ in items)

    def score(self, query: Mapping[int, float]) -> tuple[np.ndarray, np.ndarray]:
        """(passages containing at least one query term, ascending; their BM25 scores).

        ``query`` maps term ids to how often the question names them (rank-bm25 counts repeats).
        """
        docs, scores, _ = self.top(query, self.n_docs)
        order = np.argsort(docs)
        return docs[order], scores[order]

    def top(
        self,
        query: Mapping[int, float],
        k: int,
        allowed: np.ndarray | None = None,
        scale: np.ndarray | None = None,
        count: bool = False,
    ) -> tuple[np.ndarray, np.ndarray, int | None]:
        """The ``k`` best passages holding a query term, best first (ties: lower passage first), their
        scores, and (with ``count``) how many passages matched in all, else None.

        ``allowed`` (bool per passage) filters; ``scale`` (float32 per passage, in (0, 1]) multiplies
        what the terms contribute (the score is ``constant + scale × contributions``; the constant,
        BM25Plus's ``idf × delta`` of every query term, is the same for every passage). The cost is
        that of the question's postings, common terms being dense rows, plus one selection pass.
        """
        items, constant = self._items(query)
        empty = (np.empty(0, np.int32), np.empty(0, np.float64), 0)
        if not items or k <= 0:
            return empty
        if self._dense_path(items):
            acc = self._accumulate(items)
            if allowed is not None:
                acc *= allowed
            if scale is not None:
                acc *= scale
            # contributions are positive, so "scored at all" is "above zero"; counting them is a
            # pass over every passage, done only when asked for
            matched = int(np.count_nonzero(acc)) if count else None
            docs, sums = select_top(acc, k)
            if len(docs) == 0:
                return empty
        else:
            docs, sums = self._sparse(items)
            if allowed is not None:
                keep = allowed[docs]
                docs, sums = docs[keep], sums[keep]
            if scale is not None:
                sums = sums * scale[docs]
            matched = len(docs)
            if matched > k:  # only those tied with or above the k-th go to the sort
                kth = np.partition(sums, matched - k)[matched - k]
                keep = sums >= kth
                docs, sums = docs[keep], sums[keep]
        order = np.lexsort((docs, -sums))[:k]
        return docs[order].astype(np.int32), sums[order].astype(np.float64) + constant, matched

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
        # (rank-bm25 gives every passage a score; the fast path only those holding a term)
        """Scores of every passage (what rank-bm25's ``get_scores`` returns); for tests and checks."""
        scores = np.full(self.n_docs, sum(r * self.absent[t] for t, r in query.items()), dtype=np.float64)
        docs, values = self.score(query)
        scores[docs] = values
        return scores


SAMPLE_STRIDE = 32


def select_top(acc: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The passages whose score is at least the k-th largest of ``acc`` (ties with it included),
    with their scores, passages ascending; zeros never.

    A selection over the whole accumulator is what made slow questions slow (``np.partition`` of a
    mostly-zero array of every passage: 2 ms at 100k, 10 ms at 300k). Instead: the k-th largest of
    every 32nd passage is a floor the true k-th largest cannot be under (a subset's k-th largest
    never exceeds the whole's), so one comparison pass keeps about 32·k candidates, and the exact
    selection runs among those only."""
    sample = acc[::SAMPLE_STRIDE]
    positive = sample[sample > 0]
    if len(positive) >= k:
        floor = np.partition(positive, len(positive) - k)[len(positive) - k]
        docs = np.flatnonzero(acc >= floor)
    else:
        docs = np.flatnonzero(acc > 0)
    sums = acc[docs]
    if len(docs) > k:
        kth = np.partition(sums, len(sums) - k)[len(sums) - k]
        keep = sums >= kth
        docs, sums = docs[keep], sums[keep]
    return docs, sums


def compute_idf(variant: Variant, df: np.ndarray, n_docs: int) -> np.ndarray:
    """IDF per term exactly as rank-bm25 computes it (terms with df = 0 get 0: rank-bm25 does not
    know them)."""
    idf = np.zeros(len(df), dtype=np.float64)
    known = df > 0
    n = df[known].astype(np.float64)
    if variant == "okapi":
        raw = np.log(n_docs - n + 0.5) - np.log(n + 0.5)
        if len(raw):
            floor = OKAPI_EPSILON * (raw.sum() / len(raw))
            raw = np.where(raw < 0, floor, raw)
        idf[known] = raw
    elif variant == "l":
        idf[known] = np.log(n_docs + 1) - np.log(n + 0.5)
    else:
        idf[known] = np.log((n_docs + 1) / n)
    return idf


@dataclass
class Frequencies:
    """Term frequencies, term-major: term t occurs ``tf`` times in each of docs[indptr[t]:indptr[t+1]]
    (ascending). What one index generation hands the next: an incremental build drops the passages
    of removed reports and appends new ones without sorting everything again."""

    indptr: np.ndarray  # int64, n_terms + 1
    docs: np.ndarray  # int32
    tf: np.ndarray  # uint16, or uint32 when a passage repeats a term more than 65,535 times
    n_docs: int

    @property
    def n_terms(self) -> int:
        return len(self.indptr) - 1

    @property
    def df(self) -> np.ndarray:
        return np.diff(self.indptr).astype(np.int32)

    @classmethod
    def empty(cls, n_terms: int = 0) -> Frequencies:
        return cls(np.zeros(n_terms + 1, np.int64), np.empty(0, np.int32), np.empty(0, np.uint16), 0)

    @classmethod
    def from_matrix(cls, matrix: TermMatrix, n_terms: int) -> Frequencies:
        """Passage-major rows → term-major; a stable sort by term keeps each term's passages
        ascending (16-bit keys sort by radix, several times faster)."""
        keys = matrix.terms.astype(np.uint16) if n_terms <= np.iinfo(np.uint16).max else matrix.terms
        order = np.argsort(keys, kind="stable")
        indptr = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(np.bincount(matrix.terms, minlength=n_terms), out=indptr[1:])
        doc_of_entry = np.repeat(np.arange(matrix.n_docs, dtype=np.int32), np.diff(matrix.indptr))
        return cls(indptr, doc_of_entry[order], _compact_counts(matrix.counts[order]), matrix.n_docs)

    def doc_len(self) -> np.ndarray:
        """Tokens per passage (rank-bm25's ``doc_len``)."""
        return np.bincount(self.docs, weights=self.tf, minlength=self.n_docs)

    def keep(self, rows: np.ndarray) -> Frequencies:
        """Only the passages where ``rows`` (bool per passage) is true, renumbered in order."""
        if rows.all():
            return self
        new_number = (np.cumsum(rows) - 1).astype(np.int32)
        mask = rows[self.docs]
        dropped = np.flatnonzero(~mask)
        # entries dropped per term, from the positions of the dropped entries (few, usually)
        dropped_per_term = np.bincount(np.searchsorted(self.indptr, dropped, side="right") - 1,
                                       minlength=self.n_terms)
        indptr = self.indptr.copy()
        indptr[1:] -= np.cumsum(dropped_per_term)
        return Frequencies(indptr, new_number[self.docs[mask]], self.tf[mask], int(rows.sum()))

    def extend(self, other: Frequencies) -> Frequencies:
        """These passages followed by ``other``'s (numbered after them); each term's passages stay
        ascending because every new passage comes after every old one."""
        n_terms = max(self.n_terms, other.n_terms)
        a, b = _pad_indptr(self.indptr, n_terms), _pad_indptr(other.indptr, n_terms)
        # term t's new entries go after its old ones: before old position a[t + 1]
        where = np.repeat(a[1:], np.diff(b))
        docs = np.insert(self.docs, where, other.docs + np.int32(self.n_docs))
        tf_type = np.promote_types(self.tf.dtype, other.tf.dtype)
        tf = np.insert(self.tf.astype(tf_type, copy=False), where, other.tf.astype(tf_type, copy=False))
        return Frequencies(a + b, docs, tf, self.n_docs + other.n_docs)


def _pad_indptr(indptr: np.ndarray, n_terms: int) -> np.ndarray:
    if len(indptr) - 1 == n_terms:
        return indptr
    return np.concatenate([indptr, np.full(n_terms + 1 - len(indptr), indptr[-1], dtype=np.int64)])


def _compact_counts(counts: np.ndarray) -> np.ndarray:
    if len(counts) == 0 or int(counts.max()) <= np.iinfo(np.uint16).max:
        return counts.astype(np.uint16)
    return counts.astype(np.uint32)


def weigh(
    freqs: Frequencies,
    variant: Variant = "plus",
    k1: float = 1.2,
    b: float = 0.75,
    delta: float = 0.5,
    doc_len: np.ndarray | None = None,
) -> Postings:
    """Every (term, passage) contribution as rank-bm25 computes it, vectorised. ``doc_len`` (tokens
    per passage) saves recounting them when the caller kept them."""
    n_docs, n_terms = freqs.n_docs, freqs.n_terms
    doc_len = freqs.doc_len() if doc_len is None else doc_len.astype(np.float64, copy=False)
    avgdl = doc_len.sum() / n_docs if n_docs else 0.0
    df = freqs.df
    idf = compute_idf(variant, df, n_docs)
    # float32 arithmetic: the weights are stored as float32 anyway, and it halves the time
    tf = freqs.tf.astype(np.float32)
    if avgdl:
        doc_norm = (1 - b + b * doc_len / avgdl).astype(np.float32)
        norm = doc_norm[freqs.docs]
    else:
        norm = np.ones_like(tf)
    k1_, delta_ = np.float32(k1), np.float32(delta)
    term_idf = np.repeat(idf.astype(np.float32), df)
    if variant == "okapi":
        contribution = term_idf * (tf * (k1_ + 1) / (tf + k1_ * norm))
        absent = np.zeros(n_terms)
    elif variant == "l":
        ctd = tf / norm
        contribution = term_idf * tf * (k1_ + 1) * (ctd + delta_) / (k1_ + ctd + delta_)
        absent = np.zeros(n_terms)
    else:
        # what a present term adds beyond the idf × delta every passage gets
        contribution = term_idf * ((tf * (k1_ + 1)) / (k1_ * norm + tf))
        absent = idf * delta
    return Postings(
        indptr=freqs.indptr,
        docs=freqs.docs,
        weights=contribution.astype(np.float32, copy=False),
        absent=absent,
        idf=idf,
        df=df,
        n_docs=n_docs,
    )


def build_postings(
    matrix: TermMatrix,
    n_terms: int,
    variant: Variant = "plus",
    k1: float = 1.2,
    b: float = 0.75,
    delta: float = 0.5,
) -> Postings:
    """BM25 postings of passage-major term frequencies."""
    return weigh(Frequencies.from_matrix(matrix, n_terms), variant, k1, b, delta)


def reference_bm25(
    documents: Sequence[Sequence[str]], variant: Variant, k1: float, b: float, delta: float
) -> BM25Okapi | BM25L | BM25Plus:
    """rank-bm25's own object over token lists: the oracle for tests and the benchmark."""
    if variant == "okapi":
        return BM25Okapi(documents, k1=k1, b=b, epsilon=OKAPI_EPSILON)
    if variant == "l":
        return BM25L(documents, k1=k1, b=b, delta=delta)
    return BM25Plus(documents, k1=k1, b=b, delta=delta)
