"""`reportqa index`: incremental builds, bad files skipped, the previous index kept on failure."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from reportqa.answers.compose import answer_question
from reportqa.index import builder as indexer
from reportqa.index import database as store
from reportqa.index.builder import build_index
from reportqa.settings import Settings
from tests.seed_metadata import SEED_UNITS


def build(reports: Path, settings: Settings, **kwargs):
    return asyncio.run(build_index(reports, settings.index_dir, settings, **kwargs))


def test_seed_index_summary(reports_copy: Path, settings: Settings) -> None:
    summary = build(reports_copy, settings)
    assert summary.changed
    assert summary.reports == 5
    assert len(summary.parsed) == 5
    assert summary.units == SEED_UNITS
    assert summary.unknown_unit_reports == 1
    assert summary.years == [2021, 2023]
    assert summary.passages > 40
    assert store.current_generation(settings.index_dir) is not None


def test_second_run_parses_nothing(reports_copy: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    build(reports_copy, settings)
    first = store.current_generation(settings.index_dir)

    def fail(*args, **kwargs):
        raise AssertionError("parsed again")

    monkeypatch.setattr(indexer, "parse_report", fail)
    summary = build(reports_copy, settings)
    assert not summary.changed
    assert summary.parsed == []
    assert summary.reused == 5
    assert store.current_generation(settings.index_dir) == first


def test_unchanged_files_are_not_even_read(
    reports_copy: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Size and mtime as the last build saw them: the stored hash is trusted, the file not read."""
    build(reports_copy, settings)
    hashed: list[int] = []
    original = indexer.file_sha256

    def spy(path: Path | str, root: Path | str | None = None) -> str:
        hashed.append(os.stat(path).st_size)
        return original(path, root)

    monkeypatch.setattr(indexer, "file_sha256", spy)
    assert not build(reports_copy, settings).changed
    assert hashed == []
    touched = reports_copy / "001_525c5565d93138a1.txt"
    touched.touch()  # same content, new mtime: hashed again, still not parsed
    summary = build(reports_copy, settings)
    assert len(hashed) == 1
    assert not summary.changed


async def _passage_texts(index_dir: Path) -> dict[str, list[str]]:
    generation = store.current_generation(index_dir)
    assert generation is not None
    db = await store.connect(generation / store.DB_NAME, readonly=True)
    try:
        out: dict[str, list[str]] = {}
        async with db.execute(
            "SELECT r.source, p.text FROM passages p JOIN reports r ON r.id = p.report_id ORDER BY p.id"
        ) as cursor:
            async for source, text in cursor:
                out.setdefault(source, []).append(text)
        return out
    finally:
        await db.close()


def test_changed_file_replaced_deleted_removed_new_added(
    reports_copy: Path, settings: Settings, seeds_dir: Path
) -> None:
    build(reports_copy, settings)
    changed = reports_copy / "002_e4b091e3fb9e6599.txt"
    changed.write_text(changed.read_text(encoding="utf-8").replace("共设有10个窗口", "共设有12个窗口"), encoding="utf-8")
    (reports_copy / "000_95c7b36e77b4132c.txt").unlink()
    sub = reports_copy / "2024"
    sub.mkdir()
    (sub / "new.txt").write_text("某某街道办事处2024年法治政府建设情况报告\n一、主要举措\n（一）组织执法培训。培训5次，参训干部80人次。\n",
                                 encoding="utf-8")
    summary = build(reports_copy, settings)
    assert sorted(summary.parsed) == ["002_e4b091e3fb9e6599.txt", "2024/new.txt"]  # read again: only these
    assert summary.removed == ["000_95c7b36e77b4132c.txt"]
    assert summary.reports == 5
    texts = asyncio.run(_passage_texts(settings.index_dir))
    assert "000_95c7b36e77b4132c.txt" not in texts
    assert any("共设有12个窗口" in t for t in texts["002_e4b091e3fb9e6599.txt"])
    assert not any("共设有10个窗口" in t for t in texts["002_e4b091e3fb9e6599.txt"])
    assert "2024/new.txt" in texts


def test_incremental_index_equals_full_rebuild(reports_copy: Path, settings: Settings, tmp_path: Path) -> None:
    """Term statistics copied for unchanged reports give the same BM25 postings as a fresh build."""
    build(reports_copy, settings)
    changed = reports_copy / "004_c1f201046002a3b5.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + "\n（七）新增段落。组织执法培训2次。\n", encoding="utf-8")
    build(reports_copy, settings)
    fresh = settings.model_copy(update={"index_dir": tmp_path / "fresh"})
    build(reports_copy, fresh)

    def scores(index_dir: Path, question: str) -> dict[str, float]:
        from reportqa.retrieval.searcher import SearchIndex

        async def run() -> dict[str, float]:
            index = await SearchIndex.load(index_dir, settings)
            try:
                answer = await answer_question(index, question, top_k=50)
                return {f"{r.report.source}#{r.ordinal}": round(r.score, 4) for r in answer.results}
            finally:
                await index.close()

        return asyncio.run(run())

    for question in ("执法培训", "法律顾问", "双随机一公开"):
        assert scores(settings.index_dir, question) == scores(fresh.index_dir, question)


def test_duplicate_content_stored_once_and_reported(reports_copy: Path, settings: Settings) -> None:
    shutil.copy(reports_copy / "003_dcdaca7f04dbe387.txt", reports_copy / "zz_copy.txt")
    summary = build(reports_copy, settings)
    assert summary.reports == 5
    assert summary.duplicates == [("zz_copy.txt", "003_dcdaca7f04dbe387.txt")]


def test_bad_files_are_reported_and_the_rest_indexes(reports_copy: Path, settings: Settings) -> None:
    (reports_copy / "empty.txt").write_bytes(b"")
    (reports_copy / "binary.txt").write_bytes(bytes(range(256)) * 50)
    (reports_copy / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    (reports_copy / "notes.xlsx").write_bytes(b"x")
    (reports_copy / ".hidden.txt").write_text("2021年报告", encoding="utf-8")
    loop = reports_copy / "loop"
    loop.symlink_to(reports_copy, target_is_directory=True)
    summary = build(reports_copy, settings)
    reasons = {s.source: s.reason for s in summary.skipped}
    assert reasons["empty.txt"] == "empty file"
    assert "binary" in reasons["binary.txt"]
    assert "corrupt .docx" in reasons["broken.docx"]
    assert "unsupported" in reasons["notes.xlsx"]
    assert "hidden" in reasons[".hidden.txt"]
    assert "not followed" in reasons["loop/"]
    assert summary.reports == 5
    # a second run reads the bad files' bytes but does not try to parse them again
    again = build(reports_copy, settings)
    assert not again.changed
    assert {s.source for s in again.skipped} == set(reasons)


def test_unreadable_file_is_reported(reports_copy: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    locked = reports_copy / "locked.txt"
    locked.write_text("2021年法治政府建设情况报告", encoding="utf-8")
    locked.chmod(0)
    original = os.open

    def refuse(path, *args, **kwargs):  # chmod 0 means nothing to root, so refuse the read here
        if os.path.basename(path) == "locked.txt":
            raise PermissionError(13, "Permission denied")
        return original(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    summary = build(reports_copy, settings)
    reasons = {s.source: s.reason for s in summary.skipped}
    assert reasons["locked.txt"].startswith("cannot read")
    assert summary.reports == 5


def test_a_failed_build_leaves_the_previous_index_serving(
    reports_copy: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(reports_copy, settings)
    served = store.current_generation(settings.index_dir)
    (reports_copy / "new.txt").write_text("2022年法治政府建设情况报告\n一、举措\n正文内容足够长。" * 3, encoding="utf-8")

    def crash(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(indexer, "weigh", crash)
    with pytest.raises(RuntimeError):
        build(reports_copy, settings)
    assert store.current_generation(settings.index_dir) == served
    assert [p.name for p in settings.index_dir.glob("gen-*")] == [served.name]
    monkeypatch.undo()
    summary = build(reports_copy, settings)
    assert summary.reports == 6


def test_terms_arrays_line_up_with_sqlite(reports_copy: Path, settings: Settings) -> None:
    build(reports_copy, settings)
    generation = store.current_generation(settings.index_dir)
    with np.load(generation / store.TERMS_NAME) as arrays:
        ids = arrays["passage_ids"]
        assert list(ids) == sorted(ids)
        assert len(arrays["post_tf"]) == len(arrays["post_docs"]) == arrays["post_indptr"][-1]
        assert arrays["post_docs"].max() < len(ids)
        assert len(arrays["passage_kind"]) == len(ids)
