"""Readers: every encoding detected, .docx and .pdf read, and unreadable files refused with a reason."""

from __future__ import annotations

import codecs
import zipfile
from pathlib import Path

import pytest

from reportqa.errors import UnreadableFile
from reportqa.ingest.readers import decode_text, read_document, reflow_pdf_lines

SAMPLE = "重庆市大足区应急管理局\n2021年法治政府建设情况报告\n一、主要举措\n（一）加强执法培训。组织培训3次。\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (SAMPLE.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + SAMPLE.encode("utf-8"), "utf-8-sig"),
        (SAMPLE.encode("gb18030"), "gb18030"),
        (SAMPLE.encode("gbk"), "gb18030"),
        (SAMPLE.encode("utf-16"), "utf-16"),  # with BOM
        (SAMPLE.encode("utf-16-le"), "utf-16-le"),  # no BOM
        (SAMPLE.encode("utf-16-be"), "utf-16-be"),  # no BOM
    ],
)
def test_text_encodings_are_detected(data: bytes, encoding: str) -> None:
    text, detected = decode_text(data)
    assert text.replace("\ufeff", "") == SAMPLE
    assert detected == encoding


def test_traditional_big5_text_is_decoded() -> None:
    text = "重慶市長壽區招商投資促進局2021年度法治政府建設年度報告\n一、推進法治政府建設的主要舉措和成效\n" * 3
    decoded, _ = decode_text(text.encode("big5"))
    assert decoded == text


def test_binary_named_txt_is_refused() -> None:
    with pytest.raises(UnreadableFile, match="binary"):
        decode_text(bytes(range(256)) * 20)


def test_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with pytest.raises(UnreadableFile, match="empty"):
        read_document(path)


def test_unknown_suffix_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "report.rtf"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(UnreadableFile, match="unsupported"):
        read_document(path)


def test_markdown_is_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "report.md"
    path.write_text(SAMPLE, encoding="utf-8")
    assert [line.text for line in read_document(path).lines] == SAMPLE.splitlines()


def make_docx(path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("重庆市大足区应急管理局")
    document.add_paragraph("2021年法治政府建设情况报告")
    document.add_heading("推进法治政府建设的主要举措", level=1)
    document.add_paragraph("（一）加强执法培训。组织行政执法人员参加培训3次，合格率100%。")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "项目"
    table.cell(0, 1).text = "数量"
    table.cell(1, 0).text = "执法检查"
    table.cell(1, 1).text = "23次"
    document.add_paragraph("重庆市大足区应急管理局")
    document.add_paragraph("2021年11月23日")
    document.save(str(path))


def test_docx_paragraphs_tables_and_heading_styles(tmp_path: Path) -> None:
    path = tmp_path / "report.docx"
    make_docx(path)
    lines = read_document(path).lines
    texts = [line.text for line in lines]
    assert texts[:2] == ["重庆市大足区应急管理局", "2021年法治政府建设情况报告"]
    heading = next(line for line in lines if line.text == "推进法治政府建设的主要举措")
    assert heading.heading_level == 1
    assert "执法检查 | 23次" in texts  # table rows in document order, after the paragraph before them
    assert texts.index("执法检查 | 23次") > texts.index("（一）加强执法培训。组织行政执法人员参加培训3次，合格率100%。")


def test_truncated_docx_is_refused(tmp_path: Path) -> None:
    good = tmp_path / "good.docx"
    make_docx(good)
    bad = tmp_path / "bad.docx"
    bad.write_bytes(good.read_bytes()[:400])
    with pytest.raises(UnreadableFile, match="corrupt"):
        read_document(bad)


def test_docx_zip_bomb_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reportqa.ingest import docx_text

    monkeypatch.setattr(docx_text, "MAX_XML_BYTES", 1024 * 1024)
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", "<w:document>" + " " * (4 * 1024 * 1024) + "</w:document>")
    assert path.stat().st_size < 100_000
    with pytest.raises(UnreadableFile, match="zip bomb"):
        read_document(path)


def make_pdf(path: Path, lines: list[str], *, encrypt: str | None = None) -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    pdf = canvas.Canvas(str(path), encrypt=encrypt)
    pdf.setFont("STSong-Light", 11)
    y = 800
    for line in lines:
        pdf.drawString(40, y, line)
        y -= 18
    pdf.save()


def test_pdf_text_layer_is_read_and_reflowed(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    make_pdf(path, [
        "重庆市大足区应急管理局",
        "2021年法治政府建设情况报告",
        "一、推进法治政府建设的主要举措",
        "（一）加强执法培训。组织行政执法人员参加法律知识和业务技能",
        "培训3次，合格率达到100%。",
        "- 1 -",
    ])
    texts = [line.text for line in read_document(path).lines]
    assert "重庆市大足区应急管理局" in texts
    assert "（一）加强执法培训。组织行政执法人员参加法律知识和业务技能培训3次，合格率达到100%。" in texts


def test_pdf_without_text_layer_is_reported_as_scanned(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    path = tmp_path / "scan.pdf"
    pdf = canvas.Canvas(str(path))
    pdf.rect(50, 50, 200, 200, fill=1)
    pdf.save()
    with pytest.raises(UnreadableFile, match="no text layer"):
        read_document(path)


def test_encrypted_pdf_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret.pdf"
    make_pdf(path, ["2021年法治政府建设情况报告"], encrypt="s3cret")
    with pytest.raises(UnreadableFile, match="encrypted"):
        read_document(path)


def test_corrupt_pdf_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer garbage")
    with pytest.raises(UnreadableFile):
        read_document(path)


def test_reflow_keeps_headings_and_paragraph_ends() -> None:
    lines = ["一、主要举措", "这是一段很长的正文内容被版面折行了所以", "要接上。", "（二）短标题", "正文。"]
    assert reflow_pdf_lines(lines) == ["一、主要举措", "这是一段很长的正文内容被版面折行了所以要接上。", "（二）短标题", "正文。"]
    # a title as long as a full line is not continued by the heading below it (一、 （二） start lines)
    lines = ["某某县司法局2022年法治政府建设情况报告", "一、主要举措", "全年组织执法培训5次参训人员达到三百人次"]
    assert reflow_pdf_lines(lines) == lines
