"""Cleaning: remove what is not report content, by the rules in ``config/cleaning.toml``.

The rules only remove or restore (paywall markers, adverts, page numbers, pinyin annotations, the
masked 党); the words of the report are otherwise kept exactly as written, for display.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from reportqa.domain.rules import CleaningRules
from reportqa.domain.text import to_simplified
from reportqa.ingest.readers import Line

# A document saved as one line has its headings inline. When no line starts with a heading, long
# lines are broken before 一、 (after a sentence end) and before （一） (anywhere but 第（一）项).
_LINE_HEADING = re.compile(
    r"^\s*(?:[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十]{1,3}[)）]|第[一二三四五六七八九十]{1,3}(?:部分|章))"
)
_INLINE_HEADING = re.compile(
    r"(?<=[。：:；;！？!?])\s*(?=[一二三四五六七八九十]{1,3}、|第[一二三四五六七八九十]{1,3}(?:部分|章))"
    r"|(?<![第\s])(?=（[一二三四五六七八九十]{1,3}）(?![项款条目]))"
)
LONG_LINE = 150
@dataclass
class Cleaned:
    lines: list[Line]
    removed: Counter[str] = field(default_factory=Counter)
    page_lines: list[str] = field(default_factory=list)  # the web page's lines taken out (dates live there)


def apply_inline_rules(text: str, rules: CleaningRules, removed: Counter[str]) -> str:
    for rule in rules.inline:
        text, count = rule.pattern.subn(rule.replace, text)
        if count:
            removed[rule.name] += count
    return text


def split_inline_headings(text: str) -> list[str]:
    """Break a long line before the headings it carries inline (documents saved on one line)."""
    if len(text) < LONG_LINE:
        return [text]
    return [part for part in _INLINE_HEADING.split(text) if part.strip()]


def clean_lines(lines: list[Line], rules: CleaningRules) -> Cleaned:
    """Inline rules, one-line documents split, junk lines dropped. Preamble rules come later,
    once the title is known (see ``drop_preamble``)."""
    removed: Counter[str] = Counter()
    texts = [apply_inline_rules(line.text, rules, removed) for line in lines]
    one_line_document = not any(_LINE_HEADING.match(t) for t in texts) and any(len(t) >= LONG_LINE for t in texts)
    out: list[Line] = []
    for line, text in zip(lines, texts, strict=True):
        parts = split_inline_headings(text) if one_line_document and line.heading_level is None else [text]
        for part in parts:
            dropped_by = next((r.name for r in rules.drop_line if r.pattern.search(part)), None)
            if dropped_by:
                removed[dropped_by] += 1
                continue
            if part.strip():
                out.append(Line(part.rstrip(), line.heading_level))
    return Cleaned(out, removed)


def is_preamble_line(text: str, rules: CleaningRules) -> bool:
    """Site navigation or a publication line (the ``preamble_drop`` rules)."""
    return any(r.pattern.search(text) for r in rules.preamble_drop)


def _is_label_only(text: str, rule_name: str) -> bool:
    """A site-metadata label standing alone on its line (its value is on the next one)."""
    return rule_name == "site metadata" and not re.search(r"[:：|\]】]\s*\S", text)


_LABEL_END = re.compile(r"[:：]\s*$")
# the cleaning rules (config/cleaning.toml) whose lines state a page's metadata, as against navigation
PAGE_METADATA_RULES = frozenset({"site metadata", "publication line", "page time"})


def page_metadata(lines: list[str], rules: CleaningRules) -> tuple[list[str], int]:
    """A web page's lines outside its main text (``RawDocument.page_lines``) → those the rules
    recognise as the page's metadata or publication lines (索引号, 发布机构, 成文日期, 来源 …), a label
    alone joined with its value on the next line (``发布机构：`` ``宜春市统计局``), and how many other
    lines (navigation, site furniture) were dropped."""
    kept: list[str] = []
    dropped = 0
    rules_list = [r for r in (*rules.preamble_drop, *rules.after_title_drop) if r.name in PAGE_METADATA_RULES]
    index = 0
    while index < len(lines):
        text = lines[index].strip()
        index += 1
        if not any(r.pattern.search(to_simplified(text)) for r in rules_list):
            dropped += 1
            continue
        if _LABEL_END.search(text) and index < len(lines) and len(value := lines[index].strip()) <= 40 and (
                not _LABEL_END.search(value)):
            text, index = text + value, index + 1
        kept.append(text)
    return kept, dropped


def drop_preamble(cleaned: Cleaned, title_index: int | None, rules: CleaningRules) -> Cleaned:
    """Remove site navigation, site metadata and publication lines before the title (or among the
    first lines when the title is unknown) and a web page's lines right below it; the lines taken
    out are kept as ``page_lines``, where the page's dates are read from."""
    limit = title_index if title_index is not None else min(len(cleaned.lines), 8)
    title = cleaned.lines[title_index].text.strip() if title_index is not None else None
    kept: list[Line] = []
    page_lines = list(cleaned.page_lines)
    removed = Counter(cleaned.removed)
    below_title = title_index is not None
    value_next = False  # the line after a label standing alone is that label's value
    for index, line in enumerate(cleaned.lines):
        rule = None
        # matched in simplified characters: a traditional page's 發布時間 is a 发布时间 line too
        text = to_simplified(line.text) if index <= limit + 8 else line.text
        if index < limit:
            rule = next((r for r in rules.preamble_drop if r.pattern.search(text)), None)
        elif index > limit and below_title:
            if line.text.strip() == title:  # the title again below itself (a page's heading and its body's)
                removed["repeated title"] += 1
                continue
            if value_next and len(line.text.strip()) <= 40:
                rule = next(r for r in rules.after_title_drop if r.name == "site metadata")
                value_next = False
            else:
                rule = next((r for r in rules.after_title_drop if r.pattern.search(text)), None)
                value_next = rule is not None and _is_label_only(text, rule.name)
            below_title = rule is not None
        if rule is None:
            kept.append(line)
            continue
        removed[rule.name] += 1
        page_lines.append(line.text)
    return Cleaned(kept, removed, page_lines)
