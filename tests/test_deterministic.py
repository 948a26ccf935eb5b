"""Builds are a pure function of the files: the same postings whatever the worker count or the order
the files were read in (a worker's jieba once kept every unit name it had seen)."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from reportqa.domain import text
from reportqa.domain.model import PREAMBLE, SECTION_SEPARATOR
from reportqa.domain.text import Tokenizer, normalise
from reportqa.index import database as store
from reportqa.index.builder import build_index, parse_and_tokenize, parse_options, passage_token_counts
from reportqa.ingest.pipeline import parse_report
from reportqa.settings import BUNDLED_CONFIG_DIR, Settings

REAL = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real"


def _arrays(index_dir: Path) -> tuple[dict[str, np.ndarray], list[str]]:
    generation = store.current_generation(index_dir)
    assert generation is not None
    with np.load(generation / store.TERMS_NAME, allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    return arrays, json.loads((generation / store.VOCAB_NAME).read_text(encoding="utf-8"))


def _library(tmp_path: Path, seeds_dir: Path) -> Path:
    """The samples and, when ../shared is there, twenty real reports: many units to leak."""
    reports = tmp_path / "reports"
    shutil.copytree(seeds_dir, reports)
    if REAL.is_dir():
        for path in sorted(REAL.iterdir())[:20]:
            if path.is_file():
                shutil.copy(path, reports / path.name)
    return reports


async def test_one_or_two_workers_give_identical_postings(tmp_path: Path, seeds_dir: Path) -> None:
    reports = _library(tmp_path, seeds_dir)
    built = {}
    for workers in (1, 2):
        settings = Settings(index_dir=tmp_path / f"index{workers}", reports_dir=reports,
                            config_dir=BUNDLED_CONFIG_DIR, parse_workers=workers, _env_file=None)
        await build_index(reports, settings.index_dir, settings)
        built[workers] = _arrays(settings.index_dir)
    (one, vocab_one), (two, vocab_two) = built[1], built[2]
    assert vocab_one == vocab_two
    assert sorted(one) == sorted(two)
    for name in one:
        assert one[name].dtype == two[name].dtype and one[name].tobytes() == two[name].tobytes(), name


def test_a_reports_tokens_do_not_depend_on_what_was_read_before(tmp_path: Path, seeds_dir: Path) -> None:
    reports = _library(tmp_path, seeds_dir)
    options = parse_options(Settings(reports_dir=reports, config_dir=BUNDLED_CONFIG_DIR, _env_file=None))
    files = sorted(p for p in reports.iterdir() if p.is_file())
    forward = {p.name: parse_and_tokenize(p, reports, options, None).counts for p in files}
    backward = {p.name: parse_and_tokenize(p, reports, options, None).counts for p in reversed(files)}
    assert forward == backward


def test_a_passages_counts_are_its_texts_tokens_and_its_unrepeated_headings(
    seeds_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``passage_token_counts`` cuts each heading once a report and counts without a token list;
    the counts, and the order tokens first appear in (the vocabulary's order), are those of the
    passage's tokens followed by those of each heading above it that its text does not repeat, also
    when the tokenizer's remembered words are forgotten every few words."""
    options = parse_options(Settings(config_dir=BUNDLED_CONFIG_DIR, _env_file=None))
    reports = [parse_report(p, seeds_dir, options) for p in sorted(seeds_dir.iterdir()) if p.is_file()]
    plain = Tokenizer(BUNDLED_CONFIG_DIR)
    expected = []
    for report in reports:
        for passage in report.passages:
            tokens = plain.tokens(passage.norm_text)
            if passage.section != PREAMBLE:
                for heading in map(normalise, passage.section.split(SECTION_SEPARATOR)):
                    if heading not in passage.norm_text:
                        tokens += plain.tokens(heading)
            expected.append(list(Counter(tokens).items()))
    assert sum(1 for report in reports for p in report.passages if p.section != PREAMBLE) > 20
    monkeypatch.setattr(text, "_TOKEN_MEMO_MAX", 7)
    forgetful = Tokenizer(BUNDLED_CONFIG_DIR)
    counted = [list(c.items()) for report in reports for c in passage_token_counts(forgetful, report.passages)]
    assert counted == expected
    assert 0 < len(forgetful._token_memo) <= 7
    long_word = "x" * (text._TOKEN_MEMO_WORD_CHARS + 1)  # a run of letters is one jieba word
    assert forgetful.tokens(f"法治{long_word}政府") == plain.tokens(f"法治{long_word}政府")
    assert long_word in plain.tokens(f"法治{long_word}政府") and long_word not in forgetful._token_memo
