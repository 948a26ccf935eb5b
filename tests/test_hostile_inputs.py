"""Hostile names, encodings, trees, questions and concurrency (issue 12): the library keeps working.

Each case is built here, small: a file name in GBK bytes, a metadata.csv saved by Excel on Chinese
Windows, a folder tree 1,100 deep, questions of random Unicode (surrogates, controls), a GBK batch
file, two adds of one name at once, an index served from a folder nobody may write.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from reportqa.answers.compose import answer_question
from reportqa.answers.question import clean_question
from reportqa.channels.cli import commands as cli
from reportqa.index import database as store
from reportqa.index.builder import build_index
from reportqa.index.library import _place
from reportqa.settings import BUNDLED_CONFIG_DIR, Settings

REPORT = "2021年法治政府建设情况报告\n一、主要举措\n（一）开展执法培训。组织执法人员培训3期，参训90人次。\n"
runner = CliRunner()


def build(reports: Path, index_dir: Path) -> dict:
    settings = Settings(index_dir=index_dir, reports_dir=reports, config_dir=BUNDLED_CONFIG_DIR, _env_file=None)
    summary = asyncio.run(build_index(reports, index_dir, settings))
    return {"units": summary.units, "skipped": {s.source: s.reason for s in summary.skipped},
            "reports": summary.reports, "settings": settings}


def test_a_file_name_that_is_not_utf8_is_indexed_under_a_readable_name(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "a.txt").write_text("重庆市大足区司法局\n" + REPORT, encoding="utf-8")
    gbk_name = "应急管理局2021.txt".encode("gbk")
    with open(os.path.join(os.fsencode(reports), gbk_name), "wb") as handle:
        handle.write(("重庆市大足区应急管理局\n" + REPORT).encode("utf-8"))
    built = build(reports, tmp_path / "index")
    assert built["reports"] == 2 and built["skipped"] == {}
    assert "重庆市大足区应急管理局" in built["units"]


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-16"])
def test_metadata_csv_in_the_encodings_excel_saves(tmp_path: Path, encoding: str) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "a.txt").write_text(REPORT, encoding="utf-8")
    (reports / "metadata.csv").write_bytes("file,unit,year,date,region\na.txt,重庆市永川区司法局,,,\n".encode(encoding))
    assert build(reports, tmp_path / "index")["units"] == ["重庆市永川区司法局"]


@pytest.mark.parametrize(("content", "reason"), [
    (bytes(range(256)) * 8, "binary"),  # named, skipped
    ("file,unit\na.txt,重庆市永川区司法局,extra,cells\nshort\n,,\n".encode("gbk"), None),  # ragged rows: read
])
def test_an_unreadable_metadata_csv_is_named_and_the_reports_index(tmp_path: Path, content: bytes,
                                                                   reason: str | None) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "a.txt").write_text(REPORT, encoding="utf-8")
    (reports / "metadata.csv").write_bytes(content)
    summary = build(reports, tmp_path / "index")
    assert summary["reports"] == 1
    if reason is None:
        assert summary["skipped"] == {} and summary["units"] == ["重庆市永川区司法局"]
    else:
        assert list(summary["skipped"]) == ["metadata.csv"] and reason in summary["skipped"]["metadata.csv"]


def test_a_folder_tree_a_thousand_deep_is_skipped_and_the_rest_indexes(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "a.txt").write_text("重庆市大足区司法局\n" + REPORT, encoding="utf-8")
    folder = os.fsencode(reports)
    fd = os.open(folder, os.O_RDONLY)
    try:
        for _ in range(1100):  # relative to an open folder: no path grows beyond the system's limit
            os.mkdir(b"d", dir_fd=fd)
            inner = os.open(b"d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        deep = os.open(b"deep.txt", os.O_WRONLY | os.O_CREAT, dir_fd=fd)
        os.write(deep, REPORT.encode())
        os.close(deep)
    finally:
        os.close(fd)
    try:
        built = build(reports, tmp_path / "index")
        assert built["reports"] == 1
        assert any("nested deeper" in reason for reason in built["skipped"].values())
    finally:
        subprocess.run(["rm", "-rf", str(reports / "d")], check=True)


def test_two_adds_of_one_name_at_once_keep_both(tmp_path: Path) -> None:
    folder = tmp_path / "uploads"
    folder.mkdir()
    sources = []
    for i in range(8):
        source = tmp_path / f"s{i}.txt"
        source.write_text(f"{REPORT}第{i}份。", encoding="utf-8")
        sources.append(source)
    placed: list[Path] = []
    barrier = threading.Barrier(len(sources))

    def add(source: Path) -> None:
        barrier.wait()
        placed.append(_place(source, folder, "same.txt"))

    threads = [threading.Thread(target=add, args=(s,)) for s in sources]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({p.name for p in placed}) == len(sources)  # eight names, none overwritten
    contents = {p.read_text(encoding="utf-8") for p in placed}
    assert len(contents) == len(sources)


def test_an_index_is_served_from_a_folder_nobody_may_write(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "a.txt").write_text("重庆市大足区司法局\n" + REPORT, encoding="utf-8")
    index_dir = tmp_path / "index"
    built = build(reports, index_dir)
    generation = store.current_generation(index_dir)
    assert generation is not None
    before = sorted(p.name for p in generation.iterdir())
    assert not any(name.endswith(("-wal", "-shm")) for name in before)  # one self-contained file

    async def ask() -> int:
        from reportqa.retrieval.searcher import SearchIndex

        index = await SearchIndex.load(index_dir, built["settings"])
        try:
            return len((await answer_question(index, "执法培训")).results)
        finally:
            await index.close()

    assert asyncio.run(ask()) == 1
    assert sorted(p.name for p in generation.iterdir()) == before  # serving wrote nothing beside it


@given(st.text(alphabet=st.characters(codec=None, categories=None), max_size=300))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_question_at_all_is_answered_without_an_exception(searcher, question: str) -> None:
    """Random Unicode — lone surrogates, controls, bidi overrides, emoji — through the function the
    CLI and the bot use."""
    answer = asyncio.run(_answer(searcher, question))
    json.dumps(answer.to_json(), ensure_ascii=False).encode("utf-8")  # what ask --json prints


async def _answer(searcher, question: str):
    return await answer_question(searcher, question)


def test_clean_question_takes_out_what_cannot_be_searched() -> None:
    assert clean_question("执法\ud800培训\u202e\x00 \n 2021") == "执法培训 2021"


def test_batch_files_in_other_encodings_and_a_bad_date(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     settings: Settings) -> None:
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    for encoding in ("gbk", "utf-16"):
        batch = tmp_path / f"q-{encoding}.txt"
        batch.write_bytes("执法培训\n法律顾问\n".encode(encoding))
        result = runner.invoke(cli.app, ["ask", "--batch", str(batch), "--json"])
        assert result.exit_code == 0, result.output
        lines = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
        assert [line["question"] for line in lines] == ["执法培训", "法律顾问"]
    result = runner.invoke(cli.app, ["ask", "--batch", "-", "--json"], input="执法培训\n")
    assert result.exit_code == 0 and json.loads(result.output.splitlines()[-1])["question"] == "执法培训"
    bad = runner.invoke(cli.app, ["ask", "执法", "--today", "2021-13-45"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
