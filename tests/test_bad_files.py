"""A folder of broken, huge and hostile files beside good reports: each is named in the index summary
with its reason (or indexed, when it is a real report in an awkward form), every good file still
indexes, and the build's memory stays bounded. The build runs as ``reportqa index`` in a child
process, as cron would run it, so its peak memory can be measured."""

from __future__ import annotations

import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from reportqa.settings import Settings
from tests.test_readers import make_docx, make_pdf

ROOT = Path(__file__).resolve().parents[1]
REPORT = ("重庆市某某区司法局\n2022年法治政府建设情况报告\n一、主要举措\n"
          "（一）加强执法培训。组织行政执法人员参加法律知识培训5次，参训186人次。\n"
          "（二）规范行政执法。全面落实行政执法三项制度，执法案卷评查合格率100%。\n")


def write_bomb(path: Path, unpacked_mb: int) -> None:
    """A .docx whose document.xml unpacks to ``unpacked_mb`` MB (a few hundred KB packed)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = b"<w:p>" + b" " * (1024 * 1024 - 5)
            for _ in range(unpacked_mb):
                member.write(chunk)


def make_corpus(folder: Path, seeds: Path) -> dict[str, str]:
    """Write the corpus; returns file → what must happen to it ("indexed", "duplicate" or a word of
    the reason)."""
    folder.mkdir()
    expect: dict[str, str] = {}
    for seed in sorted(seeds.glob("*.txt"))[:3]:  # good reports beside the bad ones
        shutil.copy(seed, folder / seed.name)
        expect[seed.name] = "indexed"
    (folder / "empty.txt").write_bytes(b"")
    expect["empty.txt"] = "empty"
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 64)
    expect["binary.txt"] = "binary"
    make_docx(folder / "good.docx")
    expect["good.docx"] = "indexed"
    (folder / "truncated.docx").write_bytes((folder / "good.docx").read_bytes()[:700])
    expect["truncated.docx"] = "corrupt"
    write_bomb(folder / "bomb.docx", 210)
    expect["bomb.docx"] = "zip bomb"
    from reportlab.pdfgen import canvas

    scan = canvas.Canvas(str(folder / "scanned.pdf"))
    scan.rect(50, 50, 300, 400, fill=1)
    scan.save()
    expect["scanned.pdf"] = "no text layer"
    make_pdf(folder / "encrypted.pdf", ["2022年法治政府建设情况报告", "一、主要举措"], encrypt="s3cret")
    expect["encrypted.pdf"] = "encrypted"
    (folder / "corrupt.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer garbage")
    expect["corrupt.pdf"] = "pdf"
    (folder / "gbk.txt").write_bytes(REPORT.replace("司法局", "财政局").encode("gbk"))
    expect["gbk.txt"] = "indexed"
    (folder / "utf16.txt").write_bytes(REPORT.replace("司法局", "审计局").encode("utf-16-le"))
    expect["utf16.txt"] = "indexed"
    with (folder / "huge.txt").open("wb") as handle:  # 50 MB
        line = (REPORT * 40).encode()
        for _ in range(50 * 1024 * 1024 // len(line) + 1):
            handle.write(line)
    expect["huge.txt"] = "too large"
    sentence = "组织开展执法检查和普法宣传活动，发放宣传资料，接受群众咨询。"
    (folder / "one-line.txt").write_text("某某镇人民政府2022年法治政府建设情况报告" + sentence * (1_000_000 // len(sentence)),
                                         encoding="utf-8")
    expect["one-line.txt"] = "indexed"
    (folder / "only-headings.txt").write_text("2022年法治政府建设情况报告\n一、主要举措\n二、存在问题\n三、下一步打算\n",
                                              encoding="utf-8")
    expect["only-headings.txt"] = "indexed"
    numerals = "一二三四五六七八九十"
    sections = "".join(f"（{numerals[i % 10]}）第{i}项工作。组织第{i}次专题学习，参加{i}人。\n" for i in range(600))
    (folder / "many-sections.txt").write_text("某某街道办事处\n2022年法治政府建设情况报告\n一、主要举措\n" + sections,
                                              encoding="utf-8")
    expect["many-sections.txt"] = "indexed"
    hostile_name = "bad<b>name<i>\n第二行 & 'x'.txt"  # (a '/' cannot be in a file name)
    (folder / hostile_name).write_text(REPORT.replace("司法局", "民政局"), encoding="utf-8")
    expect[hostile_name] = "indexed"
    (folder / "loop-a.txt").symlink_to(folder / "loop-b.txt")
    (folder / "loop-b.txt").symlink_to(folder / "loop-a.txt")
    expect["loop-a.txt"] = expect["loop-b.txt"] = "symlink loop"
    (folder / "linked-folder").symlink_to(folder, target_is_directory=True)
    expect["linked-folder/"] = "not followed"
    locked = folder / "locked.txt"
    locked.write_text(REPORT.replace("司法局", "水利局"), encoding="utf-8")
    locked.chmod(0)
    expect["locked.txt"] = "indexed" if os.geteuid() == 0 else "cannot read"  # root reads anything
    # nothing outside the folder is read, whatever a link says (issue 31)
    (folder / "io-error.txt").symlink_to("/proc/self/mem")
    expect["io-error.txt"] = "outside the reports folder"
    (folder / "leak.txt").symlink_to("/etc/passwd")
    expect["leak.txt"] = "outside the reports folder"
    (folder.parent / "outside.txt").write_text(REPORT.replace("司法局", "统计局"), encoding="utf-8")
    (folder / "outside-report.txt").symlink_to(Path("..") / "outside.txt")  # a real report, but not in the library
    expect["outside-report.txt"] = "outside the reports folder"
    (folder / "zero.txt").symlink_to("/dev/zero")
    expect["zero.txt"] = "outside the reports folder"
    (folder / "inside-link.txt").symlink_to("gbk.txt")  # a link within the folder is followed
    expect["inside-link.txt"] = "duplicate"
    listening = socket.socket(socket.AF_UNIX)
    listening.bind(str(folder / "socket.txt"))
    listening.close()
    expect["socket.txt"] = "not a regular file (a socket)"
    shutil.copy(folder / "gbk.txt", folder / "zz-copy-of-gbk.txt")
    expect["zz-copy-of-gbk.txt"] = "duplicate"
    os.mkfifo(folder / "pipe.txt")  # reading it would block for ever
    expect["pipe.txt"] = "not a regular file (a named pipe)"
    (folder / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 500)
    expect["old.doc"] = "not an ole2 word file"  # the OLE2 magic cut short: read by nothing built in
    (folder / "sheet.xls").write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 500)
    expect["sheet.xls"] = "unsupported"
    (folder / "~$lock.docx").write_bytes(b"x")
    expect["~$lock.docx"] = "hidden"
    return expect


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not Path("/proc/self/mem").exists(), reason="needs Linux")
def test_a_folder_of_bad_files(tmp_path: Path, settings: Settings, seeds_dir: Path) -> None:
    folder = tmp_path / "reports"
    expect = make_corpus(folder, seeds_dir)
    hostile = [name for name in expect if not name.startswith("00") and name != "good.docx"]
    assert len(hostile) >= 20
    index_dir = tmp_path / "index"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}, **settings.environment()}
    command = [sys.executable, "-m", "reportqa", "index", str(folder), "--index-dir", str(index_dir), "--json"]
    done = subprocess.run(command, env=env, capture_output=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    summary = json.loads(done.stdout)
    peak_mb = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, summary["parse_peak_mb"])  # workers: see test_hostile_files

    reasons = {s["source"]: s["reason"] for s in summary["skipped"]}
    duplicates = {d["source"]: d["same_as"] for d in summary["duplicates"]}
    indexed = {name for name, what in expect.items() if what == "indexed"}
    rows = []
    for name, what in expect.items():
        if what == "indexed":
            assert name not in reasons, (name, reasons.get(name))
            outcome = "indexed"
        elif what == "duplicate":
            assert name in duplicates, name
            outcome = f"duplicate of {duplicates[name]}"
        else:
            assert name in reasons, (name, sorted(reasons))
            assert what in reasons[name].lower(), (name, reasons[name])
            outcome = reasons[name]
        rows.append(f"| {name!r} | {outcome} |")
    assert summary["reports"] == len(indexed)
    assert summary["passages"] > 600  # the many sections, the one long line split into passages
    assert peak_mb < 1500, peak_mb
    print("\n" + "\n".join(rows) + f"\npeak RSS of the build: {peak_mb:.0f} MB")

    # the human summary prints the hostile name as text, and a second run parses nothing again
    again = subprocess.run(command[:-1], env=env, capture_output=True, timeout=600, cwd=tmp_path, text=True)
    assert again.returncode == 0 and "Index up to date" in again.stdout + again.stderr
