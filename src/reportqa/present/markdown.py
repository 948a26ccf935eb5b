"""The bot's replies (Telegram HTML, ``render.py``) in WeCom's and DingTalk's markdown, report text
escaped for each, within each one's size limit.

The same rendered message is drawn for every messenger, so answers, citations and notices are the
same words everywhere; only the markup differs. The HTML the renderers make holds ``<b>``, ``<i>``,
``<u>``, ``<s>``, ``<code>``, ``<pre>``, ``<a href>`` and escaped text; each text node is unescaped
and escaped again for the target dialect, so nothing a report says can become markup there.

- **WeCom** (智能机器人 stream and markdown): the bubble renders CommonMark-like markdown (headings,
  lists, bold, italics, code, tables, links; im-protocols.md 1.7, FACTS E8), so report text gets
  CommonMark's backslash escapes (spec §2.4: any ASCII punctuation may be escaped) for the characters
  that start markup anywhere (``\\ * _ [ ] < > ` | ~``) and, at a line's start, those that start a
  block (``# - + >`` and ``1.``). A stream's content is at most 20480 bytes of UTF-8
  (``@wecom/aibot-node-sdk`` src/types/api.ts: "最长不超过 20480 个字节").
- **DingTalk** (robot markdown): its renderer's escaping is not published and a backslash may be shown
  as it is, so markup characters in report text become their full-width forms (＊ ＿ ［ ］ ＜ ＞ ｀ ｜
  ～ ＃ －), which read naturally in Chinese and are markup to no renderer. A line break needs two spaces
  before the newline (DingTalk's markdown notes: "建议\\n前后分别加2个空格"). Messages are kept within
  4000 characters: the docs say 5000 at most in one place and suggest far less in another
  (im-protocols.md 3.6, UNCONFIRMED), and DingTalk shows long markdown folded.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser

_LINE_START = re.compile(r"^(\s*)(#|>|[-+](?=\s)|\d+(?=[.)]))")


@dataclass(frozen=True)
class Dialect:
    """One messenger's markdown: how text is escaped anywhere and at a line's start, how a line break
    is written, and the size limit of one message (``measure`` counts in the limit's unit)."""

    name: str
    escape: Callable[[str], str]
    escape_line_start: Callable[[str], str]
    line_break: str
    limit: int
    measure: Callable[[str], int]


def _wecom_escape(text: str) -> str:
    return re.sub(r"([\\*_\[\]<>`|~])", r"\\\1", text)


def _wecom_line_start(text: str) -> str:
    match = _LINE_START.match(text)
    if not match:
        return text
    mark = match.group(2)
    escaped = f"{mark}\\" if mark[0].isdigit() else f"\\{mark}"
    return text[: match.start(2)] + escaped + text[match.end(2):]


_FULL_WIDTH = str.maketrans({"*": "＊", "_": "＿", "[": "［", "]": "］", "<": "＜", ">": "＞", "`": "｀",
                             "|": "｜", "~": "～", "\\": "＼"})


def _dingtalk_escape(text: str) -> str:
    return text.translate(_FULL_WIDTH)


def _dingtalk_line_start(text: str) -> str:
    match = _LINE_START.match(text)
    if not match:
        return text
    mark = match.group(2)
    if mark[0].isdigit():  # 1. at a line's start is a list item: 1．
        end = match.end(2)
        return text[:end] + ("．" if text[end:end + 1] == "." else "）") + text[end + 1:]
    return text[: match.start(2)] + {"#": "＃", ">": "＞", "-": "－", "+": "＋"}[mark] + text[match.end(2):]


WECOM = Dialect("wecom", _wecom_escape, _wecom_line_start, "\n", 20480, lambda s: len(s.encode("utf-8")))
DINGTALK = Dialect("dingtalk", _dingtalk_escape, _dingtalk_line_start, "  \n", 4000, len)


_MARKS = {"b": "**", "i": "*", "s": "~~"}  # Telegram HTML tags and the markdown that opens and closes each


class _Converter(HTMLParser):
    def __init__(self, dialect: Dialect) -> None:
        super().__init__(convert_charrefs=True)
        self.dialect = dialect
        self.out: list[str] = []
        self.href: list[str | None] = []
        self.code = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _MARKS:
            self.out.append(_MARKS[tag])
        elif tag in ("code", "pre"):
            self.code += 1
            self.out.append("`")
        elif tag == "a":
            self.href.append(dict(attrs).get("href"))
            self.out.append("[")

    def handle_endtag(self, tag: str) -> None:
        if tag in _MARKS:
            self.out.append(_MARKS[tag])
        elif tag in ("code", "pre"):
            self.code = max(0, self.code - 1)
            self.out.append("`")
        elif tag == "a":
            href = self.href.pop() if self.href else None
            safe = (href or "").replace(")", "%29").replace(" ", "%20")
            self.out.append(f"]({safe})" if safe.startswith(("http://", "https://")) else "]")

    def handle_data(self, data: str) -> None:
        lines = data.split("\n")
        for i, line in enumerate(lines):
            if i:
                self.out.append("\n")
            if not line:
                continue
            if self.code:
                self.out.append(line.replace("`", "'"))
                continue
            text = self.dialect.escape(line)
            if self._line_start():
                text = self.dialect.escape_line_start(text)
            self.out.append(text)

    def _line_start(self) -> bool:
        for piece in reversed(self.out):
            if piece in ("**", "*", "~~", "[", "`"):
                continue
            return piece.endswith("\n")
        return True


def html_to_markdown(message: str, dialect: Dialect) -> str:
    """One rendered HTML message in a dialect's markdown."""
    converter = _Converter(dialect)
    converter.feed(message)
    converter.close()
    text = "".join(converter.out).strip("\n")
    if dialect.line_break != "\n":  # a single newline is a line break; a blank line stays a paragraph
        text = re.sub(r"(?<!\n)\n(?!\n)", dialect.line_break, text)
    return text


def split_markdown(text: str, dialect: Dialect) -> list[str]:
    """A message in pieces each within the dialect's limit: cut at blank lines, then at lines, then
    (a line longer than the limit) at characters."""
    if dialect.measure(text) <= dialect.limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for block in _units(text, dialect):
        joined = f"{current}\n\n{block}" if current else block
        if dialect.measure(joined) <= dialect.limit:
            current = joined
            continue
        if current:
            pieces.append(current)
        current = block
    if current:
        pieces.append(current)
    return pieces


def _units(text: str, dialect: Dialect) -> list[str]:
    """Blocks of a text, each within the limit (a longer block cut at lines, a longer line cut)."""
    units: list[str] = []
    for block in text.split("\n\n"):
        if dialect.measure(block) <= dialect.limit:
            units.append(block)
            continue
        for line in block.split("\n"):
            while dialect.measure(line) > dialect.limit:
                low, high = 1, len(line)  # the longest prefix within the limit
                while low < high:
                    middle = (low + high + 1) // 2
                    low, high = (middle, high) if dialect.measure(line[:middle]) <= dialect.limit else (low, middle - 1)
                units.append(line[:low])
                line = line[low:]
            if line:
                units.append(line)
    return units


def plain_title(text: str, limit: int = 26) -> str:
    """A short plain title from a markdown message (a card's title, DingTalk's notification line)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    first = re.sub(r"[*`\[\]\\]|\(https?://[^)]*\)", "", first).strip()
    return first[: limit - 1] + "…" if len(first) > limit else first
