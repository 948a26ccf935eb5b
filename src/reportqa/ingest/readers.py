"""Readers: a report file → lines of text (with Word heading levels where the file has them).

Encodings are detected, not assumed; anything that cannot be read raises ``UnreadableFile`` with a
reason a person can act on: what is wrong with the file, or what would read it (an extra, a tool).
The kinds: text (.txt .md), .docx, .pdf (text layer; pages without one by OCR with the ``ocr``
extra; encrypted ones that open without a password), Word binary .doc and WPS .wps
(``word_binary.py``), OFD (``ofdkit``), saved web pages .html .htm .mhtml (``web_page.py``).
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

from reportqa.errors import UnreadableFile
from reportqa.ingest import converters, ocr
from reportqa.ingest.docx_text import MAX_TEXT_CHARS, DocxRefused, read_docx_lines
from reportqa.ingest.library_files import NotInLibrary, open_in_library
from reportqa.ingest.web_page import WebPageRefused, html_of_mhtml, read_web_page
from reportqa.ingest.word_binary import WordBinaryRefused, read_word_binary

# what a build's parse of an unchanged file depends on besides its bytes and config/: raised when a reader
# reads more of a file than before (2: .docx text boxes and content controls, OCR, web pages' metadata)
READERS_VERSION = "2"
SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".docx", ".pdf", ".doc", ".wps", ".ofd", ".html", ".htm", ".mhtml",
                                ".mht"})


@dataclass(frozen=True)
class Line:
    text: str
    heading_level: int | None = None  # from a Word heading style; None for ordinary text
    ocr: bool = False  # read by OCR from a page image


@dataclass(frozen=True)
class RawDocument:
    lines: list[Line]
    encoding: str | None = None  # for text files: the detected encoding
    notes: list[str] = field(default_factory=list)  # what the reading library remarked (pypdf's warnings)
    sha256: str | None = None  # of the bytes read (``read_document``)
    page_lines: list[str] = field(default_factory=list)  # a web page's own lines before its main text
    chrome_lines: int = 0  # a web page's lines after its main text (related links, footer), dropped
    ocr: dict | None = None  # what OCR read (``ocr.OcrSummary.as_dict``), when it read any page


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


def read_document(path: Path, max_bytes: int | None = None, root: Path | None = None,
                  seconds: float | None = None) -> RawDocument:
    """Read one report file of any supported kind, only when it is a regular file inside ``root`` (the
    reports folder; by default the file's own folder), through the one descriptor that was checked
    (``library_files.open_in_library``); the document carries the SHA-256 of exactly the bytes read.
    ``seconds`` is what slow readers (OCR, external converters) may spend before handing back what
    they have."""
    deadline = None if seconds is None else time.monotonic() + seconds
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
            return _read_checked(handle, suffix, max_bytes, deadline)
        except PermissionError as exc:
            raise UnreadableFile("permission denied") from exc
        except OSError as exc:
            raise UnreadableFile(f"cannot read: {exc.strerror or exc}") from exc


def _read_checked(handle: BinaryIO, suffix: str, max_bytes: int | None, deadline: float | None) -> RawDocument:
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
    document = reader(handle, deadline)
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


def read_docx(handle: BinaryIO, deadline: float | None = None) -> RawDocument:
    """Paragraphs, table rows, content controls and text boxes in document order, read as a bounded
    stream (see docx_text.py); Word heading styles become heading levels."""
    try:
        lines = [Line(line.text, line.heading_level) for line in read_docx_lines(handle)]
    except DocxRefused as exc:
        raise UnreadableFile(str(exc)) from exc
    if not any(line.text.strip() for line in lines):
        raise UnreadableFile("no text in .docx")
    return RawDocument(lines)


_SENTENCE_END = tuple("。：:；;！!？?”」）)")
_CHINESE_HEADING = re.compile(r"[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十]{1,3}[)）]")


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
        if carry and _CHINESE_HEADING.match(line):  # 一、 （二） start a heading, never continue a line
            out.append(carry)
            carry = ""
        carry += line
        if len(line) >= full * 0.85 and not line.endswith(_SENTENCE_END):
            continue
        out.append(carry)
        carry = ""
    if carry:
        out.append(carry)
    return out


MAX_PDF_PAGES = 3000  # distinct pages read from one PDF; a work report has tens
MIN_PAGE_TEXT = 10  # characters: a page with fewer has no text layer (a scan, or a blank page)


def _pdf_pages(reader: object) -> list[tuple[object, str]]:
    """Each distinct page and its text. A page tree that lists one page (or one content stream) many
    times — 100,000 references in a 600 KB file — is read once per page."""
    pages: list[tuple[object, str]] = []
    seen: set[object] = set()
    chars = 0
    for page in reader.pages:  # type: ignore[attr-defined]
        ref = page.indirect_reference
        contents = page.get("/Contents")
        content_ref = getattr(contents, "indirect_reference", None) or getattr(contents, "idnum", None)
        keys = {("page", ref.idnum, ref.generation) if ref is not None else None,
                ("contents", repr(content_ref)) if content_ref is not None else None} - {None}
        if keys & seen:
            continue
        seen |= keys
        if len(pages) >= MAX_PDF_PAGES:
            raise UnreadableFile(f"refused: more than {MAX_PDF_PAGES:,} distinct pages")
        text = page.extract_text() or ""
        chars += len(text)
        if chars > MAX_TEXT_CHARS:
            raise UnreadableFile(f"refused: more than {MAX_TEXT_CHARS:,} characters of text")
        pages.append((page, text))
    return pages


def _page_images(page: object) -> list[object]:
    """A page's images as Pillow images (a scan is one image a page, or a few strips)."""
    images = []
    try:
        for image in page.images:  # type: ignore[attr-defined]
            images.append(image.image)
    except MemoryError:
        raise
    except Exception:  # an image pypdf cannot decode is one OCR cannot read either
        return images
    return [image for image in images if image is not None]


def _ocr_pages(pages: list[tuple[object, str]], deadline: float | None) -> tuple[dict[int, list[Line]], dict | None]:
    """The pages without a text layer, read by OCR where the extra is installed: page index → lines,
    and what OCR did. Raises ``UnreadableFile`` for a scan when the extra is not installed."""
    blank = [i for i, (_, text) in enumerate(pages) if len(text.strip()) < MIN_PAGE_TEXT]
    if not blank:
        return {}, None
    images = {i + 1: found for i in blank if (found := _page_images(pages[i][0]))}
    if not images:
        return {}, None
    if (problem := ocr.ocr_problem()) is not None:
        if len(blank) == len(pages):
            raise UnreadableFile(f"no text layer (a scanned PDF): {problem}")
        return {}, {"engine": None, "not_read": sorted(images), "reason": problem}
    summary = ocr.OcrSummary()
    read = ocr.pages_by_ocr(images, deadline, summary)
    lines = {page - 1: [Line(text, ocr=True) for text in reflow_pdf_lines([line.text for line in found])]
             for page, found in read.items()}
    return lines, summary.as_dict()


def read_pdf(handle: BinaryIO, deadline: float | None = None) -> RawDocument:
    """The text layer of a PDF, page by page, with layout line breaks undone; pages without one read
    by OCR (the ``ocr`` extra), within the time the file has. An encrypted PDF that opens without a
    password (an owner password only, AES too: pypdf's crypto extra) is read like any other."""
    try:
        from pypdf import PdfReader
        from pypdf.errors import DependencyError, PdfReadError

        with remarks_of("pypdf") as notes:
            reader = PdfReader(handle)
            if reader.is_encrypted:
                try:
                    if not reader.decrypt(""):
                        raise UnreadableFile("encrypted PDF (password needed)")
                except UnreadableFile:
                    raise
                except DependencyError as exc:
                    raise UnreadableFile("encrypted PDF (AES): install cryptography to read it") from exc
                except Exception as exc:
                    raise UnreadableFile("encrypted PDF (cannot decrypt)") from exc
            pages = _pdf_pages(reader)
            scanned, ocr_done = _ocr_pages(pages, deadline)
    except UnreadableFile:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise UnreadableFile(f"corrupt PDF: {type(exc).__name__}: {exc}"[:200]) from exc
    except MemoryError:
        raise  # over the parse's memory budget: the sandbox names it, not "corrupt"
    except Exception as exc:  # pypdf raises assorted errors on damaged files
        raise UnreadableFile(f"corrupt PDF: {type(exc).__name__}"[:200]) from exc
    lines: list[Line] = []
    for index, (_, text) in enumerate(pages):
        if index in scanned:
            lines += scanned[index]
        elif len(text.strip()) >= MIN_PAGE_TEXT:
            lines += [Line(t) for t in reflow_pdf_lines(text.splitlines())]
    if sum(len(line.text.strip()) for line in lines) < MIN_PAGE_TEXT:
        if ocr_done and ocr_done.get("not_read"):
            raise UnreadableFile(f"no text layer, and OCR could not read a page within the time budget "
                                 f"({len(ocr_done['not_read'])} pages)")
        raise UnreadableFile("no text layer, and no page image to read")
    return RawDocument(lines, notes=notes, ocr=ocr_done)


def read_word(handle: BinaryIO, deadline: float | None = None) -> RawDocument:
    """A Word 97-2003 .doc or WPS .wps (the same OLE2 Word binary) by ``word_binary``; what it cannot
    read (Word 6/95, Microsoft Works .wps) by antiword, catdoc or LibreOffice when one is installed."""
    try:
        text = read_word_binary(handle)
    except WordBinaryRefused as exc:
        reason = str(exc)
        if reason.startswith(("password", "refused")):
            raise UnreadableFile(reason) from exc
        if not converters.installed():
            raise UnreadableFile(f"{reason}: {converters.CONVERTER_HINT}") from exc
        handle.seek(0)
        converted = converters.convert_word(handle.read(), deadline)
        if converted is None:
            raise UnreadableFile(f"{reason}, and the installed converters could not read it") from exc
        lines, tool = converted
        return RawDocument([Line(t) for t in lines], notes=[f"read by {tool}"])
    if not any(line.strip() for line in text.lines):
        raise UnreadableFile("no text in this Word file")
    return RawDocument([Line(t) for t in text.lines])


def read_ofd(handle: BinaryIO, deadline: float | None = None) -> RawDocument:
    """An OFD (GB/T 33190, China's fixed-layout format) by ``ofdkit``: each page's text in reading
    order (templates and composite objects too), with layout line breaks undone as for a PDF."""
    import ofdkit

    try:
        with ofdkit.open(handle) as document:
            if len(document.pages) > MAX_PDF_PAGES:
                raise UnreadableFile(f"refused: more than {MAX_PDF_PAGES:,} pages")
            lines: list[Line] = []
            chars = 0
            for page in document.pages:
                text = page.text()
                chars += len(text)
                if chars > MAX_TEXT_CHARS:
                    raise UnreadableFile(f"refused: more than {MAX_TEXT_CHARS:,} characters of text")
                lines += [Line(t) for t in reflow_pdf_lines(text.splitlines())]
            notes = document.warnings[:MAX_NOTES]
    except UnreadableFile:
        raise
    except ofdkit.OFDLimitError as exc:
        raise UnreadableFile(f"refused: {exc}"[:200]) from exc
    except ofdkit.OFDError as exc:
        raise UnreadableFile(f"corrupt OFD: {exc}"[:200]) from exc
    except MemoryError:
        raise
    except Exception as exc:  # a zip or XML the library did not expect
        raise UnreadableFile(f"corrupt OFD: {type(exc).__name__}: {exc}"[:200]) from exc
    if sum(len(line.text.strip()) for line in lines) < MIN_PAGE_TEXT:
        raise UnreadableFile("no text in this OFD (its pages are images?)")
    return RawDocument(lines, notes=[str(note)[:200] for note in notes])


def read_html(handle: BinaryIO, deadline: float | None = None, mhtml: bool = False) -> RawDocument:
    """A saved web page: its title and main text as the report, the lines above the main text kept
    apart (``page_lines``: cleaning keeps the page's metadata from them), the rest dropped."""
    data = handle.read()
    try:
        declared = None
        if mhtml:
            data, declared = html_of_mhtml(data)
        page = read_web_page(data, declared)
    except WebPageRefused as exc:
        raise UnreadableFile(str(exc)) from exc
    return RawDocument([Line(line.text, line.heading_level) for line in page.lines], page.encoding,
                       page_lines=page.page_lines, chrome_lines=page.dropped)


def read_mhtml(handle: BinaryIO, deadline: float | None = None) -> RawDocument:
    """A page saved as one file (MHTML: the page and its images in a MIME archive)."""
    return read_html(handle, deadline, mhtml=True)


# what reads each kind of file, from the checked open file and the time it may take (.txt and .md:
# ``decode_text``)
_READERS: dict[str, Callable[[BinaryIO, float | None], RawDocument]] = {
    ".docx": read_docx, ".pdf": read_pdf, ".doc": read_word, ".wps": read_word, ".ofd": read_ofd,
    ".html": read_html, ".htm": read_html, ".mhtml": read_mhtml, ".mht": read_mhtml,
}
