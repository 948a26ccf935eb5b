"""Retrieval quality from a fresh clone: the question sets shipped in ``tests/eval/`` over the sample
reports, scored the way ``../shared/eval/score.py`` scores them (which needs ``../shared`` beside the
clone), through the same command line.

    .venv/bin/python -m benchmarks.quality                       # every shipped set over reports/
    .venv/bin/python -m benchmarks.quality --questions tests/eval/dev_questions.jsonl [--reports DIR] [--k 5]

For each set: ``reportqa index REPORTS --index-dir TMP``, then ``reportqa ask --json --index-dir TMP
--top-k K --batch FILE``; a fact is found when a result from its source holds its phrase (both sides
simplified, NFKC, white space removed). Prints one line a set: recall@K, strict (every fact found and no
excluded source), MRR, wrong_filter (questions returning an excluded source), empty_ok; exit 1 when a
set is under ``--min-recall``.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from reportqa.domain.text import normalise

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("dev_questions.jsonl", "extra_questions.jsonl", "answers_seeds.jsonl",  # over the sample reports
           "chat_seeds.jsonl")
_PINYIN_NOTE = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,7}\)")  # 建設(shè): web-page annotations


def norm(text: str) -> str:
    return re.sub(r"\s+", "", normalise(_PINYIN_NOTE.sub("", unicodedata.normalize("NFKC", text or ""))))


@dataclass(frozen=True)
class Scores:
    questions: int
    recall: float
    strict: float
    mrr: float
    wrong_filter: int
    empty_ok: int
    empty_expected: int

    def line(self, k: int) -> str:
        return (f"questions={self.questions} recall@{k}={self.recall:.3f} strict={self.strict:.3f} mrr={self.mrr:.3f} "
                f"wrong_filter={self.wrong_filter} empty_ok={self.empty_ok}/{self.empty_expected}")


def score_answers(questions: list[dict], answers: list[dict], k: int = 5) -> Scores:
    """Each question's ``expect`` facts against its answer's top ``k`` results (``ask --json`` objects)."""
    facts = found = strict_ok = strict_n = wrong = empty_ok = empty_n = 0
    reciprocal = 0.0
    for question, answer in zip(questions, answers, strict=True):
        results = (answer.get("results") or [])[:k]
        if question.get("expect_empty"):
            empty_n += 1
            empty_ok += not results
            continue
        ranks = []
        for fact in question["expect"]:
            facts += 1
            want = norm(fact["contains"])
            rank = next((i for i, r in enumerate(results, 1)
                         if r.get("source", "").endswith(fact["source"]) and want in norm(r.get("text", ""))), None)
            if rank:
                found += 1
                ranks.append(rank)
        bad = any(r.get("source", "").endswith(s) for r in results for s in question.get("exclude_sources", []))
        wrong += bad
        strict_n += 1
        strict_ok += len(ranks) == len(question["expect"]) and not bad
        reciprocal += 1 / min(ranks) if ranks else 0.0
    return Scores(len(questions), found / facts if facts else 1.0, strict_ok / strict_n if strict_n else 1.0,
                  reciprocal / strict_n if strict_n else 1.0, wrong, empty_ok, empty_n)


def _reportqa(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reportqa", *args], capture_output=True, text=True,
                          timeout=1800, check=False)


def score_set(questions_file: Path, reports: Path, k: int) -> Scores:
    questions = [json.loads(line) for line in questions_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        index_dir = Path(tmp) / "index"
        built = _reportqa("index", str(reports), "--index-dir", str(index_dir))
        if built.returncode != 0:
            raise SystemExit(f"index exited {built.returncode}: {built.stderr.strip()[-500:]}")
        answers: dict[int, dict] = {}
        singles = [i for i, q in enumerate(questions) if "turns" not in q]
        if singles:
            asked = _ask(index_dir, [questions[i]["question"] for i in singles], k, tmp)
            answers.update(zip(singles, asked, strict=True))
        for i, question in enumerate(questions):  # a conversation: its turns in order, the last one scored
            if "turns" in question:
                answers[i] = _ask(index_dir, question["turns"], k, tmp, conversation=True)[-1]
    return score_answers(questions, [answers[i] for i in range(len(questions))], k)


def _ask(index_dir: Path, lines: list[str], k: int, tmp: str, conversation: bool = False) -> list[dict]:
    """``reportqa ask --json`` of the lines (as the turns of one conversation), one answer each."""
    batch = Path(tmp) / "questions.txt"
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    asked = _reportqa("ask", "--json", "--index-dir", str(index_dir), "--top-k", str(k), "--batch", str(batch),
                      *(["--conversation"] if conversation else []))
    if asked.returncode != 0:
        raise SystemExit(f"ask exited {asked.returncode}: {asked.stderr.strip()[-500:]}")
    answers = [json.loads(line) for line in asked.stdout.splitlines() if line.startswith("{")]
    if len(answers) != len(lines):
        raise SystemExit(f"{len(lines)} questions but {len(answers)} answers")
    return answers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=Path, action="append",
                        help="a question set (repeatable; default: the sets in tests/eval over the samples)")
    parser.add_argument("--reports", type=Path, default=ROOT / "reports")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--min-recall", type=float, default=0.0)
    args = parser.parse_args()
    sets = args.questions or [ROOT / "tests" / "eval" / name for name in SHIPPED]
    ok = True
    for path in sets:
        scores = score_set(path, args.reports, args.k)
        print(f"{path.name}: {scores.line(args.k)}")
        ok = ok and scores.recall >= args.min_recall
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
