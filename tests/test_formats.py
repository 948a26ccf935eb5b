"""The formats government sites publish: .doc and .wps (OLE2 Word binary), .ofd, saved web pages
(.html, .htm, .mhtml), .docx text boxes and content controls, AES-encrypted PDFs, scanned PDFs (OCR).
Every fixture is built here (tests/office_fixtures.py) or shipped in tests/data."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from reportqa.errors import UnreadableFile
from reportqa.index.builder import build_index, parse_options, summary_dict
from reportqa.ingest import ocr
from reportqa.ingest.pipeline import OCR_SECTION, PAGE_CHROME, parse_report
from reportqa.ingest.readers import read_document
from reportqa.ingest.word_binary import word_lines
from reportqa.settings import Settings
from tests.office_fixtures import (
    government_page,
    make_docx_with_boxes,
    make_ofd,
    mhtml_of,
    word_binary,
)
from tests.test_readers import make_pdf

DATA = Path(__file__).parent / "data"
PARAGRAPHS = [
    "重庆市某某区司法局",
    "2022年法治政府建设情况报告",
    "一、主要举措",
    "（一）加强执法培训。全年组织执法培训5次，详见\x13HYPERLINK \"http://example.gov.cn/a\"\x14培训通知\x15。",
    "项目\x07数量\x07\x07执法检查\x0723次\x07\x07",
    "二、存在问题",
    "基层执法力量不足，执法装备有待更新。",
    "Tel 023-12345678",
]


def text_of(document) -> str:
    return "\n".join(line.text for line in document.lines)


@pytest.mark.parametrize("suffix", [".doc", ".wps"])
def test_word_binary_text_comes_from_the_piece_table(tmp_path: Path, suffix: str) -> None:
    """Pieces out of order (a fast save), an 8-bit piece, a field, a table and a text box."""
    path = tmp_path / f"report{suffix}"
    path.write_bytes(word_binary(PARAGRAPHS, ["流程：受理→审查→决定"]))
    lines = [line.text for line in read_document(path).lines]
    assert lines == ["重庆市某某区司法局", "2022年法治政府建设情况报告", "一、主要举措",
                     "（一）加强执法培训。全年组织执法培训5次，详见培训通知。", "项目 | 数量", "执法检查 | 23次",
                     "二、存在问题", "基层执法力量不足，执法装备有待更新。", "Tel 023-12345678", "流程：受理→审查→决定"]


def test_word_control_characters() -> None:
    assert word_lines("a\x13PAGE\x14 3\x15b\rc\x0bd\x0ce\x1ef\x1fg\xa0h") == ["a 3b", "c", "d", "e-fg h"]
    assert word_lines("\x13 TOC \x13 PAGEREF x \x14 2 \x15\x14一、主要举措\x15\r") == ["一、主要举措"]  # nested
    assert word_lines("甲\x07乙\x07\x07丙\x07\x07\x07") == ["甲 | 乙", "丙"]


def test_a_word_report_is_parsed_into_sections(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "report.doc"
    path.write_bytes(word_binary(PARAGRAPHS))
    report = parse_report(path, tmp_path, parse_options(settings))
    assert report.meta.year == 2022 and report.meta.title == "2022年法治政府建设情况报告"
    assert any("执法培训5次" in p.text and "主要举措" in p.section for p in report.passages)


@pytest.mark.parametrize(("data", "reason"), [
    (word_binary(PARAGRAPHS, encrypted=True), "password-protected"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "corrupt ole2"),
    (b"just some bytes, not a Word file at all" * 20, "not an ole2 word file: install antiword or libreoffice"),
])
def test_unreadable_word_files_say_why(tmp_path: Path, data: bytes, reason: str,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))  # no converter installed
    path = tmp_path / "bad.doc"
    path.write_bytes(data)
    with pytest.raises(UnreadableFile) as caught:
        read_document(path)
    assert reason in str(caught.value).lower()


def test_an_installed_converter_reads_what_the_reader_cannot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Word 6/95 is not read by the built-in reader; antiword, where installed, is asked (on a private
    copy of the bytes), and its output is the document."""
    tools = tmp_path / "bin"
    tools.mkdir()
    antiword = tools / "antiword"
    antiword.write_text("#!/bin/sh\nprintf '某某镇2019年法治政府建设情况报告\\n一、主要举措\\n开展普法宣传12场。\\n'\n",
                        encoding="utf-8")
    antiword.chmod(antiword.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(tools))
    old = bytearray(word_binary(["一、甲", "x"]))
    ole = old.index(b"\xec\xa5\xc1\x00")  # the FIB's magic: made Word 95's
    old[ole:ole + 2] = b"\xdc\xa5"
    path = tmp_path / "old.doc"
    path.write_bytes(bytes(old))
    document = read_document(path)
    assert text_of(document).splitlines()[2] == "开展普法宣传12场。"
    assert document.notes == ["read by antiword"]


def test_ofd_text_in_reading_order(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "批复.ofd"
    make_ofd(path, [["某某区卫生局文件", "某卫发〔2011〕76号", "关于同意某某同志辞职的批复"],
                    ["区中医院：经研究，同意该同志辞职。", "某某区卫生局办公室", "2011年3月10日"]])
    text = text_of(read_document(path))
    for phrase in ("某卫发〔2011〕76号", "关于同意某某同志辞职的批复", "某某区卫生局办公室"):
        assert phrase in text
    report = parse_report(path, tmp_path, parse_options(settings))
    assert report.meta.date == "2011-03-10"


def test_a_damaged_ofd_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.ofd"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("Doc_0/Document.xml", "<Document/>")
    with pytest.raises(UnreadableFile, match="corrupt OFD"):
        read_document(path)
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(UnreadableFile, match="corrupt OFD"):
        read_document(path)


def test_docx_text_boxes_and_content_controls(tmp_path: Path) -> None:
    path = tmp_path / "draft.docx"
    make_docx_with_boxes(path, ["2022年法治政府建设情况报告", "一、主要举措"], box="提出纠正行动和建议",
                         control="本稿完成日期：2023年3月9日", toc="目录一、主要举措1")
    text = text_of(read_document(path))
    assert text.count("提出纠正行动和建议") == 1  # the DrawingML box, not its VML copy too
    assert "本稿完成日期：2023年3月9日" in text
    assert "目录" not in text  # a table of contents repeats the headings


PAGE_ARGS = {"publisher": "某某区司法局", "date": "2023-01-15", "index_no": "11500000MB1234/2023-00012"}
PAGE_PARAGRAPHS = ["2022年，区司法局坚持以习近平新时代中国特色社会主义思想为指导，全面推进法治政府建设。",
                   "一、主要举措", "（一）加强执法培训。全年组织执法培训5次，参训人员300人次。",
                   "二、存在问题", "基层执法力量不足。"]
TITLE = "某某区司法局2022年法治政府建设情况报告"


@pytest.mark.parametrize(("name", "charset"), [("page.html", "utf-8"), ("page.htm", "gbk"), ("page.mhtml", "utf-8")])
def test_a_saved_web_page(tmp_path: Path, settings: Settings, name: str, charset: str) -> None:
    """The main text without the site's chrome; the page's own metadata lines handed to the date and
    issuer rules (成文日期 → a published date, 发布机构 → the publisher), shown by inspect."""
    page = government_page(TITLE, PAGE_PARAGRAPHS, charset=charset, **PAGE_ARGS)
    path = tmp_path / name
    path.write_bytes(mhtml_of(page, "http://www.example.gov.cn/a.html") if name.endswith("mhtml") else page)
    report = parse_report(path, tmp_path, parse_options(settings))
    assert report.meta.title == TITLE
    passages = "\n".join(p.text for p in report.passages)
    assert "执法培训5次" in passages and "基层执法力量不足" in passages
    for chrome in ("首页", "无障碍", "索 引 号", "访问量", "相关链接", "主办单位", "网站标识码", "隐藏的统计代码", "今天是",
                   "var clock", "color:red", "元旦春节"):
        assert chrome not in passages, chrome
    assert "索 引 号：11500000MB1234/2023-00012" in report.page_lines
    assert "发布机构：某某区司法局" in report.page_lines
    assert (report.meta.date, report.meta.date_kind) == ("2023-01-15", "published")
    assert report.removed[PAGE_CHROME] >= 5


def test_a_page_with_its_text_in_line_breaks_and_a_table(tmp_path: Path) -> None:
    """No <p>: the text between <br>s of one container, a statistics table in it (a row a line)."""
    body = ("某某镇2021年法治政府建设情况报告<br>一、主要举措<br>全年开展法治宣传活动12场，发放资料3000份，接受群众咨询500人次。"
            "<table><tr><td>项目</td><td>数量</td></tr><tr><td><p>普法讲座</p></td><td>8场</td></tr></table>")
    page = (f"<html><body><div id='menu'><a href='/'>网站首页</a> <a href='/x'>政务公开</a></div>"
            f"<div id='text'>{body}</div><div id='foot'>版权所有：某某镇人民政府</div></body></html>")
    path = tmp_path / "p.html"
    path.write_bytes(page.encode("utf-8"))
    lines = [line.text for line in read_document(path).lines]
    assert lines == ["某某镇2021年法治政府建设情况报告", "一、主要举措",
                     "全年开展法治宣传活动12场，发放资料3000份，接受群众咨询500人次。", "项目 | 数量", "普法讲座 | 8场"]


def test_a_page_laid_out_in_tables(tmp_path: Path) -> None:
    """An older site's layout: the report in a cell of a table nested in another; its paragraphs stay
    lines (a layout row is not a data row), its data table's rows are joined."""
    paragraphs = "".join(f"<p>第{i}项：组织开展法治政府建设工作，全面推进依法行政，落实各项法治任务。</p>" for i in range(8))
    page = ("<html><body><table><tr><td><a href='/'>首页</a></td></tr><tr><td><table><tr><td>" + paragraphs
            + "<table><tr><td>项目</td><td>数量</td></tr></table></td></tr></table></td></tr></table></body></html>")
    path = tmp_path / "p.htm"
    path.write_bytes(page.encode("utf-8"))
    lines = [line.text for line in read_document(path).lines]
    assert len(lines) == 9 and lines[0].startswith("第0项") and lines[-1] == "项目 | 数量"


@pytest.mark.parametrize("data", [b"", b"<html><body><script>x()</script></body></html>",
                                  b"MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nno page"])
def test_pages_without_text_are_refused(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / ("p.mhtml" if data.startswith(b"MIME") else "p.html")
    path.write_bytes(data or b" ")
    with pytest.raises(UnreadableFile):
        read_document(path)


def test_an_aes_encrypted_pdf_with_an_owner_password_only_is_read(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    plain = tmp_path / "plain.pdf"
    make_pdf(plain, ["2021年深圳市社会性别统计报告", "一、人口规模与性别比", "常住人口性别比为122.44。"])
    writer = PdfWriter(clone_from=PdfReader(plain))
    writer.encrypt(user_password="", owner_password="owner-secret", algorithm="AES-256", permissions_flag=4)
    path = tmp_path / "encrypted.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    assert PdfReader(path).is_encrypted
    assert "常住人口性别比为122.44" in text_of(read_document(path))


def scanned_pdf(path: Path, pages: int = 1) -> None:
    from PIL import Image

    image = Image.open(DATA / "scanned_page.png").convert("RGB")
    image.save(path, "PDF", resolution=150, save_all=True, append_images=[image] * (pages - 1))


needs_ocr = pytest.mark.skipif(not ocr.ocr_installed(), reason="the ocr extra (rapidocr-onnxruntime) is not installed")


@needs_ocr
def test_a_scanned_page_is_read_by_ocr_and_its_passages_say_so(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "scan.pdf"
    scanned_pdf(path)
    report = parse_report(path, tmp_path, parse_options(settings))
    text = "\n".join(p.text for p in report.passages)
    assert "执法培训5次" in text.replace(" ", "") and "基层执法力量仍显不足" in text
    assert report.meta.year == 2022
    assert all(p.section.startswith(OCR_SECTION) for p in report.passages)
    assert report.ocr["pages"] == [1] and 0.8 <= report.ocr["mean_confidence"] <= 1
    assert any(w.startswith("OCR: 1 page(s)") for w in report.warnings)
    done = subprocess.run([sys.executable, "-m", "reportqa", "inspect", str(path), "--json"], capture_output=True,
                          text=True, timeout=300, env={**os.environ, **settings.environment()})
    shown = json.loads(done.stdout)
    assert shown["ocr"]["mean_confidence"] == report.ocr["mean_confidence"]
    assert shown["passages"][0]["section"].startswith(OCR_SECTION)


@needs_ocr
def test_only_the_pages_without_text_are_read_by_ocr(tmp_path: Path, settings: Settings) -> None:
    """A PDF of a text page and a scanned one: only the scan's passages say OCR."""
    from pypdf import PdfReader, PdfWriter

    text_page, scan = tmp_path / "text.pdf", tmp_path / "scan.pdf"
    make_pdf(text_page, ["三、下一步打算", "持续深化法治宣传教育，建设法治乡村示范点10个。"])
    scanned_pdf(scan)
    writer = PdfWriter()
    for source in (scan, text_page):
        for page in PdfReader(source).pages:
            writer.add_page(page)
    mixed = tmp_path / "mixed.pdf"
    with mixed.open("wb") as handle:
        writer.write(handle)
    report = parse_report(mixed, tmp_path, parse_options(settings))
    marked = {p.text.splitlines()[-1][:6]: p.section.startswith(OCR_SECTION) for p in report.passages}
    assert report.ocr["pages"] == [1]
    assert any(p.section.startswith(OCR_SECTION) and "执法力量" in p.text for p in report.passages), marked
    assert any(not p.section.startswith(OCR_SECTION) and "法治乡村示范点" in p.text for p in report.passages), marked


def test_a_scan_without_the_ocr_extra_names_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "ocr_installed", lambda: False)
    path = tmp_path / "scan.pdf"
    scanned_pdf(path)
    with pytest.raises(UnreadableFile, match=r"reportqa\[ocr\]"):
        read_document(path)


@needs_ocr
def test_ocr_stops_before_the_time_budget(tmp_path: Path) -> None:
    """Pages that would not finish in time are not read, and say so; none at all is an unreadable file."""
    path = tmp_path / "scan.pdf"
    scanned_pdf(path, pages=2)
    with pytest.raises(UnreadableFile, match="time budget"):
        read_document(path, seconds=1)
    summary = ocr.OcrSummary()
    read = ocr.pages_by_ocr({1: [], 2: []}, deadline=None, summary=summary)
    assert read == {1: [], 2: []} and summary.pages == [1, 2]


def test_ocr_boxes_become_lines() -> None:
    boxes = [([[300, 10], [400, 10], [400, 40], [300, 40]], "124.88", 0.99),
             ([[10, 12], [100, 12], [100, 38], [10, 38]], "福田区", 0.95),
             ([[10, 60], [500, 60], [500, 90], [10, 90]], "户籍人口性别比为97.73。", 0.9)]
    lines = ocr.boxes_to_lines(boxes)
    assert [(line.text, line.confidence) for line in lines] == [("福田区 124.88", 0.95), ("户籍人口性别比为97.73。", 0.9)]


def test_a_folder_of_every_format_is_indexed(tmp_path: Path, settings: Settings) -> None:
    """Each file read, or skipped with a reason saying what would read it."""
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "司法局.doc").write_bytes(word_binary(PARAGRAPHS))
    (reports / "司法局.wps").write_bytes(word_binary([*PARAGRAPHS[:3], "二、执法监督。开展案卷评查2次。", "x"]))
    make_ofd(reports / "批复.ofd", [["某某区卫生局文件", "关于同意某某同志辞职的批复", "2011年3月10日"]])
    (reports / "page.html").write_bytes(government_page(TITLE, PAGE_PARAGRAPHS, **PAGE_ARGS))
    (reports / "page.mhtml").write_bytes(mhtml_of(government_page(TITLE + "（修订）", PAGE_PARAGRAPHS[:3], **PAGE_ARGS),
                                                  "http://x/"))
    make_docx_with_boxes(reports / "draft.docx", ["2023年工作报告", "一、主要举措"], "提出纠正行动和建议",
                         "本稿完成日期：2023年3月9日", "目录")
    scanned_pdf(reports / "scan.pdf")
    (reports / "page_files").mkdir()  # what a browser saves beside a page: its frames are not reports
    (reports / "page_files" / "ad-frame.htm").write_bytes(government_page("广告", ["广告内容很长很长很长很长。"], **PAGE_ARGS))
    summary = summary_dict(asyncio.run(build_index(reports, tmp_path / "index", settings)))
    skipped = {s["source"]: s["reason"] for s in summary["skipped"]}
    assert skipped["page_files/"] == "a saved web page's images and scripts"
    expected = 7 if ocr.ocr_installed() else 6
    assert summary["reports"] == expected, skipped
    if not ocr.ocr_installed():
        assert "reportqa[ocr]" in skipped["scan.pdf"]


def test_web_page_encodings_are_detected() -> None:
    from reportqa.ingest.web_page import decode_html

    page = "<html><head><meta http-equiv='Content-Type' content='text/html; charset=gb2312'></head>法治</html>"
    assert decode_html(page.encode("gbk")) == (page, "gb18030")
    assert decode_html(page.encode("utf-8")) == (page, "utf-8")  # saved by a browser: UTF-8 whatever it declares
    assert decode_html(b"\xef\xbb\xbf<p>\xe6\xb3\x95</p>")[0] == "<p>法</p>"
    assert decode_html("<p>法治</p>".encode("gbk"), "gbk")[0] == "<p>法治</p>"


def test_hostile_files_of_the_new_formats_are_refused_within_bounds(tmp_path: Path) -> None:
    """An OFD whose page unpacks to 100 MB, a Word file whose piece table claims a billion characters,
    a page nested 200,000 deep: each refused with a reason (the parse sandbox bounds time and memory
    besides)."""
    import struct

    bomb = tmp_path / "bomb.ofd"
    make_ofd(bomb, [["正文"]])
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Doc_0/Pages/Page_1/Content.xml", b"<a>" + b" " * (100 * 1024 * 1024) + b"</a>")
    with zipfile.ZipFile(bomb) as archive:
        document = archive.read("Doc_0/Document.xml").replace(
            b"</ofd:Pages>", b'<ofd:Page ID="99" BaseLoc="Pages/Page_1/Content.xml"/></ofd:Pages>')
        parts = {name: archive.read(name) for name in archive.namelist() if name != "Doc_0/Document.xml"}
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Doc_0/Document.xml", document)
        for name, data in parts.items():
            archive.writestr(name, data)
    with pytest.raises(UnreadableFile, match="too large"):
        read_document(bomb)

    import olefile

    claims = bytearray(word_binary(["一、甲", "x"]))
    fib = claims.index(b"\xec\xa5\xc1\x00")  # the FIB: ccpText at +0x4C
    struct.pack_into("<I", claims, fib + 0x4C, 1_000_000_000)
    word = tmp_path / "claims.doc"
    word.write_bytes(bytes(claims))
    assert [line.text for line in read_document(word).lines] == ["一、甲", "x"]  # only what the pieces hold
    with olefile.OleFileIO(str(word), write_mode=True) as ole:  # and a piece claiming a billion characters
        table = bytearray(ole.openstream("1Table").read())
        struct.pack_into("<I", table, 5 + 3 * 4, 1_000_000_000)  # the last piece's end
        ole.write_stream("1Table", bytes(table))
    with pytest.raises(UnreadableFile, match="more than 4,000,000 characters"):
        read_document(word)

    deep = tmp_path / "deep.html"
    deep.write_bytes(b"<html><body>" + b"<div>" * 200_000 + "正文内容".encode() * 10 + b"</div>" * 200_000 + b"</body>")
    with pytest.raises(UnreadableFile):
        read_document(deep)
