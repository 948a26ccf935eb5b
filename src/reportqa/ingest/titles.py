"""Titles: which line is a report's title, and the unit a title (or a file's name) gives.

Read by ``metadata.py`` for the layout and by ``unit_sightings.py`` for a file's name, which is read
as a title is (``应急管理局2021年法治政府建设情况报告.docx``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from reportqa.domain.numbers import CN_YEAR_CHARS
from reportqa.domain.text import normalise, to_simplified
from reportqa.domain.unit_names import UnitName, parse_unit_name

YEAR = rf"(?:(?:19|20)\d{{2}}|[{CN_YEAR_CHARS}]{{4}})"
YEAR_IN_TEXT = re.compile(rf"({YEAR})\s*年")
_TITLE_WORDS = re.compile(r"报告|总结|汇报|情况|工作要点|自查|述职")
HEADING_START = re.compile(
    r"^\s*(?:[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十\d]{1,3}[)）]|\d{1,2}[.、．])"
)
_SITE_TAG = re.compile(r"^[^\w【]*(?:【[^】]{1,12}】)?\s*")
_FILE_SUFFIX = re.compile(r"\.(?:docx?|pdf|txt|wps|ofd|html?|mhtml)$", re.IGNORECASE)
_NAME_ENDS = re.compile(r"(?:关于|在|的|\s)+$")
_TAG = re.compile(r"^\W{0,2}【([^】]{2,40})】")
TITLE_WINDOW = 24  # lines (not counting site furniture) the title is looked for among


def is_unit_name(text: str, config_dir: Path) -> bool:
    """Whether a short text reads as the name of an issuing unit (局, 委, 政府, 镇 …)."""
    simple = to_simplified(re.sub(r"\s+", "", text))
    if not 2 <= len(simple) <= 42 or YEAR_IN_TEXT.search(simple):
        return False
    return parse_unit_name(simple, config_dir, place_only=False) is not None


def find_title(lines: list[str], within: int = TITLE_WINDOW,
               skip: Callable[[str], bool] = lambda text: False) -> int | None:
    """Index of the title line: among the first ``within`` lines that are not site furniture (for
    which ``skip`` is true), a short line naming a report (报告, 总结, 情况 …)."""
    counted = 0
    for index, raw in enumerate(lines[: within * 4]):
        if skip(raw):
            continue
        counted += 1
        if counted > within:
            break
        text = to_simplified(raw.strip())
        if not 6 <= len(text) <= 80 or text.endswith(("：", ":")) or text.startswith(("根据", "按照", "为")):
            continue
        if HEADING_START.match(text) or "。" in text:
            continue
        if _TITLE_WORDS.search(text):
            return index
    return None


def clean_title(title: str) -> str:
    """A title without a site's tag (【2022年】) or a file suffix (.docx)."""
    return _FILE_SUFFIX.sub("", _SITE_TAG.sub("", title.strip())).strip()


def unit_in_title(title: str, config_dir: Path) -> UnitName | None:
    """The unit a title names: the longest start of it that reads as a name (重庆市大足区应急管理局
    关于…, 应急管理部发布2023年…, 静海区2023年度… → 静海区人民政府), else the name after its year
    (2020年教育局法治政府…)."""
    tagged = _TAG.match(normalise(title.strip()))
    if tagged and (unit := parse_unit_name(tagged.group(1), config_dir)) is not None:
        return unit  # 【宁波市司法局】2023年…: the site put the unit in its tag
    simple = normalise(clean_title(title)).removeprefix("关于")
    simple = re.sub(r"\s+", " ", simple).strip()
    for end in range(min(len(simple), 42), 1, -1):
        head = simple[:end].strip()
        rest = simple[end:].lstrip()
        if not rest or YEAR_IN_TEXT.match(rest) or re.match(r"(?:19|20)\d{2}", rest) or (
                simple[end] in " 、：:" or rest[0] in "关发公印法依的在年度上下工推全对（("):
            unit = parse_unit_name(_NAME_ENDS.sub("", head), config_dir)
            if unit is not None:
                return unit
    match = re.search(rf"{YEAR}\s*年度?(?P<name>.{{2,30}}?)(?:关于|法治|依法|推进|年度|工作|上半年|下半年)", simple)
    if match:
        return parse_unit_name(_NAME_ENDS.sub("", match.group("name")), config_dir)
    return None
