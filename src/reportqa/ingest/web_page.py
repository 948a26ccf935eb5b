"""A saved web page (.html, .htm, .mhtml) → its main text, its title, and the page's own lines.

A government site wraps a report in navigation, a metadata table (索引号, 发布机构, 成文日期 …), a
publication line, related links and a footer. The main text is the element most of the page's
paragraph text sits in (readability's rule, kept small): every run of text of at least
``SUBSTANTIAL_CHARS`` characters outside a link counts for the container of its paragraph, and the
container with the most wins. Its lines are the report. The lines before it are the page's own
(where the site states who published the document and when): they are handed to cleaning, which
keeps those its rules recognise as the page's metadata (``cleaning.page_metadata``) for the issuer
and date rules, and drops the rest; the lines after it (related links, footer) are dropped.

Parsing is lxml's HTML parser (no network, no entities), the tree walked without recursion, the text
capped at ``MAX_TEXT_CHARS``.
"""

from __future__ import annotations

import codecs
import email
import email.policy
import re
from collections import defaultdict
from dataclasses import dataclass

from lxml import etree, html

from reportqa.ingest.docx_text import MAX_TEXT_CHARS

SUBSTANTIAL_CHARS = 10  # a run of text this long outside a link is content; menus and labels are shorter

_DROPPED_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "math", "iframe", "object", "embed",
                           "canvas", "select", "option", "button", "input", "textarea", "nav", "head", "map"})
_BLOCK_TAGS = frozenset({"p", "div", "section", "article", "main", "aside", "header", "footer", "h1", "h2", "h3",
                         "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "table", "tbody", "thead", "tfoot",
                         "tr", "td", "th", "caption", "blockquote", "pre", "center", "form", "fieldset", "address",
                         "figure", "figcaption", "hr", "br", "body", "html"})
_PARAGRAPH_TAGS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "pre", "blockquote", "dd", "dt"})
_HEADINGS = {"h2": 1, "h3": 2, "h4": 3}
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{2,40})""", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_TITLE_SEPARATORS = re.compile(r"\s*[|｜_]\s*|\s+[-—–]+\s+|\s*——\s*")
_SPACES = re.compile(r"\s+")
_GB = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030", "cp936": "gb18030"}


class WebPageRefused(Exception):
    """A page that cannot be read; ``str(exc)`` is the reason."""


@dataclass(frozen=True)
class WebLine:
    text: str
    heading_level: int | None = None


@dataclass(frozen=True)
class WebPage:
    title: str | None
    lines: list[WebLine]  # the main text
    page_lines: list[str]  # the page's lines before the main text (its metadata lives there)
    dropped: int  # lines of the page after the main text (related links, footer)
    encoding: str


def decode_html(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """A page's bytes → text: its byte-order mark, UTF-8 when the bytes are UTF-8 (a browser saves a
    page in UTF-8 but keeps its ``charset=gb2312``; GBK text is almost never valid UTF-8), the
    charset it (or its MHTML part) declares, then GB18030 (what GB2312 / GBK pages really use)."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(encoding, "replace"), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    candidates = []
    if declared:
        candidates.append(declared)
    if match := _META_CHARSET.search(data[:16384]):
        candidates.append(match.group(1).decode("ascii"))
    candidates.append("gb18030")
    for name in candidates:
        name = _GB.get(name.strip().lower(), name.strip().lower())
        try:
            codec = codecs.lookup(name).name
        except LookupError:
            continue
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            continue
    return data.decode("gb18030", "replace"), "gb18030"


def html_of_mhtml(data: bytes) -> tuple[bytes, str | None]:
    """The page inside an MHTML archive (what a browser's "save as single file" writes): its first
    text/html part, transfer-decoded, and the charset that part declares."""
    message = email.message_from_bytes(data, policy=email.policy.compat32)
    for part in message.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes) and payload.strip():
                return payload, part.get_content_charset()
    raise WebPageRefused("no HTML page inside this .mhtml")


def read_web_page(data: bytes, declared: str | None = None) -> WebPage:
    """A page's main text, title and own lines (see the module's docstring)."""
    text, encoding = decode_html(data, declared)
    text = _XML_DECLARATION.sub("", text, count=1).replace("\x00", "")
    if not text.strip():
        raise WebPageRefused("empty page")
    try:
        root = html.document_fromstring(text, parser=html.HTMLParser(no_network=True, remove_comments=True,
                                                                     remove_pis=True))
    except (etree.ParserError, ValueError) as exc:
        raise WebPageRefused(f"not a web page: {exc}"[:200]) from exc
    title = root.findtext(".//title")
    _drop_furniture(root)
    main = _main_element(root)
    before, inside, after = _zoned_lines(root, main)
    if not any(line.text for line in inside):
        raise WebPageRefused("no text in this page")
    page_title = _page_title(title, before, inside)
    lines = ([WebLine(page_title)] if page_title else []) + inside
    page_lines = [line.text for line in before]
    if page_title in page_lines:
        page_lines.remove(page_title)
    return WebPage(page_title, lines, page_lines, len(after), encoding)


def _drop_furniture(root: html.HtmlElement) -> None:
    """Scripts, styles, forms' controls, navigation and hidden elements go (their tails stay)."""
    doomed = [element for element in root.iter() if _furniture(element)]
    for element in doomed:
        if element.getparent() is not None:
            element.drop_tree()


def _furniture(element: html.HtmlElement) -> bool:
    if not isinstance(element.tag, str) or element.tag in _DROPPED_TAGS:
        return True
    return bool(_HIDDEN.search(element.get("style") or "")) or element.get("hidden") is not None


def _main_element(root: html.HtmlElement) -> html.HtmlElement:
    """The container most of the page's paragraph text is in."""
    scores: dict[html.HtmlElement, int] = defaultdict(int)
    for element in root.iter():
        if not isinstance(element.tag, str) or element.tag == "a":
            continue
        _score(element, element.text, scores)
        for child in element:  # a child's tail is text of this element
            _score(element, child.tail, scores)
    if not scores:
        body = root.find("body")
        return body if body is not None else root
    return max(scores, key=lambda e: scores[e])


def _score(owner: html.HtmlElement, text: str | None, scores: dict[html.HtmlElement, int]) -> None:
    if not text:
        return
    length = len(_SPACES.sub("", text))
    if length < SUBSTANTIAL_CHARS or any(a.tag == "a" for a in owner.iterancestors()) or owner.tag == "a":
        return
    block = owner
    while block.tag not in _BLOCK_TAGS and block.getparent() is not None:
        block = block.getparent()
    container = block.getparent() if block.tag in _PARAGRAPH_TAGS and block.getparent() is not None else block
    scores[container] += length


class _Lines:
    """Text gathered into lines, each line in the zone (before, inside, after the main text) it ends in."""

    def __init__(self) -> None:
        self.zones: tuple[list[WebLine], list[WebLine], list[WebLine]] = ([], [], [])
        self.zone = 0
        self.parts: list[str] = []
        self.level: int | None = None
        self.chars = 0

    def add(self, text: str | None) -> None:
        if text:
            self.parts.append(text)

    def flush(self) -> None:
        line = _SPACES.sub(" ", "".join(self.parts)).strip()
        self.parts = []
        if line:
            self.chars += len(line)
            if self.chars > MAX_TEXT_CHARS:
                raise WebPageRefused(f"refused: more than {MAX_TEXT_CHARS:,} characters of text")
            self.zones[self.zone].append(WebLine(line, self.level if self.zone == 1 else None))
        self.level = None


def _zoned_lines(root: html.HtmlElement, main: html.HtmlElement) -> tuple[list[WebLine], ...]:
    """The page's text as lines: block elements break lines; inside the main text a table row is
    one line of ``cell | cell``, outside it every cell is a line (a metadata table's label and value)."""
    out = _Lines()
    in_row = 0  # depth of table rows being joined into one line
    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag
        if event == "start":
            if element is main:
                out.flush()
                out.zone = 1
            if tag == "tr" and out.zone == 1 and (in_row or _data_row(element)):
                out.flush()
                in_row += 1
            elif tag in ("td", "th") and in_row:
                if out.parts and out.parts[-1] != " | ":
                    out.add(" | ")
            elif tag in _BLOCK_TAGS and not in_row:
                out.flush()
                if tag in _HEADINGS:
                    out.level = _HEADINGS[tag]
            out.add(element.text)
            continue
        if tag == "tr" and in_row and (in_row > 1 or _data_row(element)):
            in_row -= 1
            while out.parts and out.parts[-1] in (" | ", ""):
                out.parts.pop()
            out.flush()
        elif tag in ("br", "hr") and in_row:
            out.add(" ")
        elif tag in _BLOCK_TAGS and not in_row:
            out.flush()
        if element is main:
            out.flush()
            out.zone = 2
        out.add(element.tail)
    out.flush()
    return out.zones


MAX_ROW_CHARS = 300  # a table row longer than this is page layout (a report in a cell), not data


def _data_row(row: html.HtmlElement) -> bool:
    """A row of a data table (joined into one line), not a layout table's row holding the text."""
    return row.find(".//table") is None and len(row.text_content()) <= MAX_ROW_CHARS


def _page_title(title: str | None, before: list[WebLine], inside: list[WebLine]) -> str | None:
    """The document's title: the longest line above the main text that is a part of the page's <title>
    (``万载县2022年…统计公报 | 万载县人民政府``: not the site's name), else the longest part; none when the
    main text opens with it already."""
    parts = [p for p in _TITLE_SEPARATORS.split(_SPACES.sub(" ", title or "").strip()) if len(p) >= 6]
    if not parts:
        return None
    squeeze = {_SPACES.sub("", p): p for p in parts}
    shown = [line.text for line in before if _SPACES.sub("", line.text) in squeeze]
    chosen = max(shown or parts, key=len)
    opening = [_SPACES.sub("", line.text) for line in inside[:3]]
    if any(_SPACES.sub("", chosen) in line for line in opening):
        return None
    return chosen
