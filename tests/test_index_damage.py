"""A damaged index is refused, never answered from, and the next build reads the files again.

Each case damages a copy of a good index the way a disk, a copy or a person can: files truncated,
missing, flipped or swapped (caught by the manifest's sizes and checksums), and arrays that are
wrong in a self-consistent way, as a bug in a build would write them, with the manifest rewritten
to match (caught by the invariants). For each: ``SearchIndex.load`` raises ``IndexDamaged``,
``reportqa ask`` and ``reportqa check`` exit 4 with one line, and ``build_index`` notices, rebuilds
from the report files, and the rebuilt index answers as a fresh one does."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from reportqa.answers.compose import answer_question
from reportqa.channels.cli import commands as cli
from reportqa.domain.stored_words import WORDS_NAME
from reportqa.errors import IndexDamaged
from reportqa.index import database as store
from reportqa.index.builder import build_index
from reportqa.index.checks import MANIFEST_NAME, file_crc32, verified_load
from reportqa.retrieval.searcher import SearchIndex
from reportqa.settings import Settings
from tests.conftest import index_copy_of_seeds

runner = CliRunner()
QUESTION = "大足区应急管理局2021年开展了几场法治宣传教育活动"
EXPECTED_SOURCE = "004_c1f201046002a3b5.txt"


def arrays_of(generation: Path) -> dict[str, np.ndarray]:
    with np.load(generation / store.TERMS_NAME) as npz:
        return {name: npz[name] for name in npz.files}


def save_arrays(generation: Path, arrays: dict[str, np.ndarray]) -> None:
    np.savez(generation / store.TERMS_NAME, **arrays)


def vocab_of(generation: Path) -> list[str]:
    return json.loads((generation / store.VOCAB_NAME).read_text(encoding="utf-8"))


def save_vocab(generation: Path, vocab: list[str]) -> None:
    (generation / store.VOCAB_NAME).write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")


def remanifest(generation: Path) -> None:
    """Record the files as they are now: the damage is then one only the invariants can see."""
    path = generation / MANIFEST_NAME
    manifest = json.loads(path.read_text(encoding="utf-8"))
    for name, record in manifest["files"].items():
        if (generation / name).exists():
            record.update(size=(generation / name).stat().st_size, crc32=file_crc32(generation / name))
    path.write_text(json.dumps(manifest), encoding="utf-8")


def change_array(name: str, change: Callable[[np.ndarray], np.ndarray | None]) -> Callable[[Path], None]:
    def damage(generation: Path) -> None:
        arrays = arrays_of(generation)
        changed = change(arrays[name].copy())
        if changed is None:
            del arrays[name]
        else:
            arrays[name] = changed
        save_arrays(generation, arrays)
    return damage


def truncate(name: str) -> Callable[[Path], None]:
    def damage(generation: Path) -> None:
        path = generation / name
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return damage


def flip_byte(name: str) -> Callable[[Path], None]:
    def damage(generation: Path) -> None:
        data = bytearray((generation / name).read_bytes())
        data[len(data) // 2] ^= 0x5A
        (generation / name).write_bytes(bytes(data))
    return damage


def delete(name: str) -> Callable[[Path], None]:
    return lambda generation: (generation / name).unlink()


def shuffled(values: np.ndarray) -> np.ndarray:
    return np.random.default_rng(7).permutation(values)


def swap_within_a_term(generation: Path) -> None:
    arrays = arrays_of(generation)
    indptr, docs = arrays["post_indptr"], arrays["post_docs"]
    term = int(np.argmax(np.diff(indptr)))  # the commonest term: many postings to swap
    start = int(indptr[term])
    docs[start], docs[start + 1] = docs[start + 1], docs[start]
    save_arrays(generation, arrays)


def another_builds_database(other: Path) -> Callable[[Path], None]:
    def damage(generation: Path) -> None:
        shutil.copy(other / store.DB_NAME, generation / store.DB_NAME)
    return damage


def unknown_report(values: np.ndarray) -> np.ndarray:
    values[-1] = 999_999
    return values


def set_first(value: object) -> Callable[[np.ndarray], np.ndarray]:
    def change(values: np.ndarray) -> np.ndarray:
        values[0] = value
        return values
    return change


# name → (damage, rewrite the manifest to match)
FILE_DAMAGE: dict[str, Callable[[Path], None]] = {
    "terms truncated": truncate(store.TERMS_NAME),
    "terms byte flipped": flip_byte(store.TERMS_NAME),
    "terms missing": delete(store.TERMS_NAME),
    "vocab truncated": truncate(store.VOCAB_NAME),
    "vocab missing": delete(store.VOCAB_NAME),
    "vocab reversed": lambda g: save_vocab(g, vocab_of(g)[::-1]),
    "weights shuffled": change_array("post_weights", shuffled),
    "passage ids off by one": change_array("passage_ids", lambda v: v + 1),
    "words byte flipped": flip_byte(WORDS_NAME),
    "words missing": delete(WORDS_NAME),
    "database truncated": truncate(store.DB_NAME),
    "database missing": delete(store.DB_NAME),
    "manifest missing": delete(MANIFEST_NAME),
    "manifest garbage": lambda g: (g / MANIFEST_NAME).write_bytes(b"\xff\xfe{not json"),
}
ARRAY_DAMAGE: dict[str, Callable[[Path], None]] = {
    "an array missing": change_array("post_weights", lambda v: None),
    "postings out of range": change_array("post_docs", lambda v: np.where(v == v.max(), v.max() + 1, v)),
    "negative postings": change_array("post_docs", lambda v: -v),
    "reversed offsets": change_array("post_indptr", lambda v: v[::-1].copy()),
    "NaN weights": change_array("post_weights", set_first(np.nan)),
    "infinite idf": change_array("post_idf", set_first(np.inf)),
    "zero term frequency": change_array("post_tf", set_first(0)),
    "document frequencies wrong": change_array("post_df", lambda v: v + 1),
    "postings out of order": swap_within_a_term,
    "empty vocabulary": lambda g: save_vocab(g, []),
    "halved vocabulary": lambda g: save_vocab(g, vocab_of(g)[: len(vocab_of(g)) // 2]),
    "duplicate vocabulary": lambda g: save_vocab(g, [vocab_of(g)[0]] * len(vocab_of(g))),
    "passage ids off by one": change_array("passage_ids", lambda v: v + 1),
    "passages of an unknown report": change_array("passage_report", unknown_report),
    "block bounds past the passages": change_array("block_ids", lambda v: v + 10_000),
    "negative block bound": change_array("block_max", set_first(-1.0)),
    "block offsets reversed": change_array("block_indptr", lambda v: v[::-1].copy()),
}
BUILD_ONLY = {"zero term frequency"}  # in post_tf, which only a build reads
POINTER_DAMAGE: dict[str, Callable[[Path], None]] = {
    "CURRENT garbage": lambda d: (d / store.CURRENT_NAME).write_bytes(b"\x00\xff\xfegarbage"),
    "CURRENT a folder": lambda d: ((d / store.CURRENT_NAME).unlink(), (d / store.CURRENT_NAME).mkdir()),
    "CURRENT names a missing generation": lambda d: (d / store.CURRENT_NAME).write_text("gen-20200101T000000-abcdef\n"),
    "CURRENT points outside": lambda d: (d / store.CURRENT_NAME).write_text("../../etc\n"),
}


@pytest.fixture(scope="module")
def good_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A sound index of the sample reports, another index of two of them, and the reports."""
    root = tmp_path_factory.mktemp("damage")
    _, reports, settings = index_copy_of_seeds(root)
    subset = root / "subset"
    subset.mkdir()
    for seed in sorted(reports.glob("*.txt"))[:2]:
        shutil.copy(seed, subset / seed.name)
    asyncio.run(build_index(subset, root / "other", settings.model_copy(update={"index_dir": root / "other"})))
    return root / "index", store.current_generation(root / "other"), reports


def damaged_copy(tmp_path: Path, good_index: tuple[Path, Path, Path], damage: Callable[[Path], None],
                 rewrite_manifest: bool, pointer: bool = False) -> tuple[Path, Settings]:
    index_dir = tmp_path / "index"
    shutil.copytree(good_index[0], index_dir)
    generation = store.current_generation(index_dir)
    assert generation is not None
    if pointer:
        damage(index_dir)
    else:
        damage(generation)
        if rewrite_manifest:
            remanifest(generation)
    return index_dir, Settings(index_dir=index_dir, reports_dir=good_index[2], _env_file=None)


async def answer_after_rebuild(index_dir: Path, settings: Settings, reports: Path) -> None:
    summary = await build_index(reports, index_dir, settings)  # an incremental build, as cron runs it
    assert summary.changed and summary.rebuilt_because, summary
    assert summary.reports == 5 and len(summary.parsed) == 5  # every file read again, nothing carried
    verified_load(store.current_generation(index_dir), deep=True, integrity=True)
    searcher = await SearchIndex.load(index_dir, settings)
    try:
        answer = await answer_question(searcher, QUESTION)
        assert answer.results and answer.results[0].report.source == EXPECTED_SOURCE
    finally:
        await searcher.close()


def refused_then_rebuilt(index_dir: Path, settings: Settings, reports: Path,
                         monkeypatch: pytest.MonkeyPatch, answers_affected: bool = True) -> str:
    """``answers_affected``: False for arrays only a build reads (the raw frequencies), which
    answering never does: ``ask`` may answer (rightly), ``check`` and the next build must not pass."""
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    commands = [["check", "--index-dir", str(index_dir)]]
    if answers_affected:
        with pytest.raises(IndexDamaged) as refused:
            asyncio.run(SearchIndex.load(index_dir, settings))
        reason = str(refused.value)
        assert "damaged" in reason or "does not name" in reason or "folder" in reason or "missing" in reason
        commands.append(["ask", QUESTION, "--index-dir", str(index_dir)])
    else:
        reason = runner.invoke(cli.app, commands[0]).output
    for args in commands:
        result = runner.invoke(cli.app, args)
        assert result.exit_code == 4, (args, result.output)
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), result.output
        assert "Traceback" not in result.output
    asyncio.run(answer_after_rebuild(index_dir, settings, reports))
    return reason


@pytest.mark.parametrize("case", list(FILE_DAMAGE))
def test_damaged_files_are_refused_and_rebuilt(tmp_path: Path, good_index, case: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    index_dir, settings = damaged_copy(tmp_path, good_index, FILE_DAMAGE[case], rewrite_manifest=False)
    refused_then_rebuilt(index_dir, settings, good_index[2], monkeypatch)


@pytest.mark.parametrize("case", list(ARRAY_DAMAGE))
def test_wrong_arrays_are_refused_and_rebuilt(tmp_path: Path, good_index, case: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    index_dir, settings = damaged_copy(tmp_path, good_index, ARRAY_DAMAGE[case], rewrite_manifest=True)
    refused_then_rebuilt(index_dir, settings, good_index[2], monkeypatch, case not in BUILD_ONLY)


def test_a_database_from_another_index_is_refused(tmp_path: Path, good_index,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    damage = another_builds_database(good_index[1])
    index_dir, settings = damaged_copy(tmp_path, good_index, damage, rewrite_manifest=True)
    reason = refused_then_rebuilt(index_dir, settings, good_index[2], monkeypatch)
    assert "another build" in reason


@pytest.mark.parametrize("case", list(POINTER_DAMAGE))
def test_a_damaged_pointer_is_refused_and_replaced(tmp_path: Path, good_index, case: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    index_dir, settings = damaged_copy(tmp_path, good_index, POINTER_DAMAGE[case], rewrite_manifest=False,
                                       pointer=True)
    refused_then_rebuilt(index_dir, settings, good_index[2], monkeypatch)
    assert (index_dir / store.CURRENT_NAME).is_file()


def test_check_passes_a_sound_index(good_index, monkeypatch: pytest.MonkeyPatch) -> None:
    result = runner.invoke(cli.app, ["check", "--index-dir", str(good_index[0]), "--json"])
    assert result.exit_code == 0, result.output
    verdict = json.loads(result.output)
    assert verdict["ok"] and verdict["reports"] == 5 and verdict["passages"] > 0 and verdict["problem"] is None


def test_debug_shows_the_traceback(tmp_path: Path, good_index, monkeypatch: pytest.MonkeyPatch) -> None:
    index_dir, settings = damaged_copy(tmp_path, good_index, FILE_DAMAGE["terms byte flipped"], False)
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    result = runner.invoke(cli.app, ["--debug", "ask", QUESTION, "--index-dir", str(index_dir)])
    assert result.exit_code == 4
    assert "Traceback" in result.output and result.output.rstrip().splitlines()[-1].startswith("error: ")


async def test_the_bot_keeps_serving_its_good_index_when_a_damaged_one_is_published(
    tmp_path: Path, good_index, caplog: pytest.LogCaptureFixture
) -> None:
    from reportqa.retrieval.serving import IndexHolder

    index_dir = tmp_path / "index"
    shutil.copytree(good_index[0], index_dir)
    good = store.current_generation(index_dir)
    bad = index_dir / "gen-20991231T000000-bad000"
    shutil.copytree(good, bad)
    flip_byte(store.TERMS_NAME)(bad)
    holder = IndexHolder(Settings(index_dir=index_dir, reports_dir=good_index[2], _env_file=None))
    try:
        serving = await holder.get()
        store.publish(index_dir, bad)  # what a build whose output was damaged on disk would leave
        assert await holder.get() is serving  # refused: the good one goes on answering
        assert await holder.get() is serving  # and the refusal is not re-checked on every question
        assert sum("not serving the new index" in r.message for r in caplog.records) == 1
        assert (await answer_question(serving, QUESTION)).results[0].report.source == EXPECTED_SOURCE
    finally:
        await holder.close()


async def test_a_bot_with_only_a_damaged_index_says_so(tmp_path: Path, good_index, make_bot) -> None:
    from tests.fake_telegram import message

    index_dir, _ = damaged_copy(tmp_path, good_index, FILE_DAMAGE["vocab reversed"], rewrite_manifest=False)
    bot = await make_bot(index_dir=index_dir)
    [reply] = await bot.ask(message("执法培训"))
    assert "索引已损坏" in reply.params["text"] and "/reindex" in reply.params["text"]
    assert all(isinstance(e, IndexDamaged) for e in bot.errors)
    bot.errors.clear()  # the expected refusals, not failures


def test_ids_after_a_rebuild_from_damage_never_name_an_old_passage(tmp_path: Path, good_index,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A bot's buttons name passages and reports by id: after a rebuild they must find theirs gone,
    never another passage in its place."""
    index_dir, settings = damaged_copy(tmp_path, good_index, FILE_DAMAGE["weights shuffled"], False)
    old_ids = arrays_of(store.current_generation(good_index[0]))["passage_ids"]
    asyncio.run(build_index(good_index[2], index_dir, settings))
    new = arrays_of(store.current_generation(index_dir))
    assert new["passage_ids"].min() > old_ids.max() and new["passage_report"].min() > 5
