"""A lead-in carries what it introduces (issue 32).

A passage that ends with a colon — "…还存在一些问题，主要表现在：" — says nothing on its own: what it
introduces are the passages after it (its sub-sections, or the next paragraphs of its section). Shown
as a result, it is given their headings (or first sentences) as its own lines, so the excerpt a staff
member forwards says what the problems were. The passage's text in the index is unchanged; only
the result shown (and its JSON ``text``) carries the items.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from reportqa.domain.model import SECTION_SEPARATOR
from reportqa.domain.text import normalise

if TYPE_CHECKING:
    from reportqa.retrieval.retriever import PassageRow
    from reportqa.retrieval.searcher import Result, SearchIndex

LEAD_IN_ENDS = ("：", ":")
MAX_ITEMS = 8  # items carried at most (a lead-in introducing thirty gets the first eight and "…")
ITEM_CHARS = 80  # an item's line at most: a heading, or its first sentence
_FIRST_SENTENCE = re.compile(r"[^。；！？!?\n]*[。；！？!?]?")


def is_lead_in(text: str) -> bool:
    """A passage that ends by announcing what follows (…主要表现在：, 具体如下:)."""
    return text.rstrip().endswith(LEAD_IN_ENDS)


def _item_line(row: PassageRow) -> str:
    """An introduced passage as one line: its own heading when it has one, else its first sentence."""
    heading = row.section.split(SECTION_SEPARATOR)[-1].strip()
    first = _FIRST_SENTENCE.match(row.text.strip())
    line = heading if heading and row.text.strip().startswith(heading[:6]) else (first.group(0) if first else "")
    line = line.strip() or row.text.strip()
    return line if len(line) <= ITEM_CHARS else line[: ITEM_CHARS - 1] + "…"


def introduced(lead: PassageRow | Result, rows: list[PassageRow]) -> list[str]:
    """The lines of what a lead-in passage introduces: the passages right after it that sit below its
    section (its sub-sections), or, when it has none, the rest of its own section."""
    after = sorted((r for r in rows if r.ordinal > lead.ordinal), key=lambda r: r.ordinal)
    below = lead.section + SECTION_SEPARATOR
    children: list[PassageRow] = []
    for row in after:
        if not row.section.startswith(below):
            break
        children.append(row)
    if not children:
        for row in after:
            if row.section != lead.section:
                break
            children.append(row)
    lines = [_item_line(row) for row in children[:MAX_ITEMS]]
    if len(children) > MAX_ITEMS:
        lines.append("…")
    return [line for line in lines if line]


async def carry_items(index: SearchIndex, results: list[Result]) -> list[Result]:
    """The page's results, each lead-in among them given the lines of what it introduces."""
    carried: list[Result] = []
    for result in results:
        if is_lead_in(result.text):
            lines = introduced(result, await index.report_sections(result.report.id))
            if lines:
                text = result.text.rstrip() + "\n" + "\n".join(lines)
                result = replace(result, text=text, norm_text=normalise(text))
        carried.append(result)
    return carried
