"""Serving loads a checked generation without reading it all again, and anything that changes a
file since makes it checked again in full (index_check's ``.verified.json``); arrays are
memory-mapped (mapped_arrays.py)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import numpy as np
import pytest

from reportqa.errors import IndexDamaged
from reportqa.index import checks as index_check
from reportqa.index import database as store
from reportqa.index.arrays import load_arrays
from reportqa.index.checks import VERIFIED_NAME, verified_load
from reportqa.retrieval.searcher import SearchIndex
from reportqa.settings import Settings
from tests.conftest import index_copy_of_seeds


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, Settings]:
    index_dir, _, settings = index_copy_of_seeds(tmp_path)
    return index_dir, settings


def no_full_check(*args: object, **kwargs: object) -> list[str]:
    raise AssertionError("the files were checked again")


def test_a_build_remembers_what_it_checked_and_serving_trusts_it(built, monkeypatch: pytest.MonkeyPatch) -> None:
    index_dir, settings = built
    generation = store.current_generation(index_dir)
    remembered = json.loads((index_dir / VERIFIED_NAME).read_text(encoding="utf-8"))
    assert remembered[generation.name]["deep"] is True
    monkeypatch.setattr(index_check, "check_files", no_full_check)
    monkeypatch.setattr(index_check, "check_arrays", no_full_check)
    searcher = asyncio.run(SearchIndex.load(index_dir, settings))
    asyncio.run(searcher.close())
    verified_load(generation, deep=True, remember=True)  # the next build's check of it, too
    with pytest.raises(AssertionError):  # `reportqa check` always reads everything
        verified_load(generation, deep=True, integrity=True, remember=True)


@pytest.mark.parametrize("name", [store.TERMS_NAME, store.VOCAB_NAME, "words.sqlite3"])
def test_a_file_changed_after_the_check_is_checked_again(built, name: str) -> None:
    index_dir, settings = built
    generation = store.current_generation(index_dir)
    path = generation / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x5A  # same size, same name: only its change time tells
    path.write_bytes(bytes(data))
    with pytest.raises(IndexDamaged, match="checksum"):
        asyncio.run(SearchIndex.load(index_dir, settings))


def test_a_remembered_stamp_of_another_build_is_not_trusted(built, monkeypatch: pytest.MonkeyPatch) -> None:
    index_dir, settings = built
    generation = store.current_generation(index_dir)
    path = index_dir / VERIFIED_NAME
    remembered = json.loads(path.read_text(encoding="utf-8"))
    remembered[generation.name]["build_id"] = "0" * 32
    path.write_text(json.dumps(remembered), encoding="utf-8")
    calls = []
    real = index_check.check_files
    monkeypatch.setattr(index_check, "check_files", lambda *a, **k: calls.append(1) or real(*a, **k))
    searcher = asyncio.run(SearchIndex.load(index_dir, settings))
    asyncio.run(searcher.close())
    assert calls  # checked in full, and remembered again
    assert json.loads(path.read_text(encoding="utf-8"))[generation.name]["build_id"] != "0" * 32


def test_arrays_are_mapped_and_equal_to_a_plain_load(tmp_path: Path) -> None:
    arrays = {"a": np.arange(1000, dtype=np.int32), "b": np.linspace(0, 1, 77), "empty": np.empty(0, np.uint16),
              "matrix": np.arange(12, dtype=np.float32).reshape(3, 4)}
    np.savez(tmp_path / "x.npz", **arrays)
    mapped = load_arrays(tmp_path / "x.npz", ["a", "b", "empty", "matrix", "absent"])
    assert set(mapped) == set(arrays)
    for name, values in arrays.items():
        assert np.array_equal(mapped[name], values) and mapped[name].dtype == values.dtype
        assert not mapped[name].flags.writeable
    assert isinstance(mapped["a"].base, np.memmap) or isinstance(mapped["a"].base.base, np.memmap)
    np.savez_compressed(tmp_path / "z.npz", **arrays)  # deflated members are read the ordinary way
    read = load_arrays(tmp_path / "z.npz", list(arrays))
    assert all(np.array_equal(read[name], values) for name, values in arrays.items())
