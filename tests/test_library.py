"""Adding and removing reports (``reportqa add`` / ``remove``, the bot's uploads)."""

from __future__ import annotations

import random
import unicodedata
from pathlib import Path

import pytest

from reportqa.index import database as store
from reportqa.index.builder import build_index
from reportqa.index.library import add_report, remove_report, resolve_report, safe_report_name
from reportqa.settings import Settings
from tests.conftest import SAMPLE_REPORTS

REPORT = "重庆市某某区林业局\n2024年法治政府建设情况报告\n一、主要工作\n（一）开展森林防火执法培训3期，参训95人次。\n"


@pytest.mark.parametrize(("given", "kept"), [
    ("../../etc/passwd.txt", "etc_passwd.txt"),
    ("..\\..\\boot.ini.PDF", "boot_ini.pdf"),
    (".bashrc.txt", "bashrc.txt"),
    ("2024年 报告（终稿）.DOCX", "2024年_报告(终稿).docx"),
    ("a\u202etxt.exe", "atxt.exe"),
    ("", "report"),
])
def test_safe_report_names(given: str, kept: str) -> None:
    assert safe_report_name(given) == kept


def test_no_name_escapes_the_folder() -> None:
    rng = random.Random(5)
    alphabet = "./\\<>:\"|?*\n\r\t\x00\u202e\u200b 报告abc.."
    for _ in range(2000):
        name = safe_report_name("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))))
        assert name and "/" not in name and "\\" not in name and not name.startswith(".")
        assert all(unicodedata.category(ch)[0] != "C" for ch in name)
        assert len(name) <= 90


@pytest.fixture
def library(settings: Settings, reports_copy: Path) -> Settings:
    return settings.model_copy(update={"reports_dir": reports_copy})


async def test_add_then_remove(library: Settings, reports_copy: Path, tmp_path: Path) -> None:
    await build_index(reports_copy, library.index_dir, library)
    incoming = tmp_path / "x.txt"
    incoming.write_text(REPORT, encoding="utf-8")
    added = await add_report(library, incoming, "林业局.txt")
    assert added.status == "added" and added.source == "uploads/林业局.txt"
    assert (added.unit, added.year, added.passages) == ("重庆市某某区林业局", 2024, 1)
    assert added.index and added.index["reports"] == 6

    again = await add_report(library, incoming, "another-name.txt")
    assert again.status == "duplicate" and again.source == "uploads/林业局.txt"
    assert sorted(p.name for p in (reports_copy / "uploads").iterdir()) == ["林业局.txt"]

    gone = await remove_report(library, "林业局")
    assert gone.status == "removed" and gone.unit == "重庆市某某区林业局"
    assert gone.index and gone.index["reports"] == 5
    assert list((reports_copy / ".removed").rglob("林业局.txt"))


async def test_the_librarys_own_state_is_never_a_report(library: Settings, reports_copy: Path, tmp_path: Path) -> None:
    """Issue 32: add and remove leave no lock file and no empty uploads/, and the removed reports kept
    in .removed/ (or a lock file an earlier version left, or a copy being made) are never listed as
    skipped reports by a later index."""
    await build_index(reports_copy, library.index_dir, library)
    incoming = tmp_path / "x.txt"
    incoming.write_text(REPORT, encoding="utf-8")
    assert (await add_report(library, incoming, "林业局.txt")).status == "added"
    assert (await remove_report(library, "林业局")).status == "removed"
    names = sorted(p.name for p in reports_copy.iterdir())
    assert names == [".removed", *sorted(SAMPLE_REPORTS)]  # no .library.lock, no empty uploads/
    (reports_copy / ".library.lock").write_text("")  # left by an earlier version
    (reports_copy / "uploads").mkdir()
    (reports_copy / "uploads" / ".0a1b2c3d.part").write_text("half a copy")
    summary = await build_index(reports_copy, library.index_dir, library)
    assert summary.skipped == [] and summary.reports == 5
    (reports_copy / ".hidden.txt").write_text("a hidden file of the user's")  # still said
    assert [s.source for s in (await build_index(reports_copy, library.index_dir, library)).skipped] == [".hidden.txt"]


async def test_unreadable_or_unsupported_files_change_nothing(library: Settings, reports_copy: Path,
                                                             tmp_path: Path) -> None:
    await build_index(reports_copy, library.index_dir, library)
    served = store.current_generation(library.index_dir)
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04 not a zip")
    outcome = await add_report(library, broken)
    assert outcome.status == "unreadable" and "corrupt" in (outcome.reason or "")
    program = tmp_path / "setup.exe"
    program.write_bytes(b"MZ")
    assert (await add_report(library, program)).status == "refused"
    assert store.current_generation(library.index_dir) == served
    assert not (reports_copy / "uploads").exists()


def test_resolving_a_name(reports_copy: Path) -> None:
    assert resolve_report(reports_copy, "003_dcdaca7f04dbe387.txt") == ("003_dcdaca7f04dbe387.txt", [])
    assert resolve_report(reports_copy, "dcdaca") == ("003_dcdaca7f04dbe387.txt", [])
    source, candidates = resolve_report(reports_copy, "00")
    assert source is None and len(candidates) == 5
    assert resolve_report(reports_copy, "nothing-like-it") == (None, [])
