"""Speed at scale: build, update, load, memory and search latency at 1k, 10k, 100k (and 1M) passages.

    .venv/bin/python -m benchmarks.scale [--sizes 1000,10000,100000] [--questions 200] [--out FILE]

For each size it generates a corpus (benchmarks/corpus.py), builds the index and measures: the full
build and how it splits, jieba's own time on the same text in one process, an incremental update
after changing one report, the index size, load time and resident memory in a fresh process, and
search latency p50/p99 — the fast path beside rank-bm25's own ``get_scores`` + top-k on the same
tokens, in the same run. Every question's top 10 must equal rank-bm25's (same variant and
parameters); a mismatch fails the run (exit 1).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

from benchmarks.corpus import generate, questions
from reportqa.answers.reading import parse
from reportqa.bm25.scoring import reference_bm25
from reportqa.domain.text import get_tokenizer
from reportqa.index import database as store
from reportqa.index.builder import build_index
from reportqa.retrieval.searcher import SearchIndex
from reportqa.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
TOP = 10


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q)) if values else float("nan")


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def load_in_fresh_process(index_dir: Path) -> dict:
    """Index load time and resident memory, measured in a new interpreter."""
    code = f"""
import asyncio, json, time
from pathlib import Path
from reportqa.settings import Settings
from reportqa.domain.text import get_tokenizer
def rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS'):
            return int(line.split()[1]) / 1024
base = rss()
t0 = time.perf_counter()
get_tokenizer(Settings(_env_file=None).config_dir)._ensure_ready()
jieba_s = time.perf_counter() - t0
async def main():
    from reportqa.answers.compose import answer_question
    from reportqa.retrieval.searcher import SearchIndex
    t1 = time.perf_counter()
    index = await SearchIndex.load(Path({str(index_dir)!r}), Settings(_env_file=None))
    load_s = time.perf_counter() - t1
    await answer_question(index, "执法培训")
    print(json.dumps({{"load_s": load_s, "jieba_s": jieba_s, "rss_mb": rss(), "python_mb": base}}))
    await index.close()
asyncio.run(main())
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def top_ids(scores: np.ndarray, docs: np.ndarray | None = None, k: int = TOP) -> list[tuple[int, float]]:
    if docs is None:
        docs = np.arange(len(scores))
    if len(docs) > k:
        part = np.argpartition(-scores, k - 1)[:k]
        docs, scores = docs[part], scores[part]
    order = np.lexsort((docs, -scores))
    return [(int(docs[i]), float(scores[i])) for i in order[:k]]


def same_top(ours: list[tuple[int, float]], ref: list[tuple[int, float]]) -> bool:
    """Equal top-k: the same scores rank by rank, and the same passages except among exact ties."""
    if len(ours) != len(ref):
        return False
    if any(abs(a[1] - b[1]) > 1e-4 * max(1.0, abs(b[1])) for a, b in zip(ours, ref, strict=True)):
        return False
    cutoff = ref[-1][1] + 1e-4 * max(1.0, abs(ref[-1][1]))
    return {d for d, s in ours if s > cutoff} == {d for d, s in ref if s > cutoff}


async def measure(size: int, work: Path, n_questions: int, compare: bool) -> dict:
    reports = work / f"reports-{size}"
    index_dir = work / f"index-{size}"
    files = generate(reports, size)
    settings = Settings(index_dir=index_dir, _env_file=None)
    row: dict = {"target_passages": size, "files": files}

    started = time.perf_counter()
    summary = await build_index(reports, index_dir, settings)
    row["build_s"] = time.perf_counter() - started
    row["passages"] = summary.passages
    row["timings"] = summary.timings

    # jieba's own time on the same passages, one process
    generation = store.current_generation(index_dir)
    db = await store.connect(generation / store.DB_NAME, readonly=True)
    async with db.execute("SELECT section, norm_text FROM passages ORDER BY id") as cursor:
        texts = [(section, text) async for section, text in cursor]
    await db.close()
    tokenizer = get_tokenizer(settings.config_dir)
    tokenizer.tokens("预热")
    # above 200k passages every k-th passage is timed and the total scaled (16 min of jieba at 1M)
    step = max(1, len(texts) // 200_000)
    started = time.perf_counter()
    for _, text in texts[::step]:
        tokenizer.tokens(text)
    row["tokenizer_own_s"] = (time.perf_counter() - started) * step
    row["tokenizer_sampled_every"] = step
    row["chars"] = sum(len(t) for _, t in texts)
    del texts

    # incremental: one report changed, in this process (jieba loaded, as in the bot's build worker)
    report_files = sorted(reports.rglob("*.txt"))
    changed = report_files[len(report_files) // 2]
    changed.write_text(changed.read_text(encoding="utf-8") + "（九）新增内容。组织执法培训2次。\n", encoding="utf-8")
    started = time.perf_counter()
    update = await build_index(reports, index_dir, settings)
    row["update_s"] = time.perf_counter() - started
    row["update_parsed"] = len(update.parsed)
    row["update_timings"] = update.timings
    # and by `reportqa index` in a new process (what cron runs): adds interpreter start, imports and
    # jieba's dictionary load
    changed = report_files[len(report_files) // 3]
    changed.write_text(changed.read_text(encoding="utf-8") + "（十）又一段新增内容。\n", encoding="utf-8")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "reportqa", "index", str(reports), "--index-dir", str(index_dir)],
                   check=True, capture_output=True, cwd=ROOT)
    row["update_cli_s"] = time.perf_counter() - started

    generation = store.current_generation(index_dir)
    row["index_mb"] = folder_mb(generation)
    row.update(load_in_fresh_process(index_dir))

    # search latency: the fast path and rank-bm25 on the same tokens
    index = await SearchIndex.load(index_dir, settings)
    asked = questions(n_questions, index.units)
    parsed = [parse(index, q) for q in asked]
    queries = []
    for p in parsed:
        counts: Counter[int] = Counter()
        for token in p.tokens:
            if token in index.term_id:
                counts[index.term_id[token]] += 1
        queries.append(counts)
    fast, full = [], []
    fast_tops = []
    for p, query in zip(parsed, queries, strict=True):
        started = time.perf_counter()
        docs, scores, _ = index.postings.top(query, TOP)
        top = [(int(d), float(s)) for d, s in zip(docs, scores, strict=True)]
        fast.append((time.perf_counter() - started) * 1000)
        fast_tops.append(top)
        started = time.perf_counter()
        index.rank(p)
        full.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    for q in asked[:50]:
        parse(index, q)
    row["parse_ms"] = (time.perf_counter() - started) * 1000 / 50
    row["fast_p50_ms"], row["fast_p99_ms"] = percentile(fast, 50), percentile(fast, 99)
    row["rank_p50_ms"], row["rank_p99_ms"] = percentile(full, 50), percentile(full, 99)
    row["questions"] = len(asked)
    row["filtered_questions"] = sum(1 for p in parsed if p.years or p.report_ids is not None)
    await index.close()

    if compare:
        # the same tokens the index holds (BM25 ignores their order), from its term-major frequencies
        with np.load(generation / store.TERMS_NAME) as arrays:
            indptr, docs, counts = arrays["post_indptr"], arrays["post_docs"], arrays["post_tf"]
            n_docs = len(arrays["passage_ids"])
        vocab = json.loads((generation / store.VOCAB_NAME).read_text(encoding="utf-8"))
        documents: list[list[str]] = [[] for _ in range(n_docs)]
        for term in range(len(indptr) - 1):
            word = vocab[term]
            for doc, count in zip(docs[indptr[term]:indptr[term + 1]].tolist(),
                                  counts[indptr[term]:indptr[term + 1]].tolist(), strict=True):
                documents[doc].extend([word] * count)
        started = time.perf_counter()
        oracle = reference_bm25(documents, settings.bm25_variant, settings.bm25_k1, settings.bm25_b,
                                settings.bm25_delta)
        row["rank_bm25_build_s"] = time.perf_counter() - started
        del documents
        slow = []
        mismatches = []
        for q_text, query, ours in zip(asked, queries, fast_tops, strict=True):
            tokens = [vocab[t] for t, n in query.items() for _ in range(n)]
            started = time.perf_counter()
            scores = oracle.get_scores(tokens)
            ref = top_ids(scores)
            slow.append((time.perf_counter() - started) * 1000)
            # passages holding no query term are not results of the fast path
            plus = settings.bm25_variant == "plus"
            delta = settings.bm25_delta if plus else 0.0
            constant = sum(n * oracle.idf.get(vocab[t], 0) * delta for t, n in query.items())
            ref = [(d, s) for d, s in ref if s > constant + 1e-9]
            if not same_top(ours[: len(ref)], ref):
                mismatches.append(q_text)
        row["rank_bm25_p50_ms"], row["rank_bm25_p99_ms"] = percentile(slow, 50), percentile(slow, 99)
        row["speedup_p50"] = row["rank_bm25_p50_ms"] / max(row["fast_p50_ms"], 1e-9)
        row["top10_mismatches"] = mismatches
    shutil.rmtree(reports, ignore_errors=True)
    shutil.rmtree(index_dir, ignore_errors=True)
    return row


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    system = f"{platform.system()} {platform.machine()}"
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, {system}"


def sampled(row: dict) -> str:
    step = row.get("tokenizer_sampled_every", 1)
    return f" (1/{step} timed)" if step > 1 else ""


def write_results(rows: list[dict], out: Path, command: str) -> None:
    out.write_text(results_markdown(rows, command), encoding="utf-8")


def results_markdown(rows: list[dict], command: str) -> str:
    """The measured rows as the Markdown tables of ``benchmarks/RESULTS.md``."""
    lines = [
        "# Benchmark results",
        "",
        f"- machine: {machine()}",
        f"- date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- command: `{command}`",
        "- corpus: synthetic report files grown from the sample reports (benchmarks/corpus.py), 12 passages a file",
        "- search: the fast path (postings of the question's terms + top-10) beside rank-bm25's `get_scores` + "
        "top-10 on the same tokens, same run; `rank` adds filters and the coverage check; `parse` is question "
        "understanding (jieba, years, units, English)",
        "",
        "| passages | files | chars (M) | full build s | parse cpu s | tokenize cpu s | parse+store wall s "
        "| BM25+save s | jieba alone s | build / jieba | update 1 report s (in process) | update by CLI s "
        "| index MB | load s | jieba load s | RSS MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        t = r["timings"]
        lines.append(
            f"| {r['passages']:,} | {r['files']:,} | {r['chars'] / 1e6:.1f} | {r['build_s']:.1f} "
            f"| {t.get('parse_cpu', 0):.1f} | {t.get('tokenize_cpu', 0):.1f} | {t.get('parse_and_store', 0):.1f} "
            f"| {t.get('bm25_and_save', 0):.1f} | {r['tokenizer_own_s']:.1f}{sampled(r)} "
            f"| {r['build_s'] / r['tokenizer_own_s']:.2f} "
            f"| {r['update_s']:.2f} ({r['update_parsed']} parsed) | {r['update_cli_s']:.2f} "
            f"| {r['index_mb']:.0f} | {r['load_s']:.2f} "
            f"| {r['jieba_s']:.2f} | {r['rss_mb']:.0f} |"
        )
    lines += [
        "",
        "| passages | questions (filtered) | fast p50 ms | fast p99 ms | rank p50 ms | rank p99 ms | parse ms "
        "| rank-bm25 p50 ms | rank-bm25 p99 ms | speed-up p50 | top-10 equal |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        compared = "rank_bm25_p50_ms" in r
        lines.append(
            f"| {r['passages']:,} | {r['questions']} ({r['filtered_questions']}) | {r['fast_p50_ms']:.3f} "
            f"| {r['fast_p99_ms']:.3f} | {r['rank_p50_ms']:.3f} | {r['rank_p99_ms']:.3f} | {r['parse_ms']:.2f} "
            + (f"| {r['rank_bm25_p50_ms']:.1f} | {r['rank_bm25_p99_ms']:.1f} | {r['speedup_p50']:.0f}× "
               f"| {'yes' if not r['top10_mismatches'] else 'NO: ' + str(len(r['top10_mismatches']))} |"
               if compared else "| – | – | – | not compared |")
        )
    lines.append("")
    lines.append("Update timings (the last size): " + json.dumps(
        {k: round(v, 2) for k, v in rows[-1]["update_timings"].items()}))
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--compare-up-to", type=int, default=100_000, help="largest size compared with rank-bm25")
    # the tables go to standard output; a file only when asked (benchmarks/RESULTS.md is committed: a
    # run rewrites it only when told to with --out benchmarks/RESULTS.md)
    parser.add_argument("--out", type=Path, default=None, help="also write the tables to this Markdown file")
    return parser.parse_args(argv)


async def main() -> int:
    args = parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="reportqa-bench-") as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            row = await measure(size, Path(tmp), args.questions, size <= args.compare_up_to)
            rows.append(row)
            shown = {k: v for k, v in row.items() if k != "top10_mismatches"}
            print(json.dumps(shown, ensure_ascii=False), flush=True)
            command = "python -m benchmarks.scale " + " ".join(sys.argv[1:])
            if args.out is not None:  # after every size: a long run keeps what it measured
                write_results(rows, args.out, command.strip())
    if args.out is None:
        print(results_markdown(rows, ("python -m benchmarks.scale " + " ".join(sys.argv[1:])).strip()))
    failed = [r for r in rows if r.get("top10_mismatches")]
    for r in failed:
        print(f"top-10 mismatch at {r['passages']} passages: {r['top10_mismatches'][:5]}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
