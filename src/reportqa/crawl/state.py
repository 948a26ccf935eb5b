"""What each URL was the last time it was fetched: its ETag and Last-Modified (asked for again
conditionally, so an unchanged page costs a 304), the SHA-256 of its body (one copy per document),
where it was saved, and, for listing and article pages, the links it held (a 304 still leads on).

Kept as JSON in ``DIR/crawled/.crawl-state.json`` (a hidden file: the index never reads it), written
whole to a temporary file and renamed over the old one.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

STATE_FILE = ".crawl-state.json"
STATE_VERSION = 1


@dataclass
class UrlState:
    etag: str | None = None
    last_modified: str | None = None
    sha256: str | None = None
    file: str | None = None  # where it was saved, relative to the reports folder
    links: list[list[str]] = field(default_factory=list)  # [url, text] of a page's links


@dataclass
class CrawlState:
    path: Path
    urls: dict[str, UrlState] = field(default_factory=dict)

    @classmethod
    def load(cls, crawled_dir: Path) -> CrawlState:
        path = crawled_dir / STATE_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") != STATE_VERSION:
                return cls(path)
            return cls(path, {url: UrlState(**entry) for url, entry in data.get("urls", {}).items()})
        except (OSError, ValueError, TypeError, AttributeError):  # none yet, or damaged: every URL asked afresh
            return cls(path)

    def file_with(self, sha256: str, reports_dir: Path) -> tuple[str, str] | None:
        """The URL and file already holding a document with this content, if its file is still there."""
        for url, entry in self.urls.items():
            if entry.sha256 == sha256 and entry.file and (reports_dir / entry.file).is_file():
                return url, entry.file
        return None

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps({"version": STATE_VERSION, "urls": {u: asdict(s) for u, s in sorted(self.urls.items())}},
                             ensure_ascii=False, indent=1)
        handle, temporary = tempfile.mkstemp(prefix=".crawl-state.", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(payload)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
