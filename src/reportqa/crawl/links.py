"""The links of a fetched page, and what each one is: the column's next page, an article, an
attachment, or none of these.

A column page (法治政府建设, 年度报告) lists articles by their titles and pages through them (下一页,
``index_1.html``, ``?page=2``); its menus name sections in a word or two. So an article link is one
whose text is a title (``TITLE_CHARS`` or more), a pagination link one whose text or address says so,
and an attachment one whose address, ``filename=`` or text ends in a report file's suffix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urljoin, urlsplit, urlunsplit

from lxml import etree, html

ATTACHMENT_SUFFIXES = (".pdf", ".doc", ".docx", ".wps", ".ofd", ".txt")
TITLE_CHARS = 6  # an article's link text is its title; a menu item is a word or two
MAX_LINKS = 5000  # links read from one page

_PAGINATION_TEXT = re.compile(r"^\s*(?:下一?页|下页|后页|尾页|末页|next|›|»|>|>>|\d{1,3})\s*$", re.IGNORECASE)
_PAGINATION_URL = re.compile(r"(?:index|list|default)?_\d{1,4}\.s?html?$|[?&](?:page|pageno|pageindex|pagenum|p|"
                             r"currentpage|curpage|pn)=\d{1,4}(?:&|$)", re.IGNORECASE)
_SCRIPT_URL = re.compile(r"^\s*(?:javascript|mailto|tel|data):", re.IGNORECASE)


@dataclass(frozen=True)
class Link:
    url: str
    text: str


def normal_url(url: str) -> str:
    """A URL as the crawl compares them: no fragment, the host in lower case, ``.`` and ``..`` resolved,
    an empty path as '/'."""
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), _without_dots(parts.path), parts.query, ""))


def _without_dots(path: str) -> str:
    kept: list[str] = []
    segments = path.split("/")
    for segment in segments[1:] if path.startswith("/") else segments:
        if segment == "..":
            if kept:
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    if segments[-1] in (".", "..") and (not kept or kept[-1] != ""):
        kept.append("")
    return "/" + "/".join(kept)


def page_links(data: bytes, base: str) -> list[Link]:
    """Every ``<a href>`` of a page as an absolute URL, with its text (scripts, mail and fragments
    within the page left out); the page's ``<base href>`` is honoured."""
    from reportqa.ingest.web_page import decode_html

    text, _ = decode_html(data)
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    if not text.strip():
        return []
    try:
        root = html.document_fromstring(text, parser=html.HTMLParser(no_network=True, remove_comments=True))
    except (etree.ParserError, ValueError):
        return []
    declared = root.find(".//base[@href]")
    if declared is not None:
        base = urljoin(base, declared.get("href", ""))
    links = []
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith("#") or _SCRIPT_URL.match(href):
            continue
        url = normal_url(urljoin(base, href))
        if urlsplit(url).scheme not in ("http", "https"):
            continue
        links.append(Link(url, " ".join(anchor.text_content().split())[:200]))
        if len(links) >= MAX_LINKS:
            break
    return links


def attachment_suffix(url: str, text: str = "") -> str | None:
    """The report file suffix a link points to, by its path, a ``filename=`` in its query, or its text."""
    parts = urlsplit(url)
    candidates = [unquote(parts.path)] + [unquote(v) for _, v in parse_qsl(parts.query)] + [text]
    for candidate in candidates:
        lowered = candidate.strip().lower()
        for suffix in ATTACHMENT_SUFFIXES:
            if lowered.endswith(suffix):
                return suffix
    return None


def is_pagination(link: Link, column: str) -> bool:
    """A link to another page of the same column listing."""
    if urlsplit(link.url).netloc != urlsplit(column).netloc:
        return False
    same_folder = urlsplit(link.url).path.rsplit("/", 1)[0] == urlsplit(column).path.rsplit("/", 1)[0]
    return same_folder and (bool(_PAGINATION_TEXT.match(link.text)) or bool(_PAGINATION_URL.search(link.url)))


def is_article(link: Link) -> bool:
    """A link whose text is a title (not a menu's word)."""
    return len(re.sub(r"\s", "", link.text)) >= TITLE_CHARS
