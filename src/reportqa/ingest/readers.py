"""Readers: a report file → lines of text (with Word heading levels where the file has them).

Encodings are detected, not assumed; anything that cannot be read raises ``UnreadableFile`` with a
reason a person can act on.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

from reportqa.ingest.docx_text import MAX_TEXT_CHARS, DocxRefused, read_docx_lines
from reportqa.ingest.library_files import NotInLibrary, open_in_library

SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".docx", ".pdf"})


class UnreadableFile(Exception):
    """A file that cannot be turned into text; ``str(exc)`` is the reason."""


@dataclass(frozen=True)
class Line:
    text: str
    heading_level: int | None = None  # from a Word heading style; None for ordinary text


@dataclass(frozen=True)
class RawDocument:
    lines: list[Line]
    encoding: str | None = None  # for text files: the detected encoding
    notes: list[str] = field(default_factory=list)  # what the reading library remarked (pypdf's warnings)
    sha256: str | None = None  # of the bytes read (``read_document``)


MAX_NOTES = 5


class _Remarks(logging.Handler):
    """A library's log records while one file is read, kept as that file's notes instead of going raw to
    standard error (pypdf logs "EOF marker not found" and the like on damaged but readable files)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.notes: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        note = " ".join(record.getMessage().split())[:200]
        if note and note not in self.notes and len(self.notes) < MAX_NOTES:
            self.notes.append(note)


@contextlib.contextmanager
def remarks_of(logger_name: str) -> Iterator[list[str]]:
    """Collect a library logger's warnings for the duration (and keep them off standard error)."""
    logger = logging.getLogger(logger_name)
    handler = _Remarks()
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield handler.notes
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def read_document(path: Path, max_bytes: int | None = None, root: Path | None = None) -> RawDocument:
    """Read one report file of any supported kind, only when it is a regular file inside ``root`` (the
    reports folder; by default the file's own folder), through the one descriptor that was checked
    (``library_files.open_in_library``); the document carries the SHA-256 of exactly the bytes read."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableFile(f"unsupported file type {suffix or '(none)'}")
    try:
        handle = open_in_library(path, path.parent if root is None else root)
    except NotInLibrary as exc:
        raise UnreadableFile(str(exc)) from exc
    except PermissionError as exc:
        raise UnreadableFile("permission denied") from exc
    except OSError as exc:
        raise UnreadableFile(f"cannot read: {exc.strerror or exc}") from exc
    with handle:
        try:
            return _read_checked(handle, suffix, max_bytes)
        except PermissionError as exc:
            raise UnreadableFile("permission denied") from exc
        except OSError as exc:
            raise UnreadableFile(f"cannot read: {exc.strerror or exc}") from exc


def _read_checked(handle: BinaryIO, suffix: str, max_bytes: int | None) -> RawDocument:
    """A checked, open file → its document and the SHA-256 of its bytes. A reader of a new kind of
    file takes the open file (``_READERS``), never its path."""
    size = os.fstat(handle.fileno()).st_size
    if size == 0:
        raise UnreadableFile("empty file")
    if max_bytes is not None and size > max_bytes:
        raise UnreadableFile(f"too large ({size // (1024 * 1024)} MB > {max_bytes // (1024 * 1024)} MB)")
    reader = _READERS.get(suffix)
    if reader is None:  # text: read once, hashed from the same bytes
        data = handle.read() if max_bytes is None else handle.read(max_bytes + 1)
        if max_bytes is not None and len(data) > max_bytes:  # it grew since fstat
            raise UnreadableFile(f"too large (over {max_bytes // (1024 * 1024)} MB)")
        text, encoding = decode_text(data)
        return RawDocument([Line(t) for t in text.splitlines()], encoding, sha256=hashlib.sha256(data).hexdigest())
    document = reader(handle)
    handle.seek(0)
    return replace(document, sha256=hashlib.file_digest(handle, "sha256").hexdigest())


_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _plausible_text(text: str) -> bool:
    """True when decoded text looks like writing rather than decoded noise or binary."""
    sample = text[:20000]
    if not sample.strip():
        return False
    control = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\r\t\f\v")
    if control > len(sample) * 0.01:
        return False
    meaningful = sum(
        1
        for ch in sample
        if ch.isspace()
        or 0x20 <= ord(ch) < 0x7F
        or 0x4E00 <= ord(ch) <= 0x9FFF
        or 0x3000 <= ord(ch) <= 0x303F
        or 0xFF00 <= ord(ch) <= 0xFFEF
        or ch in "“”‘’…—·《》、"
    )
    return meaningful >= len(sample) * 0.9


def _utf16_without_bom(data: bytes) -> str | None:
    sample = data[:4000]
    if len(sample) < 4:
        return None
    even_zero = sample[0::2].count(0) / max(1, len(sample[0::2]))
    odd_zero = sample[1::2].count(0) / max(1, len(sample[1::2]))
    # ASCII in UTF-16 has a zero byte in every other position; Chinese text has few zeros but
    # decodes to CJK only in the right byte order, which _plausible_text checks.
    candidates = ["utf-16-le", "utf-16-be"] if odd_zero >= even_zero else ["utf-16-be", "utf-16-le"]
    if len(data) % 2:
        return None
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _plausible_text(text):
            return encoding
    return None


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode a text file: BOM, then UTF-8, UTF-16 without BOM, GB18030, then charset detection."""
    if not data:
        raise UnreadableFile("empty file")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise UnreadableFile(f"broken {encoding} text: {exc.reason}") from exc
    if b"\x00" in data[:4000]:
        utf16 = _utf16_without_bom(data)
        if utf16:
            return data.decode(utf16), utf16
        raise UnreadableFile("binary file, not text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    utf16 = _utf16_without_bom(data)
    if utf16:
        return data.decode(utf16), utf16
    try:
        text = data.decode("gb18030")
        if _plausible_text(text):
            return text, "gb18030"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None:
        text = str(best)
        if _plausible_text(text):
            return text, best.encoding
    raise UnreadableFile("binary file or unknown encoding, not text")


def read_docx(handle: BinaryIO) -> RawDocument:
    """Paragraphs and table rows in document order, read as a bounded stream (see docx_text.py);
    Word heading styles become heading levels."""
    try:
        lines = [Line(line.text, line.heading_level) for line in read_docx_lines(handle)]
    except DocxRefused as exc:
        raise UnreadableFile(str(exc)) from exc
    if not any(line.text.strip() for line in lines):
        raise UnreadableFile("no text in .docx")
    return RawDocument(lines)


_SENTENCE_END = tuple("。：:；;！!？?”」）)")


def reflow_pdf_lines(lines: list[str]) -> list[str]:
    """Join lines that a PDF's layout wrapped in mid-paragraph.

    A line as long as the page's full lines that does not end a sentence continues on the next one;
    short lines (headings, a paragraph's last line) end where they are.
    """
    stripped = [line.strip() for line in lines]
    lengths = sorted(len(line) for line in stripped if line)
    if not lengths:
        return []
    full = lengths[int(len(lengths) * 0.9)] if len(lengths) > 1 else lengths[0]
    out: list[str] = []
    carry = ""
    for line in stripped:
        if not line:
            if carry:
                out.append(carry)
                carry = ""
            continue
        carry += line
        if len(line) >= full * 0.85 and not line.endswith(_SENTENCE_END):
            continue
        out.append(carry)
        carry = ""
    if carry:
        out.append(carry)
    return out


MAX_PDF_PAGES = 3000  # distinct pages read from one PDF; a work report has tens


def _pdf_page_lines(reader: object) -> list[str]:
    """Each distinct page's text lines, a blank line after each. A page tree that lists one page (or
    one content stream) many times — 100,000 references in a 600 KB file — is read once per page."""
    raw_lines: list[str] = []
    seen: set[object] = set()
    chars = pages = 0
    for page in reader.pages:  # type: ignore[attr-defined]
        ref = page.indirect_reference
        contents = page.get("/Contents")
        content_ref = getattr(contents, "indirect_reference", None) or getattr(contents, "idnum", None)
        keys = {("page", ref.idnum, ref.generation) if ref is not None else None,
                ("contents", repr(content_ref)) if content_ref is not None else None} - {None}
        if keys & seen:
            continue
        seen |= keys
        pages += 1
        if pages > MAX_PDF_PAGES:
            raise UnreadableFile(f"refused: more than {MAX_PDF_PAGES:,} distinct pages")
        text = page.extract_text() or ""
        chars += len(text)
        if chars > MAX_TEXT_CHARS:
            raise UnreadableFile(f"refused: more than {MAX_TEXT_CHARS:,} characters of text")
        raw_lines.extend(text.splitlines())
        raw_lines.append("")
    return raw_lines


def read_pdf(handle: BinaryIO) -> RawDocument:
    """The text layer of a PDF, page by page, with layout line breaks undone."""
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError

        with remarks_of("pypdf") as notes:
            reader = PdfReader(handle)
            if reader.is_encrypted:
                try:
                    if not reader.decrypt(""):
                        raise UnreadableFile("encrypted PDF (password needed)")
                except UnreadableFile:
                    raise
                except Exception as exc:
                    raise UnreadableFile("encrypted PDF (cannot decrypt)") from exc
            raw_lines = _pdf_page_lines(reader)
    except UnreadableFile:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise UnreadableFile(f"corrupt PDF: {type(exc).__name__}: {exc}"[:200]) from exc
    except MemoryError:
        raise  # over the parse's memory budget: the sandbox names it, not "corrupt"
    except Exception as exc:  # pypdf raises assorted errors on damaged files
        raise UnreadableFile(f"corrupt PDF: {type(exc).__name__}"[:200]) from exc
    if sum(len(line.strip()) for line in raw_lines) < 10:
        raise UnreadableFile("no text layer — scanned?")
    return RawDocument([Line(t) for t in reflow_pdf_lines(raw_lines)], notes=notes)


# what reads each kind of file, from the checked open file (.txt and .md: ``decode_text``)
_READERS: dict[str, Callable[[BinaryIO], RawDocument]] = {".docx": read_docx, ".pdf": read_pdf}
