"""One language per reply (issue 32): the catalog, the reasons the lower layers give in English put
in Chinese, and the command line following REPORTQA_LANGUAGE or the system locale."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from reportqa.present.catalog import MESSAGES, knows_reason, reason_text
from reportqa.settings import Settings, system_language
from tests.test_exit_codes import reportqa

SRC = Path(__file__).resolve().parents[1] / "src" / "reportqa"
# an English word in a Chinese line: three letters or more, not a file suffix, a setting, a command
# or a format name the reply names as such
_ENGLISH_WORD = re.compile(r"(?<![./_A-Z-])\b[A-Za-z]{3,}\b(?![._/(])")
ALLOWED_WORDS = {"PDF", "Excel", "Word", "SQLite", "JSON", "REPORTQA", "metadata", "csv", "region", "docx", "txt", "Telegram", "XML",
                 "pdf", "reportqa", "index", "json", "help"}


def english_words(line: str) -> list[str]:
    """English words in a line meant to be Chinese (file names, settings and /commands aside)."""
    line = re.sub(r"/[a-z_]+(?: off| all)?|\S+\.(?:txt|md|docx|pdf|csv|xlsx|exe|lock)\b|REPORTQA_[A-Z_]+|--[a-z-]+", " ", line)
    return [w for w in _ENGLISH_WORD.findall(line) if w not in ALLOWED_WORDS]


def test_every_message_is_in_both_languages_with_the_same_blanks() -> None:
    fields = lambda text: sorted(name for _, name, _, _ in string.Formatter().parse(text) if name)  # noqa: E731
    for key, texts in MESSAGES.items():
        assert set(texts) == {"zh", "en"}, key
        assert fields(texts["zh"]) == fields(texts["en"]), key
        plain = re.sub(r"\{\w+\}", " ", texts["zh"])
        assert not english_words(plain), (key, english_words(plain))


def test_every_reason_the_code_gives_has_a_chinese_wording() -> None:
    """Each reason the readers, the folder walk, the sandbox and the library give for a file (as a
    literal in the source) is put in Chinese by a pattern of its own, never by the fallback."""
    calls = r"(?:UnreadableFile|DocxRefused|Skipped\([^,]+,|LibraryOutcome\([^)]*?reason=|return)\s*\(?f?\"([^\"{]{4,}[^\"]*)\""
    found: set[str] = set()
    for name in ("ingest/readers.py", "ingest/docx_text.py", "ingest/pipeline.py", "ingest/library_files.py",
                 "ingest/sandbox.py", "index/library.py"):
        text = (SRC / name).read_text(encoding="utf-8")
        found |= {re.sub(r"\{[^}]*\}", "1", m).strip() for m in re.findall(calls, text)}  # a value where one goes
    reasons = {r for r in found if re.match(r"[a-z]", r) and " " in r and not r.startswith(("a ", "not a file"))}
    assert len(reasons) > 20
    unknown = sorted(r for r in reasons if not knows_reason(r))
    assert not unknown, unknown
    assert reason_text("corrupt .docx (File is not a zip file)", "zh") == ".docx 文件已损坏"
    assert reason_text("the same file is already in the library as uploads/a.txt", "zh") == "同样的文件已在库中：uploads/a.txt"
    assert reason_text("corrupt .docx (File is not a zip file)", "en") == "corrupt .docx (File is not a zip file)"
    assert not english_words(reason_text("something nobody wrote a pattern for", "zh"))


@pytest.mark.parametrize(("environ", "language"), [
    ({}, "en"), ({"LANG": "C.UTF-8"}, "en"), ({"LANG": "zh_CN.UTF-8"}, "zh"),
    ({"LANG": "zh_CN.UTF-8", "LC_ALL": "en_US.UTF-8"}, "en"), ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_TW"}, "zh"),
])
def test_the_system_locale_chooses_the_command_lines_language(environ: dict, language: str) -> None:
    assert system_language(environ) == language


def test_the_command_line_speaks_reportqa_language(tmp_path: Path, seeds_dir: Path) -> None:
    """`index`, `add`, `remove` in Chinese with REPORTQA_LANGUAGE=zh (or a zh_CN locale): no English
    status line; in English otherwise."""
    import shutil

    reports = tmp_path / "reports"
    shutil.copytree(seeds_dir, reports)
    (reports / "notes.xyz").write_text("not a report")
    settings = Settings(index_dir=tmp_path / "index", reports_dir=reports, _env_file=None)
    zh = {"REPORTQA_LANGUAGE": "zh"}
    built = reportqa(["index", str(reports)], settings, extra_env=zh)
    assert built.returncode == 0 and "报告：5" in built.stdout and "未收录：1" in built.stdout
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04 not a zip")
    unreadable = reportqa(["add", str(broken)], settings, extra_env=zh)
    assert unreadable.returncode == 1 and ".docx 文件已损坏" in unreadable.stdout
    ambiguous = reportqa(["remove", "00"], settings, extra_env=zh)
    assert ambiguous.returncode == 1 and "是否指" in ambiguous.stdout
    for line in (built.stdout + unreadable.stdout + ambiguous.stdout).splitlines():
        assert not english_words(line), line
    by_locale = reportqa(["remove", "00"], settings, extra_env={"REPORTQA_LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None, "LANG": "zh_CN.UTF-8"})
    assert "是否指" in by_locale.stdout
    english = reportqa(["remove", "00"], settings, extra_env={"REPORTQA_LANGUAGE": "en"})
    assert "Did you mean" in english.stdout and "no single report matches" in english.stdout
