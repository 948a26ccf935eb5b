"""Shared fixtures: the sample reports, settings pointing at temporary folders, a built index."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from reportqa.index.builder import build_index
from reportqa.settings import BUNDLED_CONFIG_DIR, BUNDLED_REPORTS_DIR, Settings
from tests.bot_harness import Harness, start_harness, stop_harness
from tests.fake_telegram import FakeTelegram

# The five sample reports the tests were written for, by content. The suite reads its own copy of
# them, made once per run, and never the working tree's reports/: an administrator who has tried
# `reportqa add` / `remove` on the samples (their uploads/ and .removed/) changes nothing here.
SAMPLE_REPORTS = {
    "000_95c7b36e77b4132c.txt": "f6cadea8dad0b71e58dd61741ccb5031b64c39eb5ee2ee19fec42bcb3c3ec363",
    "001_525c5565d93138a1.txt": "e2a39bfe8e5722ee844aec3a524545b8afd8ee4b6f5d60b817b18798ad785f35",
    "002_e4b091e3fb9e6599.txt": "7733dfd3940a1c33295f6619fa2f8d78d7af1fcd0c183144fbca9c756391c5df",
    "003_dcdaca7f04dbe387.txt": "18b5f63a5dafb0bf41184c64b170641226b0fb5f493fcf804cd980fc52fa556d",
    "004_c1f201046002a3b5.txt": "0767e5e0183edce6e503a36f891452e5c5b8e0dcc17fbb07ab55c5152e0672bc",
}


def pristine_samples(target: Path) -> Path:
    """The sample reports, exactly as committed, copied into ``target`` (a sample whose bytes differ is
    an error naming it: the tests' expectations are of these files)."""
    target.mkdir(parents=True, exist_ok=True)
    for name, digest in SAMPLE_REPORTS.items():
        data = (BUNDLED_REPORTS_DIR / name).read_bytes()
        if hashlib.sha256(data).hexdigest() != digest:
            raise RuntimeError(f"reports/{name} is not the sample the tests were written for (edited?): "
                               f"restore it with `git checkout -- reports/{name}`")
        (target / name).write_bytes(data)
    return target


SEEDS = pristine_samples(Path(tempfile.mkdtemp(prefix="reportqa-samples-")))
# every Settings() and every `reportqa` child process of the suite reads the copy, never reports/
os.environ["REPORTQA_REPORTS_DIR"] = str(SEEDS)
os.environ["REPORTQA_LANGUAGE"] = "en"  # the command line's lines as the tests read them, whatever the locale
ADMIN = 1  # the administrator of library_bot
STAFF = 2
TODAY = dt.date(2022, 6, 1)


def index_copy_of_seeds(root: Path) -> tuple[Path, Path, Settings]:
    """The sample reports copied into ``root/reports`` and indexed into ``root/index`` (for tests
    that change the files or the index): (index folder, reports folder, settings)."""
    reports = root / "reports"
    shutil.copytree(SEEDS, reports)
    settings = Settings(index_dir=root / "index", reports_dir=reports, _env_file=None)
    asyncio.run(build_index(reports, root / "index", settings))
    return root / "index", reports, settings


def _tree(folder: Path) -> list[tuple[str, int, int]]:
    """Every entry below a folder with its size and modification time (what writing into it changes)."""
    if not folder.exists():
        return []
    entries = [(str(p.relative_to(folder)), p.lstat().st_size, p.lstat().st_mtime_ns) for p in folder.rglob("*")]
    return sorted([(".", 0, folder.stat().st_mtime_ns), *entries])


@pytest.fixture(scope="session", autouse=True)
def working_tree_reports_untouched() -> Iterator[None]:
    """The suite never writes into the working tree's reports/ (nor its index/, the default index
    folder): checked at the end of the run, an error naming what changed."""
    watched = {folder: _tree(folder) for folder in (BUNDLED_REPORTS_DIR, Path("index").resolve())}
    yield
    shutil.rmtree(SEEDS, ignore_errors=True)
    for folder, before in watched.items():
        after = _tree(folder)
        changed = sorted(set(before) ^ set(after))
        assert not changed, f"the test suite wrote into {folder}: {changed[:10]}"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index", reports_dir=SEEDS, config_dir=BUNDLED_CONFIG_DIR,
                    _env_file=None)


@pytest.fixture
def reports_copy(tmp_path: Path) -> Path:
    """A writable copy of the sample reports."""
    target = tmp_path / "reports"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Path]]:
    """The sample reports indexed once for the whole session."""
    index_dir = tmp_path_factory.mktemp("seed-index")
    settings = Settings(index_dir=index_dir, reports_dir=SEEDS, config_dir=BUNDLED_CONFIG_DIR, _env_file=None)
    asyncio.run(build_index(SEEDS, index_dir, settings))
    yield settings, index_dir


@pytest.fixture
async def searcher(seed_index: tuple[Settings, Path]):
    from reportqa.retrieval.searcher import SearchIndex

    settings, index_dir = seed_index
    index = await SearchIndex.load(index_dir, settings)
    yield index
    await index.close()


@pytest.fixture
async def make_bot(seed_index, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A factory: the bot on the sample index (or another), with settings overrides."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    base_settings, index_dir = seed_index
    started: list[tuple[Harness, FakeTelegram]] = []

    async def make(**overrides) -> Harness:
        fake = FakeTelegram()
        base = await fake.start()
        values = {
            "bot_token": SecretStr(fake.token),
            "bot_api_url": f"{base}/bot",
            "bot_file_url": f"{base}/file/bot",
            "index_dir": index_dir,
            "bot_state_db": tmp_path / f"bot{len(started)}.sqlite3",
            **overrides,
        }
        harness = await start_harness(base_settings.model_copy(update=values), fake)
        started.append((harness, fake))
        return harness

    yield make
    for harness, fake in started:
        await stop_harness(harness)
        await fake.stop()
        assert not harness.errors, harness.errors


@pytest.fixture
async def bot(make_bot) -> AsyncIterator[Harness]:
    yield await make_bot()


@pytest.fixture
async def library_bot(make_bot, settings: Settings, reports_copy: Path):
    """The bot over a writable copy of the sample reports, user 1 an administrator."""
    index_dir = settings.index_dir
    await build_index(reports_copy, index_dir, settings)

    async def make(**overrides) -> Harness:
        return await make_bot(reports_dir=reports_copy, index_dir=index_dir, admins=frozenset({ADMIN}), **overrides)

    return make
