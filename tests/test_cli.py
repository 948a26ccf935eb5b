"""The command line contract: index, ask (--json, --batch), chat, inspect."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reportqa.channels.cli import commands as cli
from reportqa.index import database as store
from reportqa.settings import Settings
from tests.seed_metadata import SEED_METADATA

runner = CliRunner()
BANNED = ("哒哒", "paidbegin", "paidend", "bookmark", "会员", "客服", "cwk", "4367")


@pytest.fixture
def cli_settings(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    return settings


def inspect(path: Path) -> dict:
    result = runner.invoke(cli.app, ["inspect", str(path), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.parametrize(("seed", "unit", "year", "date"), SEED_METADATA)
def test_inspect_each_seed(seeds_dir: Path, cli_settings: Settings, seed: str, unit, year, date) -> None:
    data = inspect(seeds_dir / seed)
    assert (data["meta"]["unit"], data["meta"]["year"], data["meta"]["date"]) == (unit, year, date)
    assert data["passages"]
    for passage in data["passages"]:
        assert passage["section"]  # a heading path, or 前言 for the preamble
        lowered = passage["text"].lower()
        assert not any(word.lower() in lowered for word in BANNED), passage["text"]
    if seed.startswith("003"):
        text = "\n".join(p["text"] for p in data["passages"])
        assert "党组会" in text and "D组会" not in text


def test_inspect_human_output_and_unreadable_file(tmp_path: Path, seeds_dir: Path, cli_settings: Settings) -> None:
    result = runner.invoke(cli.app, ["inspect", str(seeds_dir / "002_e4b091e3fb9e6599.txt")])
    assert result.exit_code == 0
    assert "重庆市大足区玉龙镇人民政府" in result.output and "passages" in result.output
    bad = tmp_path / "bad.txt"
    bad.write_bytes(bytes(range(256)) * 10)
    result = runner.invoke(cli.app, ["inspect", str(bad)])
    assert result.exit_code == 1
    assert "binary" in result.output


def test_index_then_ask_json_contract(reports_copy: Path, cli_settings: Settings, tmp_path: Path) -> None:
    index_dir = tmp_path / "idx"
    result = runner.invoke(cli.app, ["index", str(reports_copy), "--index-dir", str(index_dir)])
    assert result.exit_code == 0, result.output
    assert "Reports: 5" in result.output and "Years: 2021, 2023" in result.output
    again = runner.invoke(cli.app, ["index", str(reports_copy), "--index-dir", str(index_dir)])
    assert "up to date" in again.output

    batch = tmp_path / "questions.txt"
    batch.write_text("哪些单位在2021年开展了执法培训\n\n新冠疫苗接种情况\nwhich units hired legal advisers\n", encoding="utf-8")
    result = runner.invoke(cli.app, ["ask", "--json", "--index-dir", str(index_dir), "--top-k", "5", "--batch", str(batch)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert [a["question"] for a in lines] == [
        "哪些单位在2021年开展了执法培训", "新冠疫苗接种情况", "which units hired legal advisers"]
    first = lines[0]
    assert first["intent"] == "units"
    assert first["filters"] == {"years": [2021], "units": []}
    assert 3 <= len(first["results"]) <= 5
    for result_ in first["results"]:
        assert set(result_) >= {"rank", "score", "source", "unit", "year", "date", "title", "section", "text"}
        assert not Path(result_["source"]).is_absolute()
    assert lines[1]["results"] == []
    assert lines[2]["intent"] == "units"


def test_ask_builds_the_default_index_on_first_use(cli_settings: Settings) -> None:
    assert store.current_generation(cli_settings.index_dir) is None
    result = runner.invoke(cli.app, ["ask", "哪些单位在2021年开展了执法培训"])
    assert result.exit_code == 0, result.output
    assert store.current_generation(cli_settings.index_dir) is not None
    assert "重庆市大足区应急管理局" in result.output
    assert "【执法】" in result.output or "【培训】" in result.output  # matched terms marked
    assert "📄 004_c1f201046002a3b5.txt" in result.output


def test_ask_without_a_question_is_a_usage_error(cli_settings: Settings) -> None:
    result = runner.invoke(cli.app, ["ask"])
    assert result.exit_code == 2


def test_chat_turns_more_full_outline(seed_index) -> None:
    from reportqa.channels.cli.chat import ChatSession
    from reportqa.retrieval.searcher import SearchIndex

    settings, index_dir = seed_index

    async def run() -> list[str]:
        searcher = await SearchIndex.load(index_dir, settings)
        session = ChatSession(searcher, 3)
        try:
            return [await session.turn(line) for line in ("执法培训", "more", "全文 4", "目录 4", "全文 1", "全文 99")]
        finally:
            await searcher.close()

    first, more, full, outline, earlier, missing = asyncio.run(run())
    assert "第 1–3 条" in first
    assert "第 4–6 条" in more
    assert "<b>" not in full
    assert "›" in full or "前言" in full
    assert "•" in outline
    assert "›" in earlier or "前言" in earlier  # result 1 of the page before still opens
    assert "没有第 99 条" in missing


def test_chat_reads_stdin_until_eof(cli_settings: Settings) -> None:
    result = runner.invoke(cli.app, ["chat"], input="双随机一公开\nmore\nquit\n")
    assert result.exit_code == 0, result.output
    assert "双随机" in result.output
