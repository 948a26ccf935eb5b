"""Files of the formats government sites publish, built by the tests (no shared file is needed):
an OLE2 Word binary (.doc / .wps) with a piece table, an OFD, a .docx with text boxes and content
controls, a scanned (image-only) PDF, a government web page and its MHTML."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

END_OF_CHAIN, FREE, FAT_SECTOR, NO_STREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
SECTOR = 512


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE2 compound file (version 3) holding ``streams`` in the root storage; each stream
    is padded to 4 KB so that none lives in the mini stream."""
    names = sorted(streams, key=lambda n: (len(n), n.upper()))
    data = {n: streams[n] + b"\x00" * max(0, 4096 - len(streams[n])) for n in names}
    body, chains, starts = b"", [], {}
    for name in names:
        padded = data[name] + b"\x00" * (-len(data[name]) % SECTOR)
        first = len(body) // SECTOR
        count = len(padded) // SECTOR
        starts[name] = first
        chains.append((first, count))
        body += padded
    entries = [_entry("Root Entry", 5, child=1, start=END_OF_CHAIN, size=0)]
    for number, name in enumerate(names, start=1):
        right = number + 1 if number < len(names) else NO_STREAM
        entries.append(_entry(name, 2, right=right, start=starts[name], size=len(data[name])))
    directory = b"".join(entries)
    directory += b"\x00" * (-len(directory) % SECTOR)
    dir_first = len(body) // SECTOR
    dir_count = len(directory) // SECTOR
    chains.append((dir_first, dir_count))
    used = dir_first + dir_count
    fat_count = 1
    while (used + fat_count) > fat_count * 128:
        fat_count += 1
    fat = [FREE] * (fat_count * 128)
    for first, count in chains:
        for i in range(first, first + count - 1):
            fat[i] = i + 1
        fat[first + count - 1] = END_OF_CHAIN
    for i in range(used, used + fat_count):
        fat[i] = FAT_SECTOR
    difat = list(range(used, used + fat_count)) + [FREE] * (109 - fat_count)
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\x00" * 6
              + struct.pack("<IIIIIIIII", 0, fat_count, dir_first, 0, 4096, END_OF_CHAIN, 0, END_OF_CHAIN, 0)
              + struct.pack("<109I", *difat))
    return header + body + directory + struct.pack(f"<{len(fat)}I", *fat)


def _entry(name: str, kind: int, *, left: int = NO_STREAM, right: int = NO_STREAM, child: int = NO_STREAM,
           start: int, size: int) -> bytes:
    encoded = name.encode("utf-16-le") + b"\x00\x00"
    return (encoded + b"\x00" * (64 - len(encoded)) + struct.pack("<HBB", len(encoded), kind, 1)
            + struct.pack("<III", left, right, child) + b"\x00" * 16 + b"\x00" * 4 + b"\x00" * 16
            + struct.pack("<IQ", start, size))


def word_binary(paragraphs: list[str], text_boxes: list[str] = (), encrypted: bool = False) -> bytes:
    """An OLE2 Word 97 file whose text sits in pieces out of order, as a fast-saved file has it: the
    second half of the body is stored before the first, and a last ASCII paragraph is an 8-bit piece.
    Word's own control characters are the caller's (``\\x07`` cells, ``\\x13…\\x14…\\x15`` fields)."""
    body = "".join(p + "\r" for p in paragraphs[:-1])
    ascii_tail = paragraphs[-1] + "\r"
    assert ascii_tail.isascii()
    boxes = "".join(b + "\r" for b in text_boxes)
    half = len(body) // 2
    first, second = body[:half], body[half:]
    stream = bytearray(0x400)
    at_second = len(stream)
    stream += second.encode("utf-16-le")
    at_first = len(stream)
    stream += first.encode("utf-16-le")
    at_ascii = len(stream)
    stream += ascii_tail.encode("cp1252")
    at_boxes = len(stream)
    stream += boxes.encode("utf-16-le")
    ccp_text = len(body) + len(ascii_tail)
    pieces = [(0, half, at_first, False), (half, len(body), at_second, False),
              (len(body), ccp_text, at_ascii, True)]
    if boxes:
        pieces.append((ccp_text, ccp_text + len(boxes), at_boxes, False))
    cps = [p[0] for p in pieces] + [pieces[-1][1]]
    plc = struct.pack(f"<{len(cps)}I", *cps)
    for _, _, offset, compressed in pieces:
        plc += struct.pack("<HIH", 0, (offset * 2) | 0x40000000 if compressed else offset, 0)
    table = b"\x02" + struct.pack("<I", len(plc)) + plc
    flags = 0x0200 | 0x0004 | (0x0100 if encrypted else 0)
    struct.pack_into("<HHHHHH", stream, 0, 0xA5EC, 0x00C1, 0, 0x0804, 0, flags)
    struct.pack_into("<H", stream, 0x20, 14)
    struct.pack_into("<H", stream, 0x3E, 22)
    lw = [0] * 22
    lw[3], lw[9] = ccp_text, len(boxes)
    struct.pack_into("<22I", stream, 0x40, *lw)
    struct.pack_into("<H", stream, 0x98, 93)
    struct.pack_into("<II", stream, 0x9A + 33 * 8, 0, len(table))
    return compound_file({"WordDocument": bytes(stream), "1Table": table})


OFD_NS = "http://www.ofdspec.org/2016"


def make_ofd(path: Path, pages: list[list[str]]) -> None:
    """An OFD package: OFD.xml → Document.xml → one Content.xml a page, each line a TextObject."""
    page_refs = "".join(f'<ofd:Page ID="{10 + i}" BaseLoc="Pages/Page_{i}/Content.xml"/>' for i in range(len(pages)))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("OFD.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{OFD_NS}" '
                         'Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:DocID>test</ofd:DocID>'
                         '</ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>')
        archive.writestr("Doc_0/Document.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document '
                         f'xmlns:ofd="{OFD_NS}"><ofd:CommonData><ofd:MaxUnitID>999</ofd:MaxUnitID><ofd:PageArea>'
                         '<ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea><ofd:PublicRes>PublicRes.xml'
                         f'</ofd:PublicRes></ofd:CommonData><ofd:Pages>{page_refs}</ofd:Pages></ofd:Document>')
        archive.writestr("Doc_0/PublicRes.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{OFD_NS}" '
                         'BaseLoc="Res"><ofd:Fonts><ofd:Font ID="2" FontName="宋体"/></ofd:Fonts></ofd:Res>')
        for number, lines in enumerate(pages):
            objects = "".join(
                f'<ofd:TextObject ID="{100 + i}" Boundary="20 {30 + i * 8} 170 8" Font="2" Size="4.2">'
                f'<ofd:TextCode X="0" Y="6">{line}</ofd:TextCode></ofd:TextObject>'
                for i, line in enumerate(lines))
            archive.writestr(f"Doc_0/Pages/Page_{number}/Content.xml",
                             f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{OFD_NS}"><ofd:Content>'
                             f'<ofd:Layer ID="{50 + number}">{objects}</ofd:Layer></ofd:Content></ofd:Page>')


W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
BOX_XML = (
    '<w:r><mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
    '<mc:Choice Requires="wps"><w:drawing><wp:anchor xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/'
    'wordprocessingDrawing"><a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><a:graphicData>'
    '<wps:wsp xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><wps:txbx>'
    '<w:txbxContent><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:txbxContent></wps:txbx></wps:wsp></a:graphicData>'
    '</a:graphic></wp:anchor></w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape xmlns:v="urn:schemas-microsoft-'
    'com:vml"><v:textbox><w:txbxContent><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:txbxContent></v:textbox>'
    '</v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r>')


def make_docx_with_boxes(path: Path, paragraphs: list[str], box: str, control: str, toc: str) -> None:
    """A .docx whose flowchart label is in a text box (with Word's VML copy beside it), a paragraph in a
    content control, and a table of contents in another content control."""
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(str(path))
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    xml = parts["word/document.xml"].decode("utf-8")
    anchor = "<w:p><w:r><w:t>流程图</w:t></w:r>" + BOX_XML.format(text=box) + "</w:p>"
    sdt = f"<w:sdt><w:sdtPr/><w:sdtContent><w:p><w:r><w:t>{control}</w:t></w:r></w:p></w:sdtContent></w:sdt>"
    toc_sdt = ('<w:sdt><w:sdtPr><w:docPartObj><w:docPartGallery w:val="Table of Contents"/></w:docPartObj>'
               f'</w:sdtPr><w:sdtContent><w:p><w:r><w:t>{toc}</w:t></w:r></w:p></w:sdtContent></w:sdt>')
    body = xml.index("<w:body>") + len("<w:body>")
    xml = xml[:body] + toc_sdt + xml[body:]
    end = xml.index("<w:sectPr")
    xml = xml[:end] + anchor + sdt + xml[end:]
    parts["word/document.xml"] = xml.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def government_page(title: str, paragraphs: list[str], *, publisher: str, date: str, index_no: str,
                    charset: str = "utf-8") -> bytes:
    """A page as a government site serves it: navigation, a metadata table above the title, the body,
    related links and a footer."""
    nav = "".join(f'<li><a href="/{i}/">{w}</a></li>' for i, w in enumerate(["首页", "新闻中心", "政务公开", "政务服务"]))
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    page = f"""<!DOCTYPE html><html><head><meta charset="{charset}"><title>{title}_{publisher}</title>
<script>var clock = "今天是2024年1月1日";</script><style>.x{{color:red}}</style></head><body>
<div class="top">2024年01月01日 星期一 <a href="#">无障碍</a></div><ul class="nav">{nav}</ul>
<div class="crumb">您当前的位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a></div>
<table class="meta"><tr><td>索 引 号：</td><td>{index_no}</td><td>发布机构：</td><td>{publisher}</td></tr>
<tr><td>成文日期：</td><td>{date}</td><td>主题分类：</td><td>其他</td></tr></table>
<h1 class="title">{title}</h1><div class="info">来源：{publisher} 访问量：128</div>
<div class="content"><div class="TRS_Editor">{body}</div></div>
<div class="related">相关链接：<a href="/a.html">关于做好2024年元旦春节期间有关工作的通知</a></div>
<div class="footer">主办单位：某某市人民政府办公室 网站标识码：5000000001 ICP备案号：渝ICP备12345678号</div>
<div style="display:none">隐藏的统计代码内容不应出现在正文里面的文字</div></body></html>"""
    return page.encode(charset)


def mhtml_of(page: bytes, url: str) -> bytes:
    """A browser's single-file save of a page (multipart/related, quoted-printable HTML)."""
    import quopri

    encoded = quopri.encodestring(page).decode("ascii")
    return (f"From: <Saved by Blink>\r\nSnapshot-Content-Location: {url}\r\nSubject: =?utf-8?B?dGVzdA==?=\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/related;\r\n\ttype=\"text/html\";\r\n"
            "\tboundary=\"----MultipartBoundary--abc----\"\r\n\r\n------MultipartBoundary--abc----\r\n"
            "Content-Type: text/html\r\nContent-ID: <frame-1@mhtml.blink>\r\nContent-Transfer-Encoding: "
            f"quoted-printable\r\nContent-Location: {url}\r\n\r\n{encoded}\r\n"
            "------MultipartBoundary--abc------\r\n").encode("ascii")
