"""Shared fixtures: the sample reports, settings pointing at temporary folders, a built index."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from reportqa.indexer import build_index
from reportqa.settings import BUNDLED_CONFIG_DIR, BUNDLED_REPORTS_DIR, Settings
from tests.bot_harness import Harness, start_harness, stop_harness
from tests.fake_telegram import FakeTelegram

SEEDS = BUNDLED_REPORTS_DIR
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
    from reportqa.search import SearchIndex

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
