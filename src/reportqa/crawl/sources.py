"""SOURCES.toml: the sites to fetch reports from.

    [[source]]
    name = "大足区司法局 法治政府建设"
    start = "http://www.dazu.gov.cn/bm/sfj/zwgk_xxx/fdzdgknr/fzzfjs/"   # a column page
    allow = ["/bm/sfj/"]        # optional: path prefixes its articles and attachments may be under

Without ``allow`` every page of the start's own site may be followed (never another host).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit


class SourcesError(Exception):
    """A SOURCES.toml that cannot be used; ``str(exc)`` says what to fix."""


@dataclass(frozen=True)
class Source:
    name: str
    start: str
    allow: tuple[str, ...] = ()

    @property
    def host(self) -> str:
        return urlsplit(self.start).netloc.lower()


MAX_SOURCES = 1000


def load_sources(path: Path) -> list[Source]:
    """The ``[[source]]`` tables of a SOURCES.toml, checked."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError as exc:
        raise SourcesError(f"no sources file at {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise SourcesError(f"cannot read {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SourcesError(f"{path} is not valid TOML: {exc}") from exc
    tables = data.get("source")
    if not isinstance(tables, list) or not tables:
        raise SourcesError(f"{path} lists no [[source]] tables (each with a name and a start URL)")
    if len(tables) > MAX_SOURCES:
        raise SourcesError(f"{path} lists {len(tables)} sources; at most {MAX_SOURCES}")
    sources = []
    for number, table in enumerate(tables, start=1):
        if not isinstance(table, dict):
            raise SourcesError(f"source {number} is not a table")
        name, start, allow = table.get("name"), table.get("start"), table.get("allow", [])
        if not isinstance(start, str) or urlsplit(start).scheme not in ("http", "https") or not urlsplit(start).netloc:
            raise SourcesError(f"source {number}: start must be an http(s) URL, not {start!r}")
        if isinstance(allow, str):
            allow = [allow]
        if not isinstance(allow, list) or not all(isinstance(a, str) and a.startswith("/") for a in allow):
            raise SourcesError(f"source {number}: allow must be a list of path prefixes starting with /")
        sources.append(Source(str(name or urlsplit(start).netloc), start, tuple(allow)))
    return sources
