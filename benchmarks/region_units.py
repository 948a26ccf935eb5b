"""Generated "which units" questions filtered by a province or a region (issue 30), from a corpus and its
hand-made metadata: what the unseen sets ask most, in numbers no one wrote while reading the reports.

    .venv/bin/python -m benchmarks.region_units --reports ../shared/corpus/real2 \\
        --gold ../shared/eval/real2_metadata.tsv --out /tmp/region_units.jsonl
    python ../shared/eval/score.py --questions /tmp/region_units.jsonl --reports ../shared/corpus/real2

For every topic word (``TOPICS``) held by two reports or more whose province the gold metadata knows,
and every province or region holding one to five of them, one question ("浙江省哪些单位开展了行政复议相关
工作", "华东地区哪些单位开展了行政复议", in a chat wrapper drawn at random with a fixed seed): its facts
are the topic word in each report of that place, the other holders are excluded. A fact is any passage of
the report with the word, so a units answer showing that unit with another passage of it misses: the
figures compare versions, they are no measure of answers a person would call wrong.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
from pathlib import Path

from reportqa.domain.regions import load_regions
from reportqa.settings import BUNDLED_CONFIG_DIR

TOPICS = ("行政复议", "法律顾问", "公职律师", "旁听庭审", "双随机", "告知承诺制", "一网通办", "行政执法三项制度",
          "合法性审查", "普法责任制", "宪法宣传周", "民法典", "以案释法", "柔性执法", "法治督察", "述法", "出庭应诉",
          "执法证", "营商环境", "政务公开", "信访", "调解", "法治培训", "学法", "重大行政决策", "规范性文件",
          "权责清单", "证明事项", "包容审慎", "首违不罚", "安全生产", "禁毒", "扫黑除恶", "网格", "法律明白人",
          "民主法治示范村", "12345", "知识产权", "食品安全")
WRAPPERS = ("{}", "{}？", "请问{}", "帮我查一下{}")
MACRO_REGIONS = ("东北", "华北", "华东", "华南", "华中", "西南", "西北")
MOST_PER_PLACE = 5  # a place whose reports hold the word more often than this asks a list longer than a page


def generate(reports: Path, gold_file: Path, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    gold = {row["file"]: row for row in csv.DictReader(gold_file.open(encoding="utf-8"), delimiter="\t")}
    texts = {path.name: re.sub(r"\s+", "", path.read_text(encoding="utf-8", errors="ignore"))
             for path in sorted(reports.glob("*.txt"))}
    regions = load_regions(BUNDLED_CONFIG_DIR)
    gazetteer_names = {word: set(names) for word, names in _region_provinces(regions).items()}
    questions: list[dict] = []

    def add(text: str, held: list[str], others: list[str]) -> None:
        questions.append({"id": f"g{len(questions) + 1:03d}", "question": rng.choice(WRAPPERS).format(text),
                          "expect": [{"source": f, "contains": topic} for f in held],
                          "exclude_sources": others[:20], "expect_empty": False})

    for topic in TOPICS:
        holders = [f for f, text in texts.items() if topic in text and gold.get(f, {}).get("region_province", "-")
                   not in ("-", "")]
        if len(holders) < 2:
            continue
        provinces: dict[str, list[str]] = {}
        for f in holders:
            provinces.setdefault(gold[f]["region_province"], []).append(f)
        for province, held in provinces.items():
            others = [f for f in holders if f not in held]
            if others and len(held) <= MOST_PER_PLACE:
                add(f"{province}哪些单位开展了{topic}相关工作", held, others)
        for region in MACRO_REGIONS:
            held = [f for f in holders if gold[f]["region_province"] in gazetteer_names.get(region, set())]
            others = [f for f in holders if f not in held]
            if held and others and len(held) <= MOST_PER_PLACE:
                add(f"{region}地区哪些单位开展了{topic}", held, others)
    return questions


def _region_provinces(regions) -> dict[str, list[str]]:
    """Region word → the full names of the provinces it covers (from config/regions.toml)."""
    from reportqa.domain.places import load_gazetteer

    gazetteer = load_gazetteer(BUNDLED_CONFIG_DIR)
    return {word: [gazetteer.places[c].name for c in codes] for word, codes in regions.regions.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=Path, required=True)
    parser.add_argument("--gold", type=Path, required=True, help="a metadata_score.py TSV (file, region_province …)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    questions = generate(args.reports, args.gold, args.seed)
    args.out.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions), encoding="utf-8")
    print(f"{len(questions)} questions → {args.out}")


if __name__ == "__main__":
    main()
