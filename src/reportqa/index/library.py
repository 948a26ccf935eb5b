"""The reports folder as a library: add a file (an upload), take one out, rescan.

Every change ends in an incremental build, so the served index always matches the folder, and a
change that cannot be made leaves both as they were:

- nothing from an uploaded file's name is trusted as a path: ``safe_report_name`` keeps one
  harmless file name, and the file goes into ``uploads/`` below the reports folder;
- a file whose content is already in the folder (under any name) is not stored again;
- a file the parser cannot read is refused with the reason before it reaches the folder;
- a removed report is moved to the hidden ``.removed/`` folder, not deleted: nothing is lost.

The library's own state never shows as a report: the lock is a lock on the folder itself (no file),
``.removed/`` and the files being copied in are passed over by discovery (``ingest/pipeline.py``), and
an ``uploads/`` emptied by a removal goes too.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import time
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from reportqa.errors import UnreadableFile
from reportqa.index import database as store
from reportqa.index.builder import BuildSummary, build_index, parse_options, summary_dict
from reportqa.ingest.library_files import NotInLibrary
from reportqa.ingest.pipeline import (
    REMOVED_FOLDER,
    STAGING_SUFFIX,
    UPLOADS_FOLDER,
    discover_sources,
    file_sha256,
    parse_report,
    source_name,
)
from reportqa.ingest.readers import SUPPORTED_SUFFIXES
from reportqa.settings import Settings

TELEGRAM_DOWNLOAD_LIMIT_MB = 20  # getFile serves files up to 20 MB
MAX_NAME_CHARS = 80

Status = Literal["added", "duplicate", "unreadable", "refused", "removed", "not_found", "ambiguous"]


@dataclass
class LibraryOutcome:
    """What happened to one add or remove, for the command line (JSON) and the bot's reply."""

    status: Status
    source: str | None = None  # where the report is (or was) in the reports folder
    reason: str | None = None  # why it was refused, or could not be read
    title: str | None = None
    unit: str | None = None
    region: str | None = None
    year: int | None = None
    date: str | None = None
    passages: int = 0
    warnings: list[str] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)  # for an ambiguous or unknown name
    index: dict | None = None  # the build summary after the change

    @property
    def changed(self) -> bool:
        """The library changed (exit 0); a duplicate, like a refusal, changed nothing (exit 1)."""
        return self.status in {"added", "removed"}

    def to_json(self) -> dict:
        return asdict(self)


def upload_limit_bytes(settings: Settings) -> int:
    """The largest file the bot takes: Telegram's download limit or the configured one, if lower."""
    return min(TELEGRAM_DOWNLOAD_LIMIT_MB, settings.max_file_mb) * 1024 * 1024


def safe_report_name(original: str) -> str:
    """A plain file name from an untrusted one: no folders (``../``, ``\\``), no control or
    direction characters, no markup characters, not hidden, at most 80 characters before the
    suffix; the suffix lower-cased."""
    name = unicodedata.normalize("NFKC", original or "")
    name = name.replace("\\", "_").replace("/", "_")  # a name, never a path
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] not in {"C", "Z"} or ch == " ")
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = re.sub(r"[^\w（）()\-—]+", "_", stem)  # \w is Unicode-aware: 汉字 stay
    stem = re.sub(r"_+", "_", stem).strip("._-")[:MAX_NAME_CHARS].strip("._-") or "report"
    suffix = re.sub(r"[^a-z0-9]", "", suffix.lower())
    return f"{stem}.{suffix}" if suffix else stem


def find_same_content(reports_dir: Path, path: Path) -> str | None:
    """The report in the folder with exactly this file's content, if any (only files of the same
    size are hashed)."""
    size = path.stat().st_size
    digest: str | None = None
    files, _ = discover_sources(reports_dir)
    for other, source in files:
        try:
            if os.stat(other).st_size != size:
                continue
            digest = digest or file_sha256(path)
            if file_sha256(other, reports_dir) == digest:
                return source
        except (OSError, NotInLibrary):
            continue
    return None


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    stem, suffix = os.path.splitext(name)
    n = 2
    while target.exists():
        target = folder / f"{stem}-{n}{suffix}"
        n += 1
    return target


def _place(source_file: Path, folder: Path, name: str) -> Path:
    """Copy into the folder under a hidden temporary name, then link it to the first free name
    (linking never replaces a file, so two adds of one name keep both); a build never sees half a
    file."""
    tmp = folder / f".{uuid.uuid4().hex[:8]}{STAGING_SUFFIX}"
    try:
        shutil.copyfile(source_file, tmp)
        while True:
            target = _free_name(folder, name)
            try:
                os.link(tmp, target)
                return target
            except FileExistsError:
                continue  # taken since we looked: the next free one
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def library_lock(reports_dir: Path) -> Iterator[None]:
    """One change to the library at a time (``add``, ``remove``): concurrent adds never see the
    same free name or miss each other's duplicate. The lock is taken on the folder itself (flock on
    its descriptor, released when the process dies), so no lock file is left among the reports."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(reports_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing the last descriptor releases the lock


def _drop_empty_uploads(reports_dir: Path) -> None:
    """``uploads/`` once nothing is left in it (the bot and ``add`` make it again when needed)."""
    with contextlib.suppress(OSError):  # not empty, or not there: nothing to do
        (reports_dir / UPLOADS_FOLDER).rmdir()


async def add_report(settings: Settings, file: Path, original_name: str | None = None) -> LibraryOutcome:
    """Add one report file to the reports folder and index it (``original_name``: the name the
    sender gave it, used only to choose a safe name)."""
    name = safe_report_name(original_name or file.name)
    suffix = os.path.splitext(name)[1]
    if suffix not in SUPPORTED_SUFFIXES:
        kinds = " ".join(sorted(SUPPORTED_SUFFIXES))
        return LibraryOutcome("refused", reason=f"unsupported file type {suffix or '(none)'}; send {kinds}")
    size = file.stat().st_size
    limit = settings.max_file_mb * 1024 * 1024
    if size > limit:
        return LibraryOutcome("refused", reason=f"too large: {size / 1048576:.1f} MB (limit {settings.max_file_mb} MB)")
    reports_dir = settings.reports_dir.resolve()
    try:  # read it where it is: a file that cannot be read never reaches the folder
        parse_report(file, file.parent, parse_options(settings))
    except UnreadableFile as exc:
        unreadable = LibraryOutcome("unreadable", reason=str(exc))
    except Exception as exc:  # a file no reader expected
        unreadable = LibraryOutcome("unreadable", reason=f"could not parse: {type(exc).__name__}"[:200])
    else:
        unreadable = None
    try:
        with library_lock(reports_dir):
            same = find_same_content(reports_dir, file)
            if same is not None and unreadable is None:
                outcome = await _describe(settings, "duplicate", same)
                outcome.reason = f"the same file is already in the library as {same}"
                return outcome
            if unreadable is not None:  # corrupt, even if a copy of it already sits in the folder
                return unreadable
            folder = reports_dir / UPLOADS_FOLDER
            folder.mkdir(parents=True, exist_ok=True)
            target = _place(file, folder, name)
    except OSError as exc:
        return LibraryOutcome("refused", reason=f"cannot write to the reports folder: {exc.strerror or exc}")
    source = source_name(target, reports_dir)
    summary = await build_index(reports_dir, settings.index_dir, settings)
    failure = next((s.reason for s in summary.skipped if s.source == source), None)
    if failure is not None:  # the indexer disagreed with the check above: take it out again
        target.unlink(missing_ok=True)
        _drop_empty_uploads(reports_dir)
        await build_index(reports_dir, settings.index_dir, settings)
        return LibraryOutcome("unreadable", reason=failure)
    return await _describe(settings, "added", source, summary)


def resolve_report(reports_dir: Path, name: str) -> tuple[str | None, list[str]]:
    """The one report a name means: its path in the folder, its file name, or a unique part of
    either. Returns (source, candidates) — candidates when the name matches several or none."""
    files, _ = discover_sources(reports_dir)
    sources = [source for _, source in files]
    wanted = name.strip().replace("\\", "/").strip("/")
    if wanted in sources:
        return wanted, []
    by_file_name = [s for s in sources if s.rsplit("/", 1)[-1] == wanted]
    if len(by_file_name) == 1:
        return by_file_name[0], []
    lowered = wanted.lower()
    partial = [s for s in sources if lowered and lowered in s.lower()]
    if len(partial) == 1:
        return partial[0], []
    return None, (by_file_name or partial)[:10]


async def remove_report(settings: Settings, name: str) -> LibraryOutcome:
    """Take a report out of the library: moved to ``.removed/`` (recoverable), then re-indexed."""
    reports_dir = settings.reports_dir.resolve()
    source, candidates = resolve_report(reports_dir, name)
    if source is None:
        status: Status = "ambiguous" if candidates else "not_found"
        return LibraryOutcome(status, reason=f"no single report matches {name!r}", candidates=candidates)
    before = await _describe(settings, "removed", source)
    path = reports_dir / source
    parked = reports_dir / REMOVED_FOLDER / time.strftime("%Y%m%dT%H%M%S")
    with library_lock(reports_dir):
        parked.mkdir(parents=True, exist_ok=True)
        os.replace(path, _free_name(parked, path.name))
        _drop_empty_uploads(reports_dir)
    summary = await build_index(reports_dir, settings.index_dir, settings)
    before.index = summary_dict(summary)
    return before


async def _describe(
    settings: Settings, status: Status, source: str, summary: BuildSummary | None = None
) -> LibraryOutcome:
    """An outcome naming what the served index knows of ``source``."""
    outcome = LibraryOutcome(status, source=source, index=summary_dict(summary) if summary else None)
    generation = store.current_generation(settings.index_dir)
    if generation is None:
        return outcome
    db = await store.connect(generation / store.DB_NAME, readonly=True)
    try:
        row = await store.read_report(db, source)
    finally:
        await db.close()
    if row is not None:
        outcome.title, outcome.unit, outcome.year, outcome.date = row.title, row.unit, row.year, row.date
        outcome.region = row.region
        outcome.passages, outcome.warnings = row.passage_count, row.warnings
    return outcome
