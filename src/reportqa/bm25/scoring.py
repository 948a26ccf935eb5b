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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from rank_bm25 import BM25L, BM25Okapi, BM25Plus

from reportqa.bm25.postings import Postings, block_bounds

Variant = Literal["okapi", "l", "plus"]
OKAPI_EPSILON = 0.25  # rank-bm25's default


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


    def renumber_terms(self, new_ids: np.ndarray, n_terms: int) -> Frequencies:
        """The same frequencies with term ``t`` numbered ``new_ids[t]`` (distinct ids) among
        ``n_terms`` terms: an overlay's own terms as the whole index numbers them."""
        lengths = np.diff(self.indptr)
        counts = np.zeros(n_terms, dtype=np.int64)
        counts[new_ids] = lengths
        indptr = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        old = np.argsort(new_ids, kind="stable")  # the old terms in their new order
        runs = lengths[old]
        take = np.arange(int(runs.sum()), dtype=np.int64) + np.repeat(self.indptr[old] - (np.cumsum(runs) - runs), runs)
        return Frequencies(indptr, self.docs[take], self.tf[take], self.n_docs)


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
    *,
    idf: np.ndarray | None = None,
    avgdl: float | None = None,
) -> Postings:
    """Every (term, passage) contribution as rank-bm25 computes it, vectorised. ``doc_len`` (tokens
    per passage) saves recounting them when the caller kept them. ``idf`` (per term) and ``avgdl``
    weigh these passages by the statistics of a larger corpus they are part of (an overlay on a
    base: ``overlay.py``), not by their own."""
    n_docs = freqs.n_docs
    doc_len = freqs.doc_len() if doc_len is None else doc_len.astype(np.float64, copy=False)
    if avgdl is None:
        avgdl = doc_len.sum() / n_docs if n_docs else 0.0
    df = freqs.df
    if idf is None:
        idf = compute_idf(variant, df, n_docs)
    # float32 arithmetic: the weights are stored as float32 anyway, and it halves the time
    term_idf = np.repeat(idf.astype(np.float32), df)
    norm = length_norm(doc_len, avgdl, b).astype(np.float32)[freqs.docs]
    contribution, absent = contributions(variant, freqs.tf, norm, k1, delta, term_idf, idf)
    weights = contribution.astype(np.float32, copy=False)
    block_indptr, block_ids, block_max = block_bounds(freqs.indptr, freqs.docs, weights)
    return Postings(
        indptr=freqs.indptr,
        docs=freqs.docs,
        weights=weights,
        absent=absent,
        idf=idf,
        df=df,
        n_docs=n_docs,
        block_indptr=block_indptr,
        block_ids=block_ids,
        block_max=block_max,
    )


def length_norm(doc_len: np.ndarray, avgdl: float, b: float) -> np.ndarray:
    """BM25's length normalisation of each passage, ``1 - b + b · len / avgdl`` (float64; 1 when
    there is no average, as for an empty corpus)."""
    if not avgdl:
        return np.ones(len(doc_len))
    return 1 - b + b * doc_len.astype(np.float64) / avgdl


def contributions(variant: Variant, tf: np.ndarray, norm: np.ndarray, k1: float, delta: float,
                  term_idf: np.ndarray, idf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What each occurrence adds (``tf`` times in a passage of length normalisation ``norm``, its
    term's IDF ``term_idf``) and what each term adds to a passage without it (per term, from
    ``idf``), as rank-bm25's variants define them. In ``term_idf``'s precision: float32 for a build,
    float64 to rescore a few passages exactly (``overlay.py``)."""
    kind = term_idf.dtype
    tf = tf.astype(kind)
    norm = norm.astype(kind, copy=False)
    k1_, delta_ = kind.type(k1), kind.type(delta)
    if variant == "okapi":
        return term_idf * (tf * (k1_ + 1) / (tf + k1_ * norm)), np.zeros(len(idf))
    if variant == "l":
        ctd = tf / norm
        return term_idf * tf * (k1_ + 1) * (ctd + delta_) / (k1_ + ctd + delta_), np.zeros(len(idf))
    # what a present term adds beyond the idf × delta every passage gets
    return term_idf * ((tf * (k1_ + 1)) / (k1_ * norm + tf)), idf * delta


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
