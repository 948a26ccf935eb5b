"""Walk each source's column: its pages (pagination), the articles they list, the attachments those
carry; save the reports under ``DIR/crawled/<host>/…``.

A polite crawler: it obeys robots.txt (RFC 9309: a robots.txt that cannot be fetched for a server
error or a broken connection forbids the site for this run; one that is missing allows it), names
itself in the User-Agent, waits ``crawl_delay_seconds`` (or the robots.txt Crawl-delay, when longer)
between two requests to one host, never asks for a URL twice in a run, follows redirects only
within the source's site, and asks again conditionally (If-None-Match, If-Modified-Since) for what it
has seen, so an unchanged page costs a 304. A page that changed replaces its old file; a document
met under a second URL is saved once. Every link it wanted but could not use is listed with the
reason (HTTP status, timeout, robots.txt, another site, too large).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

import httpx

from reportqa.crawl.links import Link, attachment_suffix, is_article, is_pagination, normal_url, page_links
from reportqa.crawl.sources import Source
from reportqa.crawl.state import CrawlState, UrlState
from reportqa.ingest.library_files import is_inside
from reportqa.settings import Settings

CRAWLED = "crawled"
MAX_REDIRECTS = 5
MAX_COLUMN_PAGES = 100  # pages of one column listing followed in a run
MAX_CRAWL_DELAY = 60.0  # seconds: a robots.txt asking for more is capped here
MIN_ARTICLE_CHARS = 200  # an article page with less main text is a stub (its attachments are the report)
MAX_ROBOTS_BYTES = 512 * 1024
UNKNOWN = ".bin"  # a response that is neither a page nor a report file (an image, a zip)

_DOCUMENT_TYPES = {
    "application/pdf": ".pdf", "application/msword": ".doc", "application/ofd": ".ofd", "application/x-ofd": ".ofd",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/kswps": ".wps", "application/vnd.ms-works": ".wps", "application/wps-office.wps": ".wps",
    "text/plain": ".txt",
}
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_WEB_SUFFIXES = {".html", ".htm", ".shtml", ".jsp", ".php", ".asp", ".aspx", ".do", ".action", ".jhtml"}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
_FILENAME = re.compile(r"""filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)|filename\s*=\s*"?([^";]+)"?""", re.IGNORECASE)


@dataclass
class CrawlSummary:
    sources: int = 0
    requests: int = 0  # every request sent, robots.txt and redirects included
    fetched: int = 0  # answered 200 with a body
    not_modified: int = 0  # answered 304: unchanged since the last run
    saved: list[dict] = field(default_factory=list)  # {url, file, replaced}
    skipped: list[dict] = field(default_factory=list)  # {url, reason}
    index: dict | None = None  # the index build's summary, when one ran

    def as_dict(self) -> dict:
        return {"sources": self.sources, "requests": self.requests, "fetched": self.fetched,
                "not_modified": self.not_modified, "saved": self.saved, "skipped": self.skipped, "index": self.index}


@dataclass(frozen=True)
class _Fetched:
    status: int  # 200 or 304
    url: str  # after redirects
    headers: httpx.Headers
    body: bytes


class Crawler:
    """One run over the sources, with one HTTP client, one politeness clock per host and one state."""

    def __init__(self, reports_dir: Path, settings: Settings, client: httpx.Client | None = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
        self.reports_dir = reports_dir
        self.crawled_dir = reports_dir / CRAWLED
        self.settings = settings
        self.client = client or httpx.Client(timeout=settings.crawl_timeout_seconds, follow_redirects=False,
                                             headers={"User-Agent": settings.crawl_user_agent})
        self.client.headers["User-Agent"] = settings.crawl_user_agent
        self.sleep, self.clock = sleep, clock
        self.state = CrawlState.load(self.crawled_dir)
        self.summary = CrawlSummary()
        self.seen: set[str] = set()
        self.last_request: dict[str, float] = {}
        self.robots: dict[str, tuple[object | None, str | None]] = {}  # host → (parser or None, why not)
        self.max_bytes = settings.max_file_mb * 1024 * 1024

    def run(self, sources: list[Source]) -> CrawlSummary:
        try:
            for source in sources:
                self.summary.sources += 1
                self._crawl(source)
        finally:
            self.state.save()
            self.client.close()
        return self.summary

    # -- walking ------------------------------------------------------------------------------------

    def _crawl(self, source: Source) -> None:
        queue: deque[tuple[str, str]] = deque([(normal_url(source.start), "column")])
        requests_before = self.summary.requests
        columns = 0
        while queue:
            url, role = queue.popleft()
            if url in self.seen:
                continue
            if self.summary.requests - requests_before >= self.settings.crawl_max_pages:
                self._skip(url, f"not fetched: the source's limit of {self.settings.crawl_max_pages} requests "
                                "(REPORTQA_CRAWL_MAX_PAGES) was reached")
                continue
            if role == "column":
                columns += 1
                if columns > MAX_COLUMN_PAGES:
                    continue
            self.seen.add(url)
            for link, next_role in self._visit(url, role, source):
                if link not in self.seen:
                    queue.append((link, next_role))

    def _visit(self, url: str, role: str, source: Source) -> list[tuple[str, str]]:
        """Fetch one URL, save what it is, and return the links to follow from it."""
        entry = self.state.urls.get(url)
        fetched = self._fetch(url, source, entry)
        if fetched is None:
            return []
        if fetched.status == 304:
            self.summary.not_modified += 1
            links = [Link(u, t) for u, t in entry.links] if entry else []
            return self._follow(links, role, url, source)
        self.summary.fetched += 1
        entry = self.state.urls.setdefault(url, UrlState())
        entry.etag = fetched.headers.get("etag")
        entry.last_modified = fetched.headers.get("last-modified")
        suffix = _document_suffix(fetched)
        if suffix is None:
            links = page_links(fetched.body, fetched.url)
            entry.links = [[link.url, link.text] for link in links]
            if role == "article":
                self._save_article(url, fetched, entry)
            return self._follow(links, role, fetched.url, source)
        if suffix == UNKNOWN:
            kind = fetched.headers.get("content-type", "").split(";")[0].strip() or "no content type"
            self._skip(url, f"not a report file ({kind})")
            return []
        self._save(url, fetched, entry, suffix)  # an attachment (or a start URL that is itself a report file)
        return []

    def _follow(self, links: list[Link], role: str, page: str, source: Source) -> list[tuple[str, str]]:
        """A column page leads to its other pages, its articles and attachments; an article to its
        attachments; all on the source's site."""
        out = []
        for link in links:
            if urlsplit(link.url).netloc != source.host:
                continue
            if attachment_suffix(link.url, link.text):
                out.append((link.url, "attachment"))
            elif role == "column" and _allowed(link.url, source):
                if is_pagination(link, page):
                    out.append((link.url, "column"))
                elif is_article(link):
                    out.append((link.url, "article"))
        return out

    # -- fetching -----------------------------------------------------------------------------------

    def _fetch(self, url: str, source: Source, entry: UrlState | None) -> _Fetched | None:
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            if (why := self._robots_forbid(current)) is not None:
                self._skip(url, why)
                return None
            headers = {}
            if entry is not None and entry.etag:
                headers["If-None-Match"] = entry.etag
            if entry is not None and entry.last_modified:
                headers["If-Modified-Since"] = entry.last_modified
            try:
                with self._request(current, headers) as response:
                    if response.has_redirect_location:
                        target = normal_url(urljoin(current, response.headers["location"]))
                        if urlsplit(target).netloc != source.host:
                            self._skip(url, f"redirected to another site ({target})")
                            return None
                        if target in self.seen and target != url:
                            self._skip(url, f"redirected to {target}, already fetched in this run")
                            return None
                        self.seen.add(target)
                        current = target
                        continue
                    if response.status_code == 304:
                        return _Fetched(304, current, response.headers, b"")
                    if response.status_code != 200:
                        self._skip(url, f"HTTP {response.status_code} {response.reason_phrase}".strip())
                        return None
                    body = self._body(response)
                    if body is None:
                        self._skip(url, f"larger than {self.settings.max_file_mb} MB (REPORTQA_MAX_FILE_MB)")
                        return None
                    return _Fetched(200, current, response.headers, body)
            except httpx.TimeoutException:
                self._skip(url, f"timed out after {self.settings.crawl_timeout_seconds:g} s")
                return None
            except httpx.HTTPError as exc:
                self._skip(url, f"cannot fetch: {type(exc).__name__}: {exc}"[:200])
                return None
        self._skip(url, f"more than {MAX_REDIRECTS} redirects")
        return None

    def _request(self, url: str, headers: dict[str, str]) -> AbstractContextManager[httpx.Response]:
        """A GET streamed, once the host's politeness delay has passed."""
        host = urlsplit(url).netloc
        delay = self.settings.crawl_delay_seconds
        robots = self.robots.get(host, (None, None))[0]
        if robots is not None:
            delay = max(delay, min(MAX_CRAWL_DELAY, robots.crawl_delay(self.settings.crawl_user_agent) or 0.0))
        if host in self.last_request:
            wait = self.last_request[host] + delay - self.clock()
            if wait > 0:
                self.sleep(wait)
        self.last_request[host] = self.clock()
        self.summary.requests += 1
        return self.client.stream("GET", url, headers=headers)

    def _body(self, response: httpx.Response) -> bytes | None:
        """The body, or None past the file size limit (stopped as soon as it is passed)."""
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            return None
        chunks, total = [], 0
        for chunk in response.iter_bytes():
            total += len(chunk)
            if total > self.max_bytes:
                return None
            chunks.append(chunk)
        return b"".join(chunks)

    def _robots_forbid(self, url: str) -> str | None:
        """Why robots.txt forbids this URL, or None."""
        parts = urlsplit(url)
        if parts.netloc not in self.robots:
            self.robots[parts.netloc] = self._read_robots(f"{parts.scheme}://{parts.netloc}/robots.txt")
        parser, why = self.robots[parts.netloc]
        if why is not None:
            return why
        if parser is not None and not parser.can_fetch(url, self.settings.crawl_user_agent):
            return "disallowed by robots.txt"
        return None

    def _read_robots(self, url: str) -> tuple[object | None, str | None]:
        from protego import Protego

        self.seen.add(url)
        try:
            with self._request(url, {}) as response:
                if response.status_code >= 500:
                    return None, f"robots.txt answered HTTP {response.status_code}: the site is not crawled this run"
                if response.status_code != 200:  # none (404), or not ours to read: everything allowed
                    return None, None
                body = b"".join(_bounded(response.iter_bytes(), MAX_ROBOTS_BYTES))
        except httpx.HTTPError as exc:
            return None, f"robots.txt could not be fetched ({type(exc).__name__}): the site is not crawled this run"
        return Protego.parse(body.decode("utf-8", "replace")), None

    # -- saving -------------------------------------------------------------------------------------

    def _save_article(self, url: str, fetched: _Fetched, entry: UrlState) -> None:
        from reportqa.ingest.web_page import WebPageRefused, read_web_page

        try:
            page = read_web_page(fetched.body, _charset(fetched.headers))
        except WebPageRefused as exc:
            self._skip(url, f"article page not saved: {exc}")
            return
        if sum(len(line.text) for line in page.lines) < MIN_ARTICLE_CHARS:
            self._skip(url, f"article page not saved: under {MIN_ARTICLE_CHARS} characters of text (its attachments "
                            "are fetched)")
            return
        self._save(url, fetched, entry, ".html")

    def _save(self, url: str, fetched: _Fetched, entry: UrlState, suffix: str) -> None:
        digest = hashlib.sha256(fetched.body).hexdigest()
        if entry.sha256 == digest and entry.file and (self.reports_dir / entry.file).is_file():
            return  # answered in full, but the same as last time
        same = self.state.file_with(digest, self.reports_dir)
        if same is not None and same[0] != url:
            entry.sha256, entry.file = digest, None
            self._skip(url, f"the same document as {same[0]} (saved once, as {same[1]})")
            return
        relative = self._write(fetched, suffix)
        replaced = entry.file is not None and (self.reports_dir / entry.file).is_file()
        if entry.file and entry.file != relative:
            (self.reports_dir / entry.file).unlink(missing_ok=True)
        entry.sha256, entry.file = digest, relative
        self.summary.saved.append({"url": url, "file": relative, "replaced": replaced})

    def _write(self, fetched: _Fetched, suffix: str) -> str:
        """Write the body under crawled/<host>/<its path>, atomically, never outside crawled/."""
        relative = target_path(fetched.url, suffix, _disposition_name(fetched.headers))
        path = self.reports_dir / relative
        root = os.path.realpath(self.crawled_dir)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):  # a file where a folder is needed: a flat name instead
            relative = _flat(relative)
            path = self.reports_dir / relative
            path.parent.mkdir(parents=True, exist_ok=True)
        if not is_inside(os.path.realpath(path.parent), root):
            raise OSError(f"refusing to write outside {self.crawled_dir}: {relative}")
        handle, temporary = tempfile.mkstemp(prefix=".crawl-", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(fetched.body)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return relative

    def _skip(self, url: str, reason: str) -> None:
        self.summary.skipped.append({"url": url, "reason": reason})


def _allowed(url: str, source: Source) -> bool:
    path = urlsplit(url).path
    return not source.allow or any(path.startswith(prefix) for prefix in source.allow)


def _bounded(chunks: Iterator[bytes], limit: int) -> Iterator[bytes]:
    """A byte iterator cut at ``limit`` bytes."""
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > limit:
            return
        yield chunk


def _document_suffix(fetched: _Fetched) -> str | None:
    """The report file kind a response is (by its Content-Type, else its name), or None for a page."""
    content_type = fetched.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in _DOCUMENT_TYPES:
        return _DOCUMENT_TYPES[content_type]
    if content_type in _HTML_TYPES:
        return None
    named = attachment_suffix(fetched.url, _disposition_name(fetched.headers) or "")
    if named:
        return named
    return None if fetched.body.lstrip()[:1] == b"<" else UNKNOWN


def _charset(headers: httpx.Headers) -> str | None:
    match = re.search(r"charset\s*=\s*\"?([\w.:-]+)", headers.get("content-type", ""), re.IGNORECASE)
    return match.group(1) if match else None


def _disposition_name(headers: httpx.Headers) -> str | None:
    """The file name a Content-Disposition gives (UTF-8 by RFC 5987, or raw UTF-8/GBK bytes)."""
    raw = headers.get("content-disposition")
    if not raw:
        return None
    match = _FILENAME.search(raw)
    if not match:
        return None
    if match.group(1):
        return unquote(match.group(1).strip())
    name = match.group(2).strip()
    try:  # httpx decodes header bytes as Latin-1: a GBK or UTF-8 name comes back as mojibake
        data = name.encode("latin-1")
        for encoding in ("utf-8", "gb18030"):
            try:
                return unquote(data.decode(encoding))
            except UnicodeDecodeError:
                continue
    except UnicodeEncodeError:
        pass
    return unquote(name)


def _safe(segment: str, limit: int = 100) -> str:
    segment = _UNSAFE.sub("_", segment).strip().lstrip(".~$") or "_"
    if len(segment) > limit:
        stem, ext = os.path.splitext(segment)
        segment = stem[: limit - len(ext)] + ext
    return segment


def target_path(url: str, suffix: str, disposition: str | None = None) -> str:
    """Where a URL's document is saved, relative to the reports folder: crawled/<host>/<path>, each
    part made a safe name (no '..', no hidden names), a query kept as a short hash, and the file's
    suffix its kind's (a .shtml page is saved as .html, a download.jsp?id=… as .pdf)."""
    parts = urlsplit(normal_url(url))
    host = _safe(parts.netloc.replace(":", "_"))
    segments = [_safe(unquote(s)) for s in parts.path.split("/") if s not in ("", ".", "..")]
    if not segments or parts.path.endswith("/"):
        segments.append("index")
    name = segments[-1]
    if disposition and suffix != ".html":
        name = _safe(os.path.basename(disposition.replace("\\", "/")))
    stem, ext = os.path.splitext(name)
    if ext.lower() in _WEB_SUFFIXES or ext.lower() == suffix:
        name = stem
    if parts.query:
        name += "-" + hashlib.sha1(parts.query.encode()).hexdigest()[:8]
    segments[-1] = _safe(name + suffix)
    return str(PurePosixPath(CRAWLED, host, *segments))


def _flat(relative: str) -> str:
    parts = PurePosixPath(relative).parts
    digest = hashlib.sha1(relative.encode()).hexdigest()[:8]
    return str(PurePosixPath(parts[0], parts[1], "_", f"{digest}-{parts[-1]}"))
