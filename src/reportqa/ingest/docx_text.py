""".docx → lines of text, read as a stream with every size bounded.

python-docx builds the whole document tree in memory and expands every merged table cell into the
grid it spans: a 35 KB file with one ``<w:gridSpan w:val="2147483647"/>`` asks for billions of cell
objects, and a 190 MB ``document.xml`` (695 KB zipped) becomes gigabytes of tree. Here the XML is
parsed incrementally (``lxml.etree.iterparse``), each body paragraph or table is read and then
dropped, a cell is read once however many grid columns it spans, and the bytes unpacked and the
characters produced are counted against limits as they are read, whatever the zip's headers claim.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from lxml import etree

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
DOCUMENT_PART = "word/document.xml"
STYLES_PART = "word/styles.xml"

# What a real report needs, many times over: a 200-page report's document.xml is 2-10 MB.
MAX_XML_BYTES = 64 * 1024 * 1024  # the XML the parser will really expand (document + styles)
MAX_TEXT_CHARS = 4_000_000  # characters of text read out of one document
MAX_STYLES_BYTES = 8 * 1024 * 1024

_HEADING_STYLE = re.compile(r"(?:heading|标题)\s*(\d)", re.IGNORECASE)
# run-level containers whose runs are the paragraph's text (w:del and w:moveFrom are deleted text)
_CONTAINERS = frozenset(W + t for t in ("hyperlink", "ins", "smartTag", "fldSimple", "sdt", "sdtContent",
                                        "customXml", "moveTo", "dir", "bdo"))
_BREAKS = frozenset({W + "br", W + "cr"})


class DocxRefused(Exception):
    """A .docx that cannot be read within bounds, or is not a .docx; ``str(exc)`` is the reason."""


@dataclass(frozen=True)
class DocxLine:
    text: str
    heading_level: int | None = None


class _BoundedStream:
    """A zip member read with a running count: stops at ``limit`` bytes unpacked."""

    def __init__(self, handle: IO[bytes], limit: int, what: str) -> None:
        self.handle, self.left, self.what, self.limit = handle, limit, what, limit

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(65536 if size is None or size < 0 else min(size, 1 << 20))
        self.left -= len(data)
        if self.left < 0:
            raise DocxRefused(f"refused: {self.what} unpacks to more than {self.limit // (1024 * 1024)} MB "
                              "(zip bomb?)")
        return data


def read_docx_lines(path: str | IO[bytes], max_xml_bytes: int | None = None,
                    max_chars: int | None = None) -> list[DocxLine]:
    """Paragraphs and table rows of a .docx (a path, or a file open for reading) in document order;
    Word heading styles (Heading N, 标题 N) become heading levels. Raises ``DocxRefused``."""
    max_xml_bytes = MAX_XML_BYTES if max_xml_bytes is None else max_xml_bytes
    max_chars = MAX_TEXT_CHARS if max_chars is None else max_chars
    try:
        with zipfile.ZipFile(path) as archive:
            members = {info.filename: info for info in archive.infolist()}
            if DOCUMENT_PART not in members:
                raise DocxRefused("corrupt .docx: no word/document.xml")
            declared = members[DOCUMENT_PART].file_size + (
                members[STYLES_PART].file_size if STYLES_PART in members else 0)
            if declared > max_xml_bytes:
                raise DocxRefused(f"refused: its XML unpacks to {declared // (1024 * 1024)} MB "
                                  f"(over {max_xml_bytes // (1024 * 1024)} MB; zip bomb?)")
            levels = _heading_styles(archive, members) if STYLES_PART in members else {}
            with archive.open(DOCUMENT_PART) as member:
                stream = _BoundedStream(member, max_xml_bytes, "word/document.xml")
                return list(_body_lines(stream, levels, max_chars))
    except DocxRefused:
        raise
    except zipfile.BadZipFile as exc:
        raise DocxRefused(f"corrupt .docx ({exc})"[:200]) from exc  # not a zip, or a bad CRC
    except etree.XMLSyntaxError as exc:
        raise DocxRefused(f"corrupt .docx: broken XML: {exc}"[:200]) from exc
    except (zipfile.LargeZipFile, NotImplementedError, EOFError, ValueError, KeyError) as exc:
        raise DocxRefused(f"corrupt .docx: {type(exc).__name__}: {exc}"[:200]) from exc
    except OSError as exc:
        raise DocxRefused(f"corrupt .docx: {exc}"[:200]) from exc


def _parser_options() -> dict:
    # no entities expanded, no network, no DTD: the XML is data, never instructions
    return {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False}


def _heading_styles(archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo]) -> dict[str, int]:
    """styleId → heading level, for paragraph styles named Heading N or 标题 N."""
    levels: dict[str, int] = {}
    with archive.open(STYLES_PART) as member:
        stream = _BoundedStream(member, MAX_STYLES_BYTES, "word/styles.xml")
        for _, style in etree.iterparse(stream, events=("end",), tag=W + "style", **_parser_options()):
            name = style.find(W + "name")
            match = _HEADING_STYLE.search(name.get(W + "val", "") if name is not None else "")
            style_id = style.get(W + "styleId")
            if match and style_id:
                levels[style_id] = max(1, min(4, int(match.group(1))))
            style.clear()
    return levels


def _body_lines(stream: _BoundedStream, levels: dict[str, int], max_chars: int) -> Iterator[DocxLine]:
    """The body's paragraphs and tables as they end; each is dropped from the tree once read."""
    depth = 0
    chars = 0
    for event, element in etree.iterparse(stream, events=("start", "end"), **_parser_options()):
        if event == "start":
            depth += 1
            continue
        depth -= 1
        if depth != 2:  # w:document → w:body → a paragraph, a table, a content control
            continue
        lines = list(block_lines(element, levels))
        element.clear()
        parent = element.getparent()
        while parent is not None and element.getprevious() is not None:
            del parent[0]
        for line in lines:
            chars += len(line.text)
            if chars > max_chars:
                raise DocxRefused(f"refused: more than {max_chars:,} characters of text")
            yield line


_BLOCK_CONTAINERS = frozenset({W + "sdt", W + "sdtContent", W + "customXml"})


def block_lines(element: etree._Element, levels: dict[str, int]) -> Iterator[DocxLine]:
    """One block of the body as lines: a paragraph (then the text boxes anchored in it), a table's
    rows, or the blocks inside a content control (a cover page's fields; not a table of contents)."""
    if element.tag == W + "p":
        yield DocxLine(paragraph_text(element), _paragraph_level(element, levels))
        for box in text_boxes(element):
            for paragraph in box.iterfind(W + "p"):
                if text := paragraph_text(paragraph).strip():
                    yield DocxLine(text)
    elif element.tag == W + "tbl":
        yield from (DocxLine(row) for row in table_rows(element))
    elif element.tag in _BLOCK_CONTAINERS and not _is_table_of_contents(element):
        for child in element:
            yield from block_lines(child, levels)


def _is_table_of_contents(element: etree._Element) -> bool:
    """A content control holding Word's table of contents: its lines repeat the headings (with page
    numbers), and a line of it is no title."""
    gallery = element.find(f"{W}sdtPr/{W}docPartObj/{W}docPartGallery")
    return gallery is not None and gallery.get(W + "val", "").lower() == "table of contents"


def text_boxes(paragraph: etree._Element) -> Iterator[etree._Element]:
    """The text boxes anchored in a paragraph (shapes, a flowchart's group), each once: a DrawingML
    shape's box, not the VML copy Word keeps beside it for old readers (``mc:Fallback``)."""
    for box in paragraph.iter(W + "txbxContent"):
        if not any(ancestor.tag == MC_FALLBACK for ancestor in box.iterancestors()):
            yield box


def _paragraph_level(paragraph: etree._Element, levels: dict[str, int]) -> int | None:
    style = paragraph.find(f"{W}pPr/{W}pStyle")
    return levels.get(style.get(W + "val", "")) if style is not None else None


def paragraph_text(paragraph: etree._Element) -> str:
    """A paragraph's text as Word shows it: its runs (in hyperlinks, insertions, content controls),
    tabs and line breaks; not deleted text, field codes, or text boxes anchored in it (those are
    lines of their own: ``block_lines``)."""
    parts: list[str] = []
    _collect_runs(paragraph, parts)
    return "".join(parts)


def _collect_runs(element: etree._Element, parts: list[str]) -> None:
    for child in element:
        tag = child.tag
        if tag == W + "r":
            for piece in child:
                if piece.tag == W + "t":
                    parts.append(piece.text or "")
                elif piece.tag == W + "tab":
                    parts.append("\t")
                elif piece.tag in _BREAKS and piece.get(W + "type") in (None, "textWrapping"):
                    parts.append("\n")
                elif piece.tag == W + "noBreakHyphen":
                    parts.append("-")
        elif tag in _CONTAINERS:
            _collect_runs(child, parts)


def table_rows(table: etree._Element) -> Iterator[str]:
    """Each row as its cells' texts joined by " | ": every cell read once, whatever columns it
    spans; a cell continuing a vertical merge (empty) and a repeat of the cell before are left out."""
    for row in table.iterfind(W + "tr"):
        cells: list[str] = []
        for cell in row.iterfind(W + "tc"):
            text = cell_text(cell).strip()
            if text and (not cells or cells[-1] != text):
                cells.append(text)
        if cells:
            yield " | ".join(cells)


def cell_text(cell: etree._Element) -> str:
    """A cell's paragraphs, one per line, and the rows of any table nested in it."""
    lines: list[str] = []
    for child in cell:
        if child.tag == W + "p":
            lines.append(paragraph_text(child))
        elif child.tag == W + "tbl":
            lines.extend(table_rows(child))
        elif child.tag in _BLOCK_CONTAINERS:  # a content control around a cell's paragraphs
            lines.extend(line.text for line in block_lines(child, {}))
    return "\n".join(lines)
