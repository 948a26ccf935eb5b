"""Word 97-2003 ``.doc`` and WPS Office ``.wps`` (the same OLE2 Word binary) → lines of text.

The text of a Word binary file is where its piece table says, not where it lies in the stream: a
fast-saved file (WPS Office writes them) appends edits as new pieces out of order, and a piece is
either UTF-16 or 8-bit ("compressed"). Readers that take the stream's bytes between ``fcMin`` and
``fcMac`` as the text (wps2md does) lose or garble those pieces: on a real fast-saved notice its
signing date came out as ``2019ࠀࠪࠬ࠮``. So this reads the piece table (MS-DOC §2.8.35, the ``Clx``
in the table stream) through ``olefile`` for the container, and turns Word's control characters into
lines: paragraph marks, table cells (a row becomes ``cell | cell``), fields (the code between
``\\x13`` and ``\\x14`` is dropped, the shown result kept). Text boxes (the ``ccpTxbx`` part) follow
the body; headers, footers and footnotes are left out, as they are for .docx.

Every size is bounded: the streams by the file's own size (the caller caps it), the pieces counted,
the characters produced capped at ``MAX_TEXT_CHARS``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

from reportqa.ingest.docx_text import MAX_TEXT_CHARS

WORD97_MAGIC = 0xA5EC
WORD95_MAGIC = 0xA5DC
_ENCRYPTED = 0x0100
_OBFUSCATED = 0x8000
_TABLE_ONE = 0x0200
_CLX_INDEX = 33  # fcClx / lcbClx in FibRgFcLcb97
MAX_PIECES = 1_000_000

# Word's characters that are structure, not text (MS-DOC §2.4.1, §2.8.25)
_PARAGRAPH = "\r"
_CELL = "\x07"
_LINE_BREAKS = "\x0b\x0c\x0e"  # line break, page or section break, column break
_FIELD_BEGIN, _FIELD_SEPARATOR, _FIELD_END = "\x13", "\x14", "\x15"
_DROPPED = dict.fromkeys(map(ord, "\x00\x01\x02\x03\x04\x05\x06\x08\x1f"), None)  # objects, refs, soft hyphen
_DROPPED.update({0x1E: "-", 0xA0: " ", 0x09: "\t"})


class WordBinaryRefused(Exception):
    """A file that is not a readable Word binary; ``str(exc)`` is the reason."""


@dataclass(frozen=True)
class WordText:
    lines: list[str]
    pieces: int  # pieces in the piece table (more than one: edited, or fast-saved)


def _u16(data: bytes, offset: int) -> int:
    return struct.unpack_from("<H", data, offset)[0]


def _u32(data: bytes, offset: int) -> int:
    return struct.unpack_from("<I", data, offset)[0]


@dataclass(frozen=True)
class _Fib:
    table_stream: str
    ccp: tuple[int, ...]  # text, footnotes, headers, (macro), annotations, endnotes, text boxes, header boxes
    fc_clx: int
    lcb_clx: int


def _read_fib(word: bytes) -> _Fib:
    """The File Information Block: which table stream, how long each part of the text is, where the
    piece table lies."""
    if len(word) < 0x22:
        raise WordBinaryRefused("corrupt Word file: its WordDocument stream is too short")
    magic, flags = _u16(word, 0), _u16(word, 0x0A)
    if magic == WORD95_MAGIC:
        raise WordBinaryRefused("a Word 6/95 file (older than Word 97)")
    if magic != WORD97_MAGIC:
        raise WordBinaryRefused(f"not a Word file (its header says {magic:#06x})")
    if flags & (_ENCRYPTED | _OBFUSCATED):
        raise WordBinaryRefused("password-protected Word file")
    try:
        offset = 0x20
        csw = _u16(word, offset)
        offset += 2 + csw * 2
        cslw = _u16(word, offset)
        rg_lw = offset + 2
        ccp = tuple(_u32(word, rg_lw + 4 * i) for i in range(3, min(cslw, 11)))
        offset = rg_lw + cslw * 4
        cb_rg_fc_lcb = _u16(word, offset)
        if cb_rg_fc_lcb <= _CLX_INDEX:
            raise WordBinaryRefused("corrupt Word file: no piece table in its header")
        pair = offset + 2 + _CLX_INDEX * 8
        fc_clx, lcb_clx = _u32(word, pair), _u32(word, pair + 4)
    except struct.error as exc:
        raise WordBinaryRefused("corrupt Word file: its header is cut short") from exc
    return _Fib("1Table" if flags & _TABLE_ONE else "0Table", ccp, fc_clx, lcb_clx)


def _pieces(table: bytes, fc_clx: int, lcb_clx: int) -> list[tuple[int, int, int, bool]]:
    """The piece table: (first character, end character, byte offset, 8-bit) for each piece."""
    clx = table[fc_clx:fc_clx + lcb_clx]
    if len(clx) != lcb_clx or not clx:
        raise WordBinaryRefused("corrupt Word file: its piece table lies outside the table stream")
    at = 0
    while at < len(clx) and clx[at] == 0x01:  # Prc: formatting, skipped
        if at + 3 > len(clx):
            break
        at += 3 + struct.unpack_from("<h", clx, at + 1)[0]
    if at + 5 > len(clx) or clx[at] != 0x02:
        raise WordBinaryRefused("corrupt Word file: no piece table where its header says")
    lcb = _u32(clx, at + 1)
    plc = clx[at + 5:at + 5 + lcb]
    count = (len(plc) - 4) // 12
    if count <= 0 or len(plc) != lcb:
        raise WordBinaryRefused("corrupt Word file: an empty or cut piece table")
    if count > MAX_PIECES:
        raise WordBinaryRefused(f"refused: more than {MAX_PIECES:,} pieces of text")
    cps = struct.unpack_from(f"<{count + 1}I", plc, 0)
    out = []
    for i in range(count):
        fc = _u32(plc, (count + 1) * 4 + i * 8 + 2)
        compressed = bool(fc & 0x40000000)
        fc &= 0x3FFFFFFF
        out.append((cps[i], cps[i + 1], fc // 2 if compressed else fc, compressed))
    return out


def _characters(word: bytes, pieces: list[tuple[int, int, int, bool]], start: int, end: int) -> str:
    """The characters from ``start`` to ``end`` (character positions), piece by piece."""
    parts: list[str] = []
    chars = 0
    for cp_start, cp_end, offset, compressed in pieces:
        lo, hi = max(cp_start, start), min(cp_end, end)
        if lo >= hi:
            continue
        chars += hi - lo
        if chars > MAX_TEXT_CHARS:
            raise WordBinaryRefused(f"refused: more than {MAX_TEXT_CHARS:,} characters of text")
        skip = lo - cp_start
        if compressed:  # 8-bit text is Windows-1252 (MS-DOC §2.4.1); Chinese is always UTF-16
            parts.append(word[offset + skip:offset + skip + hi - lo].decode("cp1252", "replace"))
        else:
            raw = word[offset + 2 * skip:offset + 2 * (skip + hi - lo)]
            parts.append(raw[: len(raw) // 2 * 2].decode("utf-16-le", "replace"))
    return "".join(parts)


def word_lines(text: str) -> list[str]:
    """Word's text with its control characters → lines: a paragraph a line, a table row one line of
    ``cell | cell``, a field's shown result without its code."""
    shown: list[str] = []
    fields: list[bool] = []  # for each open field: whether its code part is over (its result shows)
    for ch in text:
        if ch == _FIELD_BEGIN:
            fields.append(False)
        elif ch == _FIELD_SEPARATOR:
            if fields:
                fields[-1] = True
        elif ch == _FIELD_END:
            if fields:
                fields.pop()
        elif all(fields):
            shown.append(ch)
    lines: list[str] = []
    for paragraph in "".join(shown).translate(_DROPPED).split(_PARAGRAPH):
        for piece in _split_any(paragraph, _LINE_BREAKS):
            if _CELL in piece:
                rows = piece.split(_CELL + _CELL)  # a cell's mark, then the row's own mark
                for row in rows:
                    cells = [c.strip() for c in row.split(_CELL) if c.strip()]
                    if cells:
                        lines.append(" | ".join(cells))
            elif piece.strip():
                lines.append(piece.rstrip())
    return lines


def _split_any(text: str, separators: str) -> list[str]:
    for separator in separators[1:]:
        text = text.replace(separator, separators[0])
    return text.split(separators[0])


def read_word_binary(handle: BinaryIO) -> WordText:
    """The body text and text boxes of an OLE2 Word binary file (.doc, .wps). Raises
    ``WordBinaryRefused`` with the reason."""
    import olefile

    try:
        if not olefile.isOleFile(handle):
            raise WordBinaryRefused("not an OLE2 Word file")
        handle.seek(0)
        with olefile.OleFileIO(handle) as ole:
            if not ole.exists("WordDocument"):
                raise WordBinaryRefused("an OLE2 file without a Word document in it")
            word = ole.openstream("WordDocument").read()
            fib = _read_fib(word)
            if not ole.exists(fib.table_stream):
                raise WordBinaryRefused(f"corrupt Word file: its {fib.table_stream} stream is missing")
            table = ole.openstream(fib.table_stream).read()
    except WordBinaryRefused:
        raise
    except (OSError, ValueError, IndexError, struct.error, RecursionError) as exc:  # olefile on a broken container
        raise WordBinaryRefused(f"corrupt OLE2 file: {type(exc).__name__}: {exc}"[:200]) from exc
    pieces = _pieces(table, fib.fc_clx, fib.lcb_clx)
    ccp = fib.ccp + (0,) * (8 - len(fib.ccp))
    body = _characters(word, pieces, 0, ccp[0])
    boxes_start = sum(ccp[:6])
    boxes = _characters(word, pieces, boxes_start, boxes_start + ccp[6]) if ccp[6] else ""
    return WordText(word_lines(body) + word_lines(boxes), len(pieces))
