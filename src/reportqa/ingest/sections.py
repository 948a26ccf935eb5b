"""Sections: the body of a report → heading-delimited blocks → passages.

Headings on four levels (``一、`` › ``（一）``/``(一)`` › ``1.``/``1、`` › ``（1）``), skipped levels and
numbering gaps tolerated; a heading that runs on into its body on the same line is cut at its first
``。`` or ``：``. A passage is the smallest heading-delimited block with its heading path; over-long
blocks are split at ``一是/二是`` or sentence ends, and fragments too short to stand alone merge with
a neighbour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reportqa.domain.model import PREAMBLE, SECTION_SEPARATOR
from reportqa.ingest.readers import Line

_CN_NUM = "一二三四五六七八九十"
_LEVELS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (1, re.compile(rf"^第[{_CN_NUM}]{{1,3}}(?:部分|章)")),
    (1, re.compile(rf"^[{_CN_NUM}]{{1,3}}[、．]")),
    (2, re.compile(rf"^[（(]\s*[{_CN_NUM}]{{1,3}}\s*[)）]")),
    (3, re.compile(r"^\d{1,2}\s*(?:[、．]|\.(?!\d))")),
    (4, re.compile(r"^[（(]\s*\d{1,2}\s*[)）]")),
    (5, re.compile(r"^[①②③④⑤⑥⑦⑧⑨⑩]")),
)
_RUN_ON_BREAK = re.compile(r"[。：:]|(?<=[\u4e00-\u9fff])(?=一是)")
_ENUMERATION = re.compile(rf"(?<=[。；;！？!?])(?=[{_CN_NUM}]{{1,2}}是)")
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])")
MAX_HEADING_CHARS = 60


def heading_level(line: Line) -> int | None:
    """The heading level of a line: its numbering first, else its Word heading style."""
    text = line.text.strip()
    for level, pattern in _LEVELS:
        if pattern.match(text):
            return level
    return line.heading_level


def split_heading(text: str) -> tuple[str, bool]:
    """A heading line → (the heading, whether body text follows it on the same line)."""
    text = text.strip()
    match = _RUN_ON_BREAK.search(text)
    if match and match.start() <= MAX_HEADING_CHARS and text[match.end():].strip():
        return text[: match.start()].strip(), True
    if len(text) <= MAX_HEADING_CHARS:
        return text.rstrip("。：:;；"), False
    clause = re.split(r"[，,；;]", text, maxsplit=1)[0]
    heading = clause if len(clause) <= 40 else clause[:30] + "…"
    return heading, True


@dataclass
class Block:
    path: tuple[str, ...]
    lines: list[str]
    has_body: bool

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def split_blocks(lines: list[Line]) -> list[Block]:
    """Group body lines under their heading path. A heading with no text of its own vanishes into
    its children's paths; one with neither text nor children is content and stays a block."""
    blocks: list[Block] = []
    stack: list[tuple[int, str]] = []
    current = Block((), [], False)
    current_level = 0
    for line in lines:
        text = line.text.strip()
        if not text:
            continue
        level = heading_level(line)
        if level is None:
            current.lines.append(text)
            current.has_body = True
            continue
        if current.has_body or (current.path and level <= current_level):
            blocks.append(current)
        heading, run_on = split_heading(text)
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, heading))
        current = Block(tuple(h for _, h in stack), [text], run_on)
        current_level = level
    if current.has_body or current.path:
        blocks.append(current)
    return blocks


def _pieces(block_text: str) -> list[tuple[str, bool]]:
    """(piece, starts a new line) at enumeration markers; pieces keep their punctuation."""
    pieces: list[tuple[str, bool]] = []
    for line in block_text.split("\n"):
        for i, part in enumerate(p for p in _ENUMERATION.split(line) if p):
            pieces.append((part, i == 0))
    return pieces


_CLAUSE_MARKS = "，,；;、 　"


def cut_run_on(sentence: str, max_chars: int) -> list[str]:
    """A "sentence" longer than a passage (a table flattened to one line, text with no full stops)
    cut at its last clause mark within each passage's length, or at the length where it has none:
    a passage is never megabytes of one line, which no reader could use and jieba would hold whole."""
    if len(sentence) <= max_chars:
        return [sentence]
    cuts: list[str] = []
    start = 0
    while len(sentence) - start > max_chars:
        window = sentence[start:start + max_chars]
        mark = max(window.rfind(m) for m in _CLAUSE_MARKS)
        end = start + (mark + 1 if mark >= max_chars // 2 else max_chars)
        cuts.append(sentence[start:end])
        start = end
    cuts.append(sentence[start:])
    return cuts


def split_long(text: str, max_chars: int) -> list[str]:
    """Split a block longer than ``max_chars`` at 一是/二是 markers, line or sentence ends."""
    if len(text) <= max_chars:
        return [text]
    pieces: list[tuple[str, bool]] = []
    for piece, new_line in _pieces(text):
        if len(piece) <= max_chars:
            pieces.append((piece, new_line))
            continue
        sentences = [cut for s in _SENTENCE_END.split(piece) if s for cut in cut_run_on(s, max_chars)]
        buffer = ""
        first = new_line
        for sentence in sentences:
            if buffer and len(buffer) + len(sentence) > max_chars:
                pieces.append((buffer, first))
                buffer, first = "", False
            buffer += sentence
        if buffer:
            pieces.append((buffer, first))
    chunks: list[str] = []
    chunk = ""
    for piece, new_line in pieces:
        joiner = "\n" if new_line and chunk else ""
        if chunk and len(chunk) + len(joiner) + len(piece) > max_chars:
            chunks.append(chunk)
            chunk = piece
        else:
            chunk += joiner + piece
    if chunk:
        chunks.append(chunk)
    return chunks


@dataclass
class Section:
    path: tuple[str, ...]
    text: str

    @property
    def name(self) -> str:
        return SECTION_SEPARATOR.join(self.path) if self.path else PREAMBLE


def _common_prefix(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    prefix = []
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        prefix.append(x)
    return tuple(prefix)


def _mergeable(a: Section, b: Section) -> bool:
    """Two sections may share a passage when they stand under the same top two headings: 3. of
    （一）存在的问题 never joins 1. of （二）下一步打算 under 三、存在的问题和下一步打算."""
    return bool(a.path) and bool(b.path) and a.path[:2] == b.path[:2]


def merge_short(sections: list[Section], min_chars: int) -> list[Section]:
    """Merge a section shorter than ``min_chars`` into the next one under the same top two
    headings (else the previous one; else it stands alone); the merged section keeps the shared
    part of the paths."""
    out: list[Section] = []
    pending: Section | None = None
    for section in sections:
        if pending is not None:
            if _mergeable(pending, section):
                section = Section(_common_prefix(pending.path, section.path), pending.text + "\n" + section.text)
            elif out and _mergeable(out[-1], pending):
                last = out.pop()
                out.append(Section(_common_prefix(last.path, pending.path), last.text + "\n" + pending.text))
            else:
                out.append(pending)
            pending = None
        if len(section.text) < min_chars and section.path:
            pending = section
            continue
        out.append(section)
    if pending is not None:
        if out and _mergeable(out[-1], pending):
            last = out.pop()
            out.append(Section(_common_prefix(last.path, pending.path), last.text + "\n" + pending.text))
        else:
            out.append(pending)
    return out


def sections_of(lines: list[Line], max_chars: int = 1200, min_chars: int = 80) -> list[Section]:
    """The passages' sections of a report body, in order."""
    sections: list[Section] = []
    for block in split_blocks(lines):
        sections.extend(Section(block.path, chunk) for chunk in split_long(block.text, max_chars))
    return merge_short(sections, min_chars)
