"""Issue 31, item 1: nothing outside the reports folder is ever read. A link to a file outside, a
device, a socket or a pipe is skipped with its reason; the check is made at the scan and again at the
open (a file replaced between the two is refused), and the file is read through the descriptor that
was checked; the bot's 📄, 🗂 and 📎 show nothing of a report whose file is no longer in the library."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from reportqa.errors import UnreadableFile
from reportqa.index.builder import build_index, parse_options
from reportqa.ingest import library_files
from reportqa.ingest.library_files import OUTSIDE, NotInLibrary, library_problem, open_in_library, real_root
from reportqa.ingest.pipeline import load_overrides, parse_report
from reportqa.ingest.readers import read_document
from reportqa.retrieval.searcher import SearchIndex
from reportqa.settings import Settings
from tests.fake_telegram import callback, callback_of, message

SECRET = "ROOT-SECRET-执法培训-口令"
REPORT = ("重庆市某某区司法局\n2022年法治政府建设情况报告\n一、主要举措\n"
          "（一）加强执法培训。组织行政执法人员参加法律知识培训5次，参训186人次。\n")


def secret_file(tmp_path: Path) -> Path:
    """A file outside the reports folder that reads like a report (so nothing but the boundary stops it)."""
    outside = tmp_path / "private" / "secret.txt"
    outside.parent.mkdir()
    outside.write_text(REPORT.replace("5次", f"5次。{SECRET}"), encoding="utf-8")
    return outside


async def test_a_link_to_a_file_outside_is_skipped_with_its_reason(tmp_path: Path, reports_copy: Path,
                                                                   settings: Settings) -> None:
    outside = secret_file(tmp_path)
    (reports_copy / "leak.txt").symlink_to(outside)
    (reports_copy / "passwd.txt").symlink_to("/etc/passwd")
    sub = reports_copy / "sub"
    sub.mkdir()
    (sub / "up.txt").symlink_to(Path("..") / ".." / "private" / "secret.txt")  # relative, through ..
    (reports_copy / "inside.txt").symlink_to("001_525c5565d93138a1.txt")  # within the folder: followed
    summary = await build_index(reports_copy, settings.index_dir, settings)
    reasons = {s.source: s.reason for s in summary.skipped}
    assert reasons["leak.txt"] == reasons["passwd.txt"] == reasons["sub/up.txt"] == OUTSIDE
    assert ("inside.txt", "001_525c5565d93138a1.txt") in summary.duplicates
    searcher = await SearchIndex.load(settings.index_dir, settings)
    try:
        texts = [p.text for r in searcher.reports for p in await searcher.report_sections(r)]
    finally:
        await searcher.close()
    assert texts and not any(SECRET in t or "root:x:0:0" in t for t in texts)


def test_metadata_csv_that_links_outside_is_not_read(tmp_path: Path, reports_copy: Path) -> None:
    table = tmp_path / "elsewhere.csv"
    table.write_text("file,unit\n001_525c5565d93138a1.txt,某某局\n", encoding="utf-8")
    (reports_copy / "metadata.csv").symlink_to(table)
    overrides, problem = load_overrides(reports_copy)
    assert overrides == {} and problem == OUTSIDE


def test_devices_sockets_and_pipes_are_named_by_kind(tmp_path: Path) -> None:
    import socket

    folder = tmp_path / "reports"
    folder.mkdir()
    os.mkfifo(folder / "pipe.txt")
    with socket.socket(socket.AF_UNIX) as listening:
        listening.bind(str(folder / "socket.txt"))
    (folder / "null.txt").symlink_to("/dev/null")
    root = real_root(folder)
    assert library_problem(folder / "pipe.txt", root) == "not a regular file (a named pipe)"
    assert library_problem(folder / "socket.txt", root) == "not a regular file (a socket)"
    assert library_problem(folder / "null.txt", root) == OUTSIDE
    for name in ("pipe.txt", "socket.txt"):  # and the open refuses them too, without blocking on the pipe
        with pytest.raises(NotInLibrary, match="not a regular file"):
            open_in_library(folder / name, folder)


def test_a_file_replaced_by_a_link_after_the_scan_is_refused_at_the_open(tmp_path: Path) -> None:
    outside = secret_file(tmp_path)
    folder = tmp_path / "reports"
    folder.mkdir()
    report = folder / "report.txt"
    report.write_text(REPORT, encoding="utf-8")
    assert library_problem(report, real_root(folder)) is None  # the scan saw a regular file
    report.unlink()
    report.symlink_to(outside)  # … replaced before it was parsed
    with pytest.raises(UnreadableFile, match="outside the reports folder"):
        parse_report(report, folder, parse_options(Settings(_env_file=None)))


def test_a_folder_swapped_for_a_link_between_check_and_open_is_refused(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The race inside the open: the path was resolved while ``sub`` was a folder, then ``sub`` became
    a link to a folder outside. The open walks name by name without following links, so it fails."""
    outside = secret_file(tmp_path)
    folder = tmp_path / "reports"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "secret.txt").write_text(REPORT, encoding="utf-8")
    checked = os.path.realpath(folder / "sub" / "secret.txt")
    shutil.rmtree(folder / "sub")
    (folder / "sub").symlink_to(outside.parent, target_is_directory=True)
    resolve = os.path.realpath
    monkeypatch.setattr(library_files.os.path, "realpath",
                        lambda path, strict=False: checked if str(path).endswith("secret.txt") else resolve(path))
    with pytest.raises(NotInLibrary, match="replaced by a link"):
        open_in_library(folder / "sub" / "secret.txt", folder)


def test_a_document_is_hashed_from_the_bytes_it_was_read_from(tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    path.write_text(REPORT, encoding="utf-8")
    document = read_document(path)
    assert document.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    report = parse_report(path, tmp_path, parse_options(Settings(_env_file=None)))
    assert report.sha256 == document.sha256


async def test_the_bot_shows_and_sends_nothing_of_a_report_now_linked_outside(
    library_bot, reports_copy: Path, tmp_path: Path
) -> None:
    """An index built while the file was a report in the folder (or by a version before this check);
    the file is then replaced by a link to a copy outside, with the same bytes: 📄, 🗂 and 📎 refuse."""
    bot = await library_bot()
    [reply] = await bot.ask(message("玉龙镇公共服务中心有多少个窗口"))
    [source] = [p for p in reports_copy.glob("002_*")]
    copy = tmp_path / "elsewhere.txt"
    shutil.copy(source, copy)
    source.unlink()
    source.symlink_to(copy)
    for prefix in ("fs:", "ol:", "sf:"):
        [refused] = await bot.ask(callback(callback_of(reply, prefix)), method="answerCallbackQuery")
        assert refused.params["text"] == "报告文件已不在库中。", prefix
    assert not bot.fake.sent("sendDocument") and not bot.fake.uploads
    assert len(bot.fake.sent("sendMessage")) == 1  # only the answer itself
