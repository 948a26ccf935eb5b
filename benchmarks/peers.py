"""reportqa's query path beside bm25s (numba backend) and tantivy, in one run, on the same tokens.

    .venv/bin/python -m benchmarks.peers --passages 100000 [--questions 300] [--rounds 5] [--json] [--keep DIR]

Needs the ``bench`` extra (``pip install -e '.[bench]'``: bm25s, numba, tantivy). It generates a
corpus (benchmarks/corpus.py), builds reportqa's index of it, and hands every engine the index's own
token bags (term ids written as ``t123``, so no engine's tokenizer changes them): reportqa's postings
weighed from them (what a build does after tokenising), bm25s BM25+ with the same k1, b, delta
(rank-bm25's BM25Plus), tantivy (its own BM25: k1 1.2, b 0.75, so its top 10 is not expected to
agree). Questions are the benchmark's questions parsed by reportqa, their distinct terms. Each
round times every engine on every question, engines interleaved question by question; a
question's time is its median over rounds. Tokenising is excluded everywhere. Printed: p50 / p90
/ p99 per engine, reportqa's per-question time ratio to each peer, top-10 agreement, build time
and the memory each engine's index holds; ``--json`` prints one JSON object instead.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.corpus import generate, questions
from reportqa.answers.reading import parse
from reportqa.bm25.scoring import Frequencies, weigh
from reportqa.index import database as store
from reportqa.index.builder import build_index
from reportqa.retrieval.searcher import SearchIndex
from reportqa.settings import Settings

TOP = 10


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * 4096 / 1e6


def percentiles(values: list[float]) -> dict[str, float]:
    array = np.array(values)
    return {f"p{q}_ms": round(float(np.percentile(array, q)), 4) for q in (50, 90, 99)}


def same_ranking(ours: list[tuple[int, float]], theirs: list[tuple[int, float]], tolerance: float = 2e-4) -> bool:
    """The same top 10 up to exact ties: scores equal rank by rank (float32 sums differ in the last
    bits), passages equal wherever the score is not tied with the 10th."""
    if len(ours) != len(theirs):
        return False
    if any(abs(a[1] - b[1]) > tolerance * max(1.0, abs(b[1])) for a, b in zip(ours, theirs, strict=True)):
        return False
    if not theirs:
        return True
    # a passage clearly above the 10th in either list is in the other list; one scored a hair
    # above the cut in one list and a hair under it in the other (float32 sums in another order)
    # is not a difference
    cutoff = theirs[-1][1] + tolerance * max(1.0, abs(theirs[-1][1]))
    our_docs, their_docs = {d for d, _ in ours}, {d for d, _ in theirs}
    return ({d for d, s in ours if s > cutoff} <= their_docs) and ({d for d, s in theirs if s > cutoff} <= our_docs)


async def token_bags(size: int, work: Path, keep: bool = False) -> tuple[Settings, Frequencies, list[list[int]], float]:
    """Build reportqa's index of a generated corpus; its term-major frequencies and the questions'
    distinct term ids. In a kept folder they are saved, and the next run reads them back instead
    (so a change of the index format does not cost a 1M corpus its half-hour rebuild)."""
    reports, index_dir = work / f"reports-{size}", work / f"index-{size}"  # sizes never share a folder
    settings = Settings(index_dir=index_dir, _env_file=None)
    saved = work / f"bags-{size}.npz"
    if keep and saved.exists():
        with np.load(saved) as arrays:
            freqs = Frequencies(arrays["indptr"], arrays["docs"], arrays["tf"], int(arrays["n_docs"]))
            flat, cuts, pipeline_s = arrays["query_terms"], arrays["query_cuts"], float(arrays["pipeline_s"])
        queries = [flat[a:b].tolist() for a, b in itertools.pairwise(cuts)]
        return settings, freqs, queries, pipeline_s
    generate(reports, size)
    started = time.perf_counter()
    await build_index(reports, index_dir, settings)
    pipeline_s = time.perf_counter() - started
    generation = store.current_generation(index_dir)
    assert generation is not None
    with np.load(generation / store.TERMS_NAME) as arrays:
        freqs = Frequencies(arrays["post_indptr"], arrays["post_docs"], arrays["post_tf"],
                            len(arrays["passage_ids"]))
    index = await SearchIndex.load(index_dir, settings)
    asked = [parse(index, q) for q in questions(400, index.units)]
    queries = [q for q in (sorted({index.term_id[t] for t in p.tokens if t in index.term_id}) for p in asked) if q]
    await index.close()
    if keep:
        cuts = np.cumsum([0] + [len(q) for q in queries])
        np.savez(saved, indptr=freqs.indptr, docs=freqs.docs, tf=freqs.tf, n_docs=freqs.n_docs,
                 query_terms=np.array([t for q in queries for t in q], dtype=np.int64), query_cuts=cuts,
                 pipeline_s=pipeline_s)
    return settings, freqs, queries, pipeline_s


def documents_of(freqs: Frequencies) -> list[list[str]]:
    """Each passage's tokens (term ids as words), from the term-major frequencies."""
    documents: list[list[str]] = [[] for _ in range(freqs.n_docs)]
    for term in range(freqs.n_terms):
        word = f"t{term}"
        start, end = freqs.indptr[term], freqs.indptr[term + 1]
        for doc, count in zip(freqs.docs[start:end].tolist(), freqs.tf[start:end].tolist(), strict=True):
            documents[doc].extend([word] * count)
    return documents


class ReportQA:
    name = "reportqa"

    def __init__(self, settings: Settings, freqs: Frequencies) -> None:
        self.postings = weigh(freqs, settings.bm25_variant, settings.bm25_k1, settings.bm25_b, settings.bm25_delta)
        self.postings.densify(settings.dense_budget_mb * 1024 * 1024)
        self.compiled = settings.compiled_ranking and self.postings.accelerate()  # as the bot serves it

    def top(self, query: list[int]) -> list[tuple[int, float]]:
        docs, scores, _ = self.postings.top(dict.fromkeys(query, 1), TOP)  # with BM25Plus's δ·idf, as bm25s
        return [(int(d), float(s)) for d, s in zip(docs, scores, strict=True)]


class Bm25sNumba:
    name = "bm25s_numba"

    def __init__(self, settings: Settings, documents: list[list[str]]) -> None:
        import bm25s

        self.model = bm25s.BM25(method="bm25+", k1=settings.bm25_k1, b=settings.bm25_b, delta=settings.bm25_delta,
                                backend="numba")
        self.model.index(documents, show_progress=False)
        self.vocab = self.model.vocab_dict

    def top(self, query: list[int]) -> list[tuple[int, float]]:
        tokens = [f"t{t}" for t in query if f"t{t}" in self.vocab]
        if not tokens:
            return []
        docs, scores = self.model.retrieve([tokens], k=TOP, show_progress=False, n_threads=1,
                                           backend_selection="numba")
        return [(int(d), float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]


class Tantivy:
    name = "tantivy"

    def __init__(self, documents: list[list[str]]) -> None:
        import tantivy

        builder = tantivy.SchemaBuilder()
        builder.add_text_field("body", stored=False, tokenizer_name="whitespace", index_option="freq")
        builder.add_integer_field("doc", stored=True, fast=True)
        self.schema = builder.build()
        self.index = tantivy.Index(self.schema)
        writer = self.index.writer(heap_size=256_000_000, num_threads=1)
        for number, tokens in enumerate(documents):
            writer.add_document(tantivy.Document(body=" ".join(tokens), doc=number))
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.searcher = self.index.searcher()
        self.tantivy = tantivy

    def top(self, query: list[int]) -> list[tuple[int, float]]:
        t = self.tantivy
        clauses = [(t.Occur.Should, t.Query.term_query(self.schema, "body", f"t{term}")) for term in query]
        hits = self.searcher.search(t.Query.boolean_query(clauses), TOP).hits
        return [(int(self.searcher.doc(address)["doc"][0]), float(score)) for score, address in hits]


def build_engines(settings: Settings, freqs: Frequencies) -> tuple[list, dict[str, dict[str, float]]]:
    """Each engine built from the same frequencies: its build time and the memory its index holds."""
    engines, built = [], {}

    def timed(make):  # type: ignore[no-untyped-def]
        gc.collect()
        before, started = rss_mb(), time.perf_counter()
        engine = make()
        built[engine.name] = {"build_s": round(time.perf_counter() - started, 3),
                              "memory_mb": round(rss_mb() - before, 1)}
        engines.append(engine)

    timed(lambda: ReportQA(settings, freqs))
    documents = documents_of(freqs)  # the peers take token lists
    timed(lambda: Bm25sNumba(settings, documents))
    timed(lambda: Tantivy(documents))
    return engines, built


def run(settings: Settings, freqs: Frequencies, queries: list[list[int]], rounds: int) -> dict:
    engines, built = build_engines(settings, freqs)
    for engine in engines:  # warm-up: numba compiles, caches fill
        for query in queries[:20]:
            engine.top(query)
    times = {engine.name: np.zeros((rounds, len(queries))) for engine in engines}
    tops: dict[str, list] = {engine.name: [] for engine in engines}
    for round_ in range(rounds):
        for i, query in enumerate(queries):
            for engine in engines:
                started = time.perf_counter()
                top = engine.top(query)
                times[engine.name][round_, i] = (time.perf_counter() - started) * 1000
                if round_ == 0:
                    tops[engine.name].append(top)
    per_question = {name: np.median(t, axis=0) for name, t in times.items()}
    result: dict = {"passages": freqs.n_docs, "questions": len(queries), "rounds": rounds, "engines": {}}
    for name, values in per_question.items():
        result["engines"][name] = {**percentiles(values.tolist()), **built[name]}
    ours = per_question["reportqa"]
    result["ratio_to_peer"] = {
        name: {"p50": round(float(np.percentile(ours / values, 50)), 3),
               "p90": round(float(np.percentile(ours / values, 90)), 3)}
        for name, values in per_question.items() if name != "reportqa"}
    agree = [same_ranking(a, b) for a, b in zip(tops["reportqa"], tops["bm25s_numba"], strict=True)]
    result["top10_identical"] = all(agree)
    result["top10_mismatches"] = int(len(agree) - sum(agree))
    overlap = [len({d for d, _ in a} & {d for d, _ in b}) / max(1, len(b))
               for a, b in zip(tops["reportqa"], tops["tantivy"], strict=True)]
    result["tantivy_top10_overlap"] = round(float(np.mean(overlap)), 3)
    return result


def table(result: dict) -> str:
    lines = [f"{result['passages']:,} passages, {result['questions']} questions × {result['rounds']} rounds "
             f"(a question's time: its median over rounds), top {TOP}", "",
             "| engine | p50 ms | p90 ms | p99 ms | index build s | index memory MB |", "|---|---|---|---|---|---|"]
    for name, row in result["engines"].items():
        lines.append(f"| {name} | {row['p50_ms']:.3f} | {row['p90_ms']:.3f} | {row['p99_ms']:.3f} | "
                     f"{row['build_s']:.1f} | {row['memory_mb']:.0f} |")
    lines.append("")
    for name, ratio in result["ratio_to_peer"].items():
        lines.append(f"reportqa / {name}, per question: median {ratio['p50']:.2f}×, p90 {ratio['p90']:.2f}×")
    lines.append(f"top 10 identical to bm25s bm25+ on every question: {result['top10_identical']} "
                 f"({result['top10_mismatches']} differ); tantivy (its own BM25) shares "
                 f"{result['tantivy_top10_overlap']:.0%} of each top 10")
    return "\n".join(lines)


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", type=Path, default=None,
                        help="build the corpus here and keep it with its token bags and questions: the next "
                             "run with the same --passages and --keep reuses them (a 1M corpus takes half an "
                             "hour to build)")
    args = parser.parse_args()
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        settings, freqs, queries, pipeline_s = await token_bags(args.passages, args.keep, keep=True)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            settings, freqs, queries, pipeline_s = await token_bags(args.passages, Path(tmp))
    result = run(settings, freqs, queries[: args.questions], args.rounds)
    result["corpus_build_s"] = round(pipeline_s, 1)
    print(json.dumps(result) if args.json else table(result))
    return 0 if result["top10_identical"] else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
