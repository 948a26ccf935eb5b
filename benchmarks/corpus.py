"""A realistic synthetic corpus of report files, grown from the bundled sample reports.

Sentences and headings come from the samples, mixed across reports; units, years and numbers vary;
every report adds a few proper names never seen before (projects, villages, companies), so the
vocabulary keeps growing with the collection as a real one's does. Deterministic for a seed.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

from reportqa.domain.model import PREAMBLE, SECTION_SEPARATOR
from reportqa.ingest.pipeline import ParseOptions, parse_report
from reportqa.settings import BUNDLED_CONFIG_DIR, BUNDLED_REPORTS_DIR

PROVINCES = ["重庆市", "四川省成都市", "贵州省贵阳市", "云南省昆明市", "湖北省武汉市", "湖南省长沙市", "陕西省西安市"]
DISTRICTS = ["大足区", "长寿区", "江北区", "渝北区", "永川区", "合川区", "綦江区", "铜梁区", "潼南区", "荣昌区",
             "璧山区", "梁平区", "武隆区", "城口县", "丰都县", "垫江县", "忠县", "云阳县", "奉节县", "巫山县"]
BUREAUS = ["应急管理局", "司法局", "市场监督管理局", "经济和信息化局", "生态环境局", "住房和城乡建设委员会",
           "交通运输局", "农业农村委员会", "卫生健康委员会", "人力资源和社会保障局", "规划和自然资源局", "水利局",
           "城市管理局", "商务委员会", "教育委员会", "文化和旅游发展委员会", "统计局", "医疗保障局", "林业局",
           "退役军人事务局", "民政局", "财政局", "审计局", "招商投资促进局", "发展和改革委员会", "公安局"]
NAME_CHARS = ("安宝北博昌长成春大德东方丰福富广海和河红华惠吉佳嘉建江金锦景康乐利联林龙隆美明南宁平齐"
              "清庆瑞润山胜盛顺泰天通万旺文祥新兴鑫旭阳永友玉元源跃云泽兆正中众洲竹")
_NUMBERING = r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[)）]|\d+[.、])"
_ENUMERATION = r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]是)"
NAME_SUFFIXES = ["村", "社区", "项目", "工程", "有限公司", "产业园", "水库", "中学", "卫生院", "物流园"]


@dataclass(frozen=True)
class SeedText:
    sentences: list[str]
    headings: list[str]


def load_seed_text(folders: tuple[Path, ...] = ()) -> SeedText:
    """The sentences and headings the corpus is grown from: the bundled samples', or (``folders``)
    those of every .txt report there. Five samples give a few hundred sentences, so each is in about
    a fifth of the generated reports and most clauses count as boilerplate (87% at 100k passages,
    against 2-4% in real libraries): a corpus grown from a real library's reports does not have that."""
    options = ParseOptions(BUNDLED_CONFIG_DIR)
    sentences: list[str] = []
    headings: list[str] = []
    paths = [(p, folder) for folder in (folders or (BUNDLED_REPORTS_DIR,)) for p in sorted(folder.rglob("*.txt"))]
    for path, folder in paths:
        try:
            report = parse_report(path, folder, options)
        except Exception:  # a seed report that does not parse is left out
            continue
        for passage in report.passages:
            if passage.section != PREAMBLE:
                for heading in passage.section.split(SECTION_SEPARATOR):
                    stripped = re.sub(_NUMBERING, "", heading)
                    if 4 <= len(stripped) <= 30:
                        headings.append(stripped)
            for sentence in re.split(r"(?<=[。；])", passage.norm_text.replace("\n", "")):
                sentence = re.sub(_ENUMERATION, "", sentence)
                if 12 <= len(sentence) <= 160:
                    sentences.append(sentence)
    return SeedText(sorted(set(sentences)), sorted(set(headings)))


def _vary_numbers(sentence: str, rng: random.Random) -> str:
    def swap(match: re.Match[str]) -> str:
        value = match.group(0)
        if len(value) == 4 and value.startswith("20"):
            return value
        return str(rng.randint(1, 10 ** min(len(value), 4)))

    return re.sub(r"\d+", swap, sentence)


def _new_name(rng: random.Random) -> str:
    return "".join(rng.choice(NAME_CHARS) for _ in range(rng.randint(2, 3))) + rng.choice(NAME_SUFFIXES)


def units_for(count: int, rng: random.Random) -> list[str]:
    units = []
    for i in range(count):
        province = PROVINCES[i % len(PROVINCES)]
        district = DISTRICTS[(i // len(PROVINCES)) % len(DISTRICTS)]
        if rng.random() < 0.2:
            town = "".join(rng.choice(NAME_CHARS) for _ in range(2))
            units.append(f"{province}{district}{town}镇人民政府")
        else:
            units.append(f"{province}{district}{BUREAUS[rng.randrange(len(BUREAUS))]}")
    return sorted(set(units))


def write_report(path: Path, unit: str, year: int, seed: SeedText, rng: random.Random, passages: int) -> None:
    names = [_new_name(rng) for _ in range(rng.randint(2, 5))]
    lines = [unit, f"{year}年法治政府建设情况报告",
             f"现将{year}年法治政府建设情况报告如下：" + _vary_numbers(rng.choice(seed.sentences), rng)]
    numerals = "一二三四五六七八九十"
    written = 0
    top = 0
    while written < passages:
        lines.append(f"{numerals[top % 10]}、{rng.choice(seed.headings)}")
        top += 1
        for sub in range(rng.randint(2, 5)):
            if written >= passages:
                break
            body = []
            for _ in range(rng.randint(5, 8)):
                sentence = _vary_numbers(rng.choice(seed.sentences), rng)
                if rng.random() < 0.15:
                    sentence = rng.choice(names) + sentence
                body.append(sentence.replace(str(year - 1), str(year)))
            lines.append(f"（{numerals[sub]}）{rng.choice(seed.headings)}。" + "".join(body))
            written += 1
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    lines += [unit, f"{year + (month < 3)}年{month}月{day}日"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def generate(out_dir: Path, target_passages: int, seed: int = 20261122, passages_per_report: int = 12,
             seed_folders: tuple[Path, ...] = ()) -> int:
    """Write report files holding about ``target_passages`` passages, grown from the bundled samples
    or from the reports in ``seed_folders``; returns the number of files."""
    rng = random.Random(seed)
    texts = load_seed_text(seed_folders)
    reports = max(1, target_passages // passages_per_report)
    units = units_for(max(3, reports // 3), rng)
    out_dir.mkdir(parents=True, exist_ok=True)
    for i in range(reports):
        unit = units[i % len(units)]
        year = 2019 + (i // len(units)) % 6
        folder = out_dir / str(year)
        folder.mkdir(exist_ok=True)
        write_report(folder / f"r{i:07d}.txt", unit, year, texts, rng, passages_per_report)
    return reports


QUESTION_TOPICS = ["执法培训", "法律顾问", "双随机一公开", "普法宣传", "规范性文件清理", "行政复议", "信访办结率",
                   "安全生产执法检查", "政务公开", "行政执法三项制度", "公平竞争审查", "合法性审查", "会前学法",
                   "执法记录仪", "放管服改革", "营商环境", "矛盾纠纷化解", "法治宣传资料", "重大行政决策", "执法证件"]
ENGLISH_TOPICS = ["enforcement training", "legal advisers", "administrative reconsideration", "legal publicity",
                  "normative documents", "petitions", "work safety inspection", "fair competition review"]


def questions(count: int, units: list[str], seed: int = 7) -> list[str]:
    """Realistic questions, about a third with a year or a unit filter."""
    rng = random.Random(seed)
    out: list[str] = []
    for i in range(count):
        topic = rng.choice(QUESTION_TOPICS)
        kind = i % 6
        if kind == 0:
            out.append(f"哪些单位在{rng.randint(2019, 2024)}年开展了{topic}")
        elif kind == 1:
            bureau = rng.choice(units)
            out.append(f"{bureau[-8:]}{topic}")
        elif kind == 2:
            out.append(f"{topic}情况")
        elif kind == 3:
            out.append(f"which units did {rng.choice(ENGLISH_TOPICS)} in {rng.randint(2019, 2024)}")
        elif kind == 4:
            out.append(f"哪些单位{topic}")
        else:
            out.append(topic)
    return out
