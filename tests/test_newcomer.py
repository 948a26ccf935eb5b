"""The command line as a newcomer meets it (issue 16): exit codes that say what happened, a batch read
as reports are, chat commands that forgive spacing and show the bot's buttons, a notice for a cut
question, no sample library built where nobody asked for it, a warning for a folder with no reports,
whole lines when piped, library warnings kept off the terminal, help in both languages."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.quality import score_set
from reportqa.channels.cli.chat import ChatSession
from reportqa.faults import ExitCode
from reportqa.index import database as store
from reportqa.retrieval.searcher import SearchIndex
from reportqa.settings import Settings
from tests.conftest import SEEDS
from tests.test_exit_codes import one_line_error, reportqa
from tests.test_readers import make_pdf

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The sample reports copied and indexed into the configured folder, as a user's setup has it."""
    root = tmp_path_factory.mktemp("newcomer")
    shutil.copytree(SEEDS, root / "reports")
    settings = Settings(index_dir=root / "index", reports_dir=root / "reports", _env_file=None)
    done = reportqa(["index", str(root / "reports")], settings)
    assert done.returncode == 0, done.stderr
    return settings


def test_adding_a_report_already_there_changes_nothing_and_says_so(library: Settings, tmp_path: Path) -> None:
    seed = library.reports_dir / "001_525c5565d93138a1.txt"
    done = reportqa(["add", str(seed)], library)
    assert done.returncode == ExitCode.FAILED
    assert done.stdout.startswith("duplicate: 001_525c5565d93138a1.txt")
    corrupt = library.reports_dir / "损坏.docx"
    corrupt.write_bytes(b"PK\x03\x04 this is not a real docx")
    try:
        copy = tmp_path / "另一份.docx"
        shutil.copy(corrupt, copy)
        done = reportqa(["add", str(copy), "--json"], library)
        assert done.returncode == ExitCode.FAILED
        assert json.loads(done.stdout)["status"] == "unreadable"  # not "duplicate" of the broken copy
    finally:
        corrupt.unlink()


def test_a_batch_is_read_as_reports_are_with_comments_and_stdin(library: Settings, tmp_path: Path) -> None:
    batch = tmp_path / "questions.txt"
    batch.write_bytes("# 本周要问的\n执法培训\n\n# 英文\nlegal advisers\n".encode("gbk"))
    done = reportqa(["ask", "--batch", str(batch), "--json"], library)
    assert done.returncode == 0, done.stderr
    asked = [json.loads(line)["question"] for line in done.stdout.splitlines()]
    assert asked == ["执法培训", "legal advisers"]
    piped = subprocess.run([sys.executable, "-m", "reportqa", "ask", "--batch", "-", "--json"],
                           input="双随机一公开\n# skip\n", capture_output=True, text=True, timeout=120,
                           env={**library.environment(), "PATH": "/usr/bin:/bin"})
    assert piped.returncode == 0, piped.stderr
    assert [json.loads(line)["question"] for line in piped.stdout.splitlines()] == ["双随机一公开"]


def test_a_cut_question_is_told(library: Settings) -> None:
    done = reportqa(["ask", "执法培训" * 1250], library)
    assert done.returncode == 0
    assert f"only its first {library.max_question_chars} were searched" in done.stderr


def test_a_mistyped_index_folder_is_an_error_not_a_new_sample_library(library: Settings, tmp_path: Path) -> None:
    typo = tmp_path / "indx"
    done = reportqa(["ask", "执法培训", "--index-dir", str(typo)], library)
    assert done.returncode == ExitCode.NO_INDEX
    assert f"reportqa index REPORTS_DIR --index-dir {typo}" in one_line_error(done)
    assert not typo.exists() or not any(typo.iterdir())
    done = reportqa(["ask", "执法培训", "--index-dir", str(library.index_dir)], library)  # the configured one
    assert done.returncode == 0 and "执法" in done.stdout


def test_a_folder_with_no_reports_is_refused_and_the_index_kept(library: Settings, tmp_path: Path) -> None:
    before = store.current_generation(library.index_dir)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "旧格式.xls").write_bytes(b"old sheet")
    done = reportqa(["index", str(empty)], library)
    assert done.returncode == ExitCode.FAILED
    line = one_line_error(done)
    assert "no report files" in line and "旧格式.xls" in line and "unchanged" in line
    assert store.current_generation(library.index_dir) == before
    done = reportqa(["index", str(tmp_path / "no-such-folder")], library)
    assert done.returncode == ExitCode.USAGE and "not found" in one_line_error(done)


def test_inspect_piped_keeps_lines_whole_and_pdf_warnings_are_the_files(library: Settings, tmp_path: Path) -> None:
    seed = library.reports_dir / "004_c1f201046002a3b5.txt"
    done = reportqa(["inspect", str(seed)], library)
    passages = json.loads(reportqa(["inspect", str(seed), "--json"], library).stdout)["passages"]
    lines = set(done.stdout.splitlines())
    one_line = [p["text"] for p in passages if "\n" not in p["text"]]
    assert one_line and all(text in lines for text in one_line)  # whole, never cut at 80 columns
    assert max(len(text) for text in one_line) > 120

    folder = tmp_path / "pdfs"
    folder.mkdir()
    pdf = folder / "report.pdf"
    make_pdf(pdf, ["重庆市大足区应急管理局", "2021年法治政府建设情况报告", "一、主要举措", "组织执法培训3次。"])
    pdf.write_bytes(pdf.read_bytes().replace(b"%%EOF", b"%%EO"))  # damaged, but readable
    done = reportqa(["index", str(folder), "--index-dir", str(tmp_path / "pix"), "--json"], library)
    assert done.returncode == 0, done.stderr
    assert "EOF" not in done.stderr  # pypdf's complaint is not printed raw
    warnings = json.loads(done.stdout)["warnings"]["report.pdf"]
    assert any(w.startswith("pdf reader: ") and "EOF" in w for w in warnings)


def test_help_is_in_chinese_and_english_with_defaults(library: Settings) -> None:
    done = reportqa(["ask", "--help"], library)
    assert "回答问题" in done.stdout and "Answer questions" in done.stdout
    assert "default: 5" in " ".join(done.stdout.split())
    done = reportqa(["--help"], library)
    assert "退出码" in done.stdout or "问答" in done.stdout


def test_a_unit_name_alone_gets_its_reports_or_says_none_is_indexed(library: Settings) -> None:
    done = reportqa(["ask", "大足区应急管理局"], library)
    assert "重庆市大足区应急管理局 · 2021年" in done.stdout and "目录：" in done.stdout
    done = reportqa(["ask", "大足区税务局"], library)
    assert "未收录" in done.stdout


async def _chat(settings: Settings, lines: list[str]) -> list[str]:
    index = await SearchIndex.load(settings.index_dir, settings)
    try:
        session = ChatSession(index, 3)
        return [await session.turn(line) for line in lines]
    finally:
        await index.close()


def test_chat_forgives_spacing_pages_back_and_shows_the_buttons(library: Settings) -> None:
    first, more, back, full, outline, helped, unknown, cleared, after = asyncio.run(_chat(library, [
        "执法培训", "more", "上一页", "全文4", "目录 1", "/help", "/frobnicate", "clear", "更多"]))
    assert "第 1–3 条" in first
    assert "[1] 📄 全文 1" in first and "下一页 ▶" in first and "📊 Excel" in first  # the bot's buttons
    assert "第 4–6 条" in more and "◀ 上一页" in more
    assert "第 1–3 条" in back
    assert "›" in full or "前言" in full  # result 4, from the page before last: still known
    assert "•" in outline
    assert "Commands" in helped and "执法" not in helped
    assert "没有这个命令" in unknown
    assert "已清除" in cleared and after == "先问一个问题。"


def test_chat_buttons_are_pressed_by_their_number(library: Settings) -> None:
    first, pressed, paged = asyncio.run(_chat(library, ["执法培训", "1", "[4]"]))
    assert "[1] 📄 全文 1" in first
    assert "›" in pressed or "前言" in pressed  # 📄 全文 1: the whole section
    labels = first.rsplit("\n\n", 1)[-1]
    assert "[4] 🗂 目录 1" in labels
    assert "•" in paged  # [4]: the outline of result 1's report


def test_the_readme_quality_command_runs_on_a_fresh_clone() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "python -m benchmarks.quality" in readme
    scores = score_set(ROOT / "tests" / "eval" / "dev_questions.jsonl", SEEDS, 5)
    assert scores.questions == 22 and scores.recall >= 0.9 and scores.wrong_filter == 0
