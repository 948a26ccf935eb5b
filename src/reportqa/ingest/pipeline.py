"""One report file → a ``ParsedReport``; a folder → the files to parse and the ones skipped."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from reportqa.domain.model import SECTION_SEPARATOR, ParsedReport, Passage, ReportMeta
from reportqa.domain.rules import load_cleaning_rules
from reportqa.domain.text import normalise
from reportqa.errors import UnreadableFile
from reportqa.ingest.cleaning import Cleaned, clean_lines, drop_preamble, is_preamble_line, page_metadata
from reportqa.ingest.dates import parse_date
from reportqa.ingest.library_files import NotInLibrary, kind_of, library_problem, open_in_library, real_root
from reportqa.ingest.metadata import extract_metadata, find_title, read_report
from reportqa.ingest.readers import SUPPORTED_SUFFIXES, RawDocument, decode_text, read_document
from reportqa.ingest.sections import sections_of
from reportqa.ingest.unit_sightings import ReportEvidence

METADATA_FILE = "metadata.csv"
# The library's own state at the top of a reports folder (library.py): reports taken out, kept for
# recovery, and the lock file earlier versions left there. Never reports, never listed as skipped:
# an ``index`` after ``remove`` names only what is really wrong with the folder.
REMOVED_FOLDER = ".removed"
LIBRARY_STATE = frozenset({REMOVED_FOLDER, ".library.lock"})
UPLOADS_FOLDER = "uploads"
STAGING_SUFFIX = ".part"  # a file being copied into uploads/ under a hidden name (never half-read)
PDF_NOTE = "pdf reader: "  # a warning that is the PDF library's own remark on a damaged but readable file
OCR_SECTION = "OCR识别"  # the first step of the section path of a passage read from a page image by OCR
PAGE_CHROME = "page chrome"  # what ``removed`` calls a web page's lines that are neither its text nor metadata


@dataclass(frozen=True)
class ParseOptions:
    config_dir: Path
    max_chars: int = 1200
    min_chars: int = 80
    max_file_bytes: int | None = 100 * 1024 * 1024
    read_seconds: float | None = None  # what slow readers (OCR, converters) may spend on one file


@dataclass(frozen=True)
class Skipped:
    source: str
    reason: str


MAX_METADATA_BYTES = 16 * 1024 * 1024  # metadata.csv: a row a report, a few hundred bytes each
MAX_FOLDER_DEPTH = 32  # folders nested deeper than this are listed as skipped, not walked
_PAGE_SUFFIXES = frozenset({".html", ".htm"})
_ASSETS = "_files"  # a browser's "save page, complete" puts the page's frames, scripts and images in NAME_files/


_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")  # how os.fsdecode keeps a byte that is not UTF-8


def readable_name(name: str) -> str:
    """A file name as text: a name whose bytes are not UTF-8 (GBK from a Windows zip) read as
    GB18030, else with the undecodable bytes shown as \\xNN — never a string SQLite cannot store."""
    if name.isascii() or not _ESCAPED_BYTE.search(name):
        return name
    raw = os.fsencode(name)
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "backslashreplace")


def source_name(path: Path, reports_dir: Path) -> str:
    """The path of a report relative to the reports folder, with '/' separators (as readable text)."""
    text, folder = str(path), str(reports_dir)
    if text.startswith(folder) and text[len(folder):len(folder) + 1] == os.sep:  # the common case, fast
        return readable_name(text[len(folder) + 1:].replace(os.sep, "/"))
    try:
        return readable_name(path.relative_to(reports_dir).as_posix())
    except ValueError:
        return readable_name(path.name)


def discover(reports_dir: Path) -> tuple[list[Path], list[Skipped]]:
    """Report files below a folder, recursively, in a stable order; hidden files, unknown types,
    linked folders (which could loop) and anything that is not a regular file (a pipe would block
    the reader for ever) are listed as skipped."""
    found, skipped = discover_sources(reports_dir)
    return [Path(path) for path, _ in found], skipped


def discover_sources(reports_dir: Path) -> tuple[list[tuple[str, str]], list[Skipped]]:
    """``discover``'s files as (path, source name) strings: a scan of 83,000 reports made as many
    ``Path`` objects and names again, a second of a one-report update at 1M passages."""
    found: list[tuple[str, str]] = []
    skipped: list[Skipped] = []
    for item in walk_reports(reports_dir):
        if isinstance(item, Skipped):
            skipped.append(item)
        else:
            found.append(item)
    return found, skipped


def has_report_files(reports_dir: Path) -> bool:
    """Whether the folder holds a report file (stops at the first)."""
    return any(not isinstance(item, Skipped) for item in walk_reports(reports_dir))


def walk_reports(reports_dir: Path) -> Iterator[tuple[str, str] | Skipped]:
    """``discover``'s walk, lazily: each report file's (path, source name), or what is skipped. A link
    is a report file only when it leads to a regular file inside the folder (``library_files``)."""
    root = real_root(reports_dir)
    # folders to walk, depth first and in name order, without recursion (a tree 1,000 deep is data)
    stack: list[tuple[str, str, int]] = [(str(reports_dir), "", 0)]
    while stack:
        folder, prefix, depth = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            yield Skipped(readable_name(prefix) or ".", f"cannot list folder: {exc.strerror or exc}")
            continue
        subfolders = []
        pages = {os.path.splitext(e.name)[0] for e in entries if os.path.splitext(e.name)[1].lower() in _PAGE_SUFFIXES}
        for entry in entries:
            name, source = entry.name, readable_name(prefix + entry.name)
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_link = entry.is_symlink()
            except OSError:
                is_dir = is_link = False
            if (not prefix and name in LIBRARY_STATE) or _staging(prefix, name):
                continue
            if is_dir:
                if name.startswith("."):
                    yield Skipped(source + "/", "hidden folder")
                elif name.endswith(_ASSETS) and name[: -len(_ASSETS)] in pages:
                    yield Skipped(source + "/", "a saved web page's images and scripts")
                elif depth >= MAX_FOLDER_DEPTH:
                    yield Skipped(source + "/", f"folder nested deeper than {MAX_FOLDER_DEPTH}")
                else:
                    subfolders.append(entry)
                continue
            if name.startswith((".", "~$")):
                yield Skipped(source, "hidden or temporary file")
            elif not prefix and name == METADATA_FILE:
                continue
            elif os.path.splitext(name)[1].lower() not in SUPPORTED_SUFFIXES:
                if is_link and os.path.isdir(entry.path):
                    yield Skipped(source + "/", "linked folder not followed")
                else:
                    suffix = os.path.splitext(source)[1] or "(none)"
                    yield Skipped(source, f"unsupported file type {suffix}")
            elif problem := _entry_problem(entry, is_link, root):
                yield Skipped(source, problem)
            else:
                yield entry.path, source
        for entry in reversed(subfolders):  # popped in name order
            stack.append((entry.path, prefix + entry.name + "/", depth + 1))


def _staging(prefix: str, name: str) -> bool:
    """A report being copied into ``uploads/`` (library.py names it ``.<hex>.part``)."""
    return prefix == UPLOADS_FOLDER + "/" and name.startswith(".") and name.endswith(STAGING_SUFFIX)


def _entry_problem(entry: os.DirEntry[str], is_link: bool, root: str) -> str | None:
    """Why a folder entry is not a report file of the library (``library_files.library_problem``); a
    plain regular file, nearly every entry, costs no system call (the folder listing said so)."""
    if is_link:
        return library_problem(entry.path, root)
    try:
        if entry.is_file(follow_symlinks=False):
            return None
        return f"not a regular file ({kind_of(entry.stat(follow_symlinks=False).st_mode)})"
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"


def read_overrides(reports_dir: Path) -> dict[str, dict[str, str]]:
    """``metadata.csv`` beside the reports: file, unit, year, date, region; blank cells keep what
    was extracted (an unreadable file names nothing: see ``load_overrides``)."""
    return load_overrides(reports_dir)[0]


def load_overrides(reports_dir: Path) -> tuple[dict[str, dict[str, str]], str | None]:
    """``metadata.csv``'s rows, and why it could not be read when it could not (the reports still
    index, the file is listed as skipped with that reason)."""
    path = reports_dir / METADATA_FILE
    if not os.path.lexists(path):
        return {}, None
    overrides: dict[str, dict[str, str]] = {}
    try:  # read as the reports are read: Excel on Chinese Windows saves GBK, others UTF-16 or UTF-8-BOM
        with open_in_library(path, reports_dir) as handle:
            data = handle.read(MAX_METADATA_BYTES + 1)
        if len(data) > MAX_METADATA_BYTES:
            return {}, f"too large (over {MAX_METADATA_BYTES // (1024 * 1024)} MB)"
        text, _ = decode_text(data)
        with io.StringIO(text, newline="") as handle:
            for row in csv.DictReader(handle):
                source = (row.get("file") or "").strip() if isinstance(row.get("file"), str) else ""
                if source:
                    overrides[Path(source).as_posix()] = {
                        k: v.strip() for k, v in row.items()
                        if isinstance(k, str) and k != "file" and isinstance(v, str) and v.strip()
                    }
    except NotInLibrary as exc:
        return {}, str(exc)
    except OSError as exc:
        return {}, f"cannot read: {exc.strerror or exc}"
    except UnreadableFile as exc:
        return {}, str(exc)
    except csv.Error as exc:
        return {}, f"not a CSV table: {exc}"
    return overrides, None


def region_code(region: str, config_dir: Path) -> str | None:
    """The division a region written out names (重庆市大足区 → 大足区's code), if it is unambiguous."""
    from reportqa.domain.places import load_gazetteer  # the gazetteer is only needed when a region is given

    return load_gazetteer(config_dir).code_of(normalise(region))


def apply_override(meta: ReportMeta, override: dict[str, str] | None, config_dir: Path) -> ReportMeta:
    """``metadata.csv``'s year, date, region and title over what was read (its unit is the first
    evidence ``extract_metadata`` weighs, so that its place and kind are read too)."""
    if not override:
        return meta
    changes: dict[str, object] = {}
    evidence = dict(meta.evidence)
    if override.get("year", "").isdigit():
        changes["year"] = int(override["year"])
        evidence["year"] = [f"metadata.csv 「{override['year']}」"]
    if "date" in override and (date := parse_date(override["date"])):
        changes["date"], changes["date_kind"] = date, "signed"
        evidence["date"] = [f"metadata.csv 「{override['date']}」"]
    if "region" in override:
        changes["region"] = override["region"]
        changes["place_code"] = region_code(override["region"], config_dir)
        evidence["place"] = [f"metadata.csv 「{override['region']}」"]
    if "title" in override:
        changes["title"] = override["title"]
    return replace(meta, **changes, evidence=evidence)


def file_sha256(path: Path | str, root: Path | str | None = None) -> str:
    """The content hash of a file inside ``root`` (by default its own folder), read in chunks (a huge
    file is hashed, not held in memory) through the checked descriptor (``library_files``). Raises
    ``OSError``, or ``NotInLibrary`` for a file that is not a regular file inside ``root``."""
    with open_in_library(path, os.path.dirname(path) if root is None else root) as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def read_cleaned(path: Path, reports_dir: Path, options: ParseOptions) -> tuple[RawDocument, Cleaned]:
    """A report file read (through the descriptor checked to be inside ``reports_dir``) and cleaned:
    its text lines, the web page's lines taken out apart."""
    document = read_document(path, options.max_file_bytes, reports_dir, options.read_seconds)
    rules = load_cleaning_rules(options.config_dir)
    cleaned = clean_lines(document.lines, rules)
    if document.page_lines or document.chrome_lines:  # a web page: its metadata kept, its furniture counted
        cleaned.page_lines, dropped = page_metadata(document.page_lines, rules)
        if dropped + document.chrome_lines:
            cleaned.removed[PAGE_CHROME] += dropped + document.chrome_lines
    title_index = find_title([line.text for line in cleaned.lines], skip=lambda t: is_preamble_line(t, rules))
    return document, drop_preamble(cleaned, title_index, rules)


def issuer_evidence(path: Path, reports_dir: Path, options: ParseOptions,
                    override: dict[str, str] | None = None) -> ReportEvidence:
    """What a report's issuer is decided from, as ``parse_report`` reads it (for fitting the scorer)."""
    _, cleaned = read_cleaned(path, reports_dir, options)
    rules = load_cleaning_rules(options.config_dir)
    return read_report(cleaned.lines, options.config_dir, cleaned.page_lines, rules.dates,
                       source_name(path, reports_dir), (override or {}).get("unit"))[2]


def parse_report(
    path: Path,
    reports_dir: Path,
    options: ParseOptions,
    override: dict[str, str] | None = None,
) -> ParsedReport:
    """Read, clean and split one report. Raises ``UnreadableFile`` with the reason."""
    source = source_name(path, reports_dir)
    document, cleaned = read_cleaned(path, reports_dir, options)
    digest = document.sha256 or ""
    rules = load_cleaning_rules(options.config_dir)
    extracted = extract_metadata(cleaned.lines, options.config_dir, cleaned.page_lines, rules.dates, source,
                                 (override or {}).get("unit"))
    meta = apply_override(extracted.meta, override, options.config_dir)
    warnings = [w for w in extracted.warnings if not (override and _overridden(w, override))]
    sections = sections_of(extracted.body, options.max_chars, options.min_chars)
    ocr_lines = [line.text.strip() for line in document.lines if line.ocr and len(line.text.strip()) >= 4]
    passages = [
        Passage(ordinal=i, section=_ocr_marked(s.name, s.text, ocr_lines), text=s.text, norm_text=normalise(s.text))
        for i, s in enumerate(sections)
    ]
    if not passages:
        raise UnreadableFile("no report text after cleaning")
    if not any(s.path for s in sections):
        warnings.append("no headings found: the whole text is one section")
    warnings += [f"{PDF_NOTE}{note}" for note in document.notes]
    warnings += ocr_warnings(document.ocr)
    return ParsedReport(source, digest, meta, passages, warnings, dict(cleaned.removed), document.encoding,
                        ocr=document.ocr, page_lines=list(cleaned.page_lines))


def _ocr_marked(section: str, text: str, ocr_lines: list[str]) -> str:
    """A passage's section path, headed by ``OCR识别`` when its text was read by OCR: every citation
    of it says so."""
    if ocr_lines and any(line in text for line in ocr_lines):
        return OCR_SECTION + SECTION_SEPARATOR + section
    return section


def ocr_warnings(ocr: dict | None) -> list[str]:
    """What OCR did, or could not do, for a file, as warnings (``inspect`` and upload replies show them)."""
    if not ocr:
        return []
    out = []
    if ocr.get("pages"):
        out.append(f"OCR: {len(ocr['pages'])} page(s) without a text layer read by OCR (pages "
                   f"{_pages(ocr['pages'])}), confidence mean {ocr['mean_confidence']}, lowest line "
                   f"{ocr['lowest_confidence']}")
    if ocr.get("not_read"):
        why = ocr.get("reason") or "not within the file's time budget (REPORTQA_PARSE_SECONDS_PER_FILE)"
        out.append(f"OCR: page(s) {_pages(ocr['not_read'])} have no text layer and were not read: {why}")
    return out


def _pages(pages: list[int]) -> str:
    return ", ".join(map(str, pages[:20])) + (" …" if len(pages) > 20 else "")


def _overridden(warning: str, override: dict[str, str]) -> bool:
    return (warning.startswith("unit") and "unit" in override) or (warning.startswith("place of") and (
        "region" in override)) or (
        warning.startswith("no signing date") and "date" in override
    ) or (warning.startswith("year") and "year" in override)
