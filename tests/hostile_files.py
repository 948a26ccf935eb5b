"""Small files that once cost gigabytes or minutes to read, as builders for tests.

``ISSUE_SET`` are the ones issue 12 reproduced; ``HOLDOUT_SET`` (tests/test_hostile_holdout.py) is
a second, independent set of other attacks on the same readers, kept apart so that the bounds are
checked against inputs they were not written for. Each builder writes one file and returns a word
that must appear in its skip reason, or "indexed" for a file that is a real report in a hostile form.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
INTRO = ["重庆市某某区司法局", "2022年法治政府建设情况报告", "一、主要举措",
         "（一）加强执法培训。组织行政执法人员参加法律知识培训5次，参训186人次，执法案卷评查合格率100%。"]


def paragraph(text: str) -> str:
    return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"


def write_docx(path: Path, body: str, *, styles: str | None = None, prolog: str = "") -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", f"{prolog}<w:document {NS}><w:body>{body}</w:body></w:document>")
        if styles is not None:
            archive.writestr("word/styles.xml", styles)


def intro_xml(unit: str = "司法局") -> str:
    return "".join(paragraph(t.replace("司法局", unit)) for t in INTRO)


def spanned_cell(span: int, text: str) -> str:
    return f'<w:tc><w:tcPr><w:gridSpan w:val="{span}"/></w:tcPr>{paragraph(text)}</w:tc>'


def write_streamed_docx(path: Path, megabytes: int, filler: bytes) -> None:
    """A .docx whose document.xml is ``megabytes`` MB of ``filler`` after a real report's opening."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            member.write(f"<w:document {NS}><w:body>{intro_xml()}".encode())
            chunk = filler * max(1, (1024 * 1024) // len(filler))
            for _ in range(megabytes):
                member.write(chunk)
            member.write(b"</w:body></w:document>")


# --- the issue's set ----------------------------------------------------------------------------

def gridspan_max(path: Path) -> str:
    """One cell claiming 2,147,483,647 grid columns (python-docx: 6.8 GB in 49 s)."""
    write_docx(path, intro_xml("应急管理局") + "<w:tbl><w:tr>" + spanned_cell(2_147_483_647, "执法检查 23次")
               + "</w:tr></w:tbl>")
    return "indexed"


def gridspan_rows(path: Path) -> str:
    """300 rows of one cell spanning 30,000 columns (python-docx: minutes)."""
    rows = "".join(f"<w:tr>{spanned_cell(30000, f'第{i}项执法检查')}</w:tr>" for i in range(300))
    write_docx(path, intro_xml("市场监督管理局") + f"<w:tbl>{rows}</w:tbl>")
    return "indexed"


def xml_190mb(path: Path) -> str:
    """695 KB that unpacks to 190 MB of paragraphs (python-docx: past 400 s at 1.2 GB)."""
    write_streamed_docx(path, 190, paragraph("组织开展执法检查和普法宣传活动。").encode())
    return "zip bomb"


def repeated_page_pdf(path: Path) -> str:
    """A 600 KB PDF whose page tree lists one page 100,000 times (45–88 s, 6,263 passages)."""
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, NameObject, NumberObject

    from tests.test_readers import make_pdf

    single = path.with_suffix(".one")
    make_pdf(single, [t.replace("司法局", "交通运输局") for t in INTRO])
    writer = PdfWriter(clone_from=str(single))
    pages = writer._root_object["/Pages"].get_object()
    pages[NameObject("/Kids")] = ArrayObject([pages["/Kids"][0]] * 100_000)
    pages[NameObject("/Count")] = NumberObject(100_000)
    with path.open("wb") as handle:
        writer.write(handle)
    single.unlink()
    return "indexed"


ISSUE_SET: dict[str, Callable[[Path], str]] = {
    "gridspan-max.docx": gridspan_max,
    "gridspan-rows.docx": gridspan_rows,
    "xml-190mb.docx": xml_190mb,
    "repeated-page.pdf": repeated_page_pdf,
}


# --- the holdout set ------------------------------------------------------------------------------

def styles_bomb(path: Path) -> str:
    """A tiny document.xml beside a styles.xml that unpacks to 150 MB."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", f"<w:document {NS}><w:body>{intro_xml()}</w:body></w:document>")
        with archive.open("word/styles.xml", "w", force_zip64=True) as member:
            member.write(f"<w:styles {NS}>".encode())
            chunk = b'<w:style w:styleId="x"><w:name w:val="Normal"/></w:style>' * 16384
            for _ in range(150 * 1024 * 1024 // len(chunk)):
                member.write(chunk)
            member.write(b"</w:styles>")
    return "zip bomb"


def entity_expansion(path: Path) -> str:
    """"Billion laughs": ten nested entities that would expand to 10^9 copies of a word."""
    entities = '<!ENTITY a0 "执法">' + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    body = intro_xml("自然资源局") + paragraph("&a9;")
    write_docx(path, body, prolog=f"<?xml version='1.0'?><!DOCTYPE w:document [{entities}]>")
    return "corrupt"


def deep_nesting(path: Path) -> str:
    """A paragraph nested 100,000 content controls deep."""
    deep = "<w:sdt><w:sdtContent>" * 100_000 + "<w:r><w:t>x</w:t></w:r>" + "</w:sdtContent></w:sdt>" * 100_000
    write_docx(path, intro_xml() + f"<w:p>{deep}</w:p>")
    return "corrupt"


def lying_sizes(path: Path) -> str:
    """A zip whose directory says document.xml is 1 KB while it unpacks to 120 MB."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive, \
            archive.open("word/document.xml", "w") as member:
        member.write(f"<w:document {NS}><w:body>{intro_xml()}".encode())
        for _ in range(120):
            member.write(paragraph("组织开展执法检查。").encode() * (1024 * 1024 // 80))
        member.write(b"</w:body></w:document>")
    data = bytearray(path.read_bytes())
    central = data.rfind(b"PK\x01\x02")  # the directory entry: uncompressed size at offset 24
    data[central + 24:central + 28] = (1024).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    return "corrupt"


def many_distinct_pages_pdf(path: Path) -> str:
    """60,000 distinct page objects that all draw one content stream."""
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject

    from tests.test_readers import make_pdf

    single = path.with_suffix(".one")
    make_pdf(single, [t.replace("司法局", "水利局") for t in INTRO])
    writer = PdfWriter(clone_from=str(single))
    pages = writer._root_object["/Pages"].get_object()
    first = pages["/Kids"][0].get_object()
    kids = []
    for _ in range(60_000):
        page = DictionaryObject({k: v for k, v in first.items()})
        kids.append(writer._add_object(page))
    pages[NameObject("/Kids")] = ArrayObject(kids)
    pages[NameObject("/Count")] = NumberObject(len(kids))
    with path.open("wb") as handle:
        writer.write(handle)
    single.unlink()
    return "indexed"


def flate_bomb_pdf(path: Path) -> str:
    """One page whose content stream inflates from under 1 MB to 400 MB."""
    import zlib

    compressor = zlib.compressobj(9)
    packed = compressor.compress(b"BT /F1 12 Tf 40 800 Td (x) Tj ET\n")
    chunk = b" " * (1024 * 1024)
    packed += b"".join(compressor.compress(chunk) for _ in range(400)) + compressor.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return "no text layer"


def endless_line(path: Path) -> str:
    """15 MB of report text on one line with no punctuation at all."""
    words = "组织开展执法检查和普法宣传活动发放宣传资料接受群众咨询"
    path.write_text("\n".join(INTRO).replace("司法局", "生态环境局") + "\n" + words * (15 * 1024 * 1024 // 3 // len(words)),
                    encoding="utf-8")
    return "indexed"


HOLDOUT_SET: dict[str, Callable[[Path], str]] = {
    "styles-bomb.docx": styles_bomb,
    "entity-expansion.docx": entity_expansion,
    "deep-nesting.docx": deep_nesting,
    "lying-sizes.docx": lying_sizes,
    "many-distinct-pages.pdf": many_distinct_pages_pdf,
    "flate-bomb.pdf": flate_bomb_pdf,
    "endless-line.txt": endless_line,
}
