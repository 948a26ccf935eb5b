"""Questions are cut with the dictionary the build stored (stored_words.py), exactly as a tokenizer
that loads jieba's dictionary cuts them, and an unchanged config carries the file forward."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from reportqa.answers.reading import parse
from reportqa.domain.stored_words import WORDS_NAME, StoredFreq, stored_key
from reportqa.domain.text import Tokenizer, normalise
from reportqa.index import database as store
from reportqa.index.builder import build_index
from reportqa.retrieval.searcher import SearchIndex
from reportqa.settings import BUNDLED_CONFIG_DIR, Settings
from tests.conftest import index_copy_of_seeds

QUESTIONS = Path(__file__).parent / "eval"


def texts_to_cut(seeds_dir: Path) -> list[str]:
    asked = [json.loads(line) for path in sorted(QUESTIONS.glob("*.jsonl"))
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    questions = [text for q in asked for text in q.get("turns", [q.get("question", "")])]  # a conversation's turns
    lines = [line for seed in sorted(seeds_dir.glob("*.txt"))
             for line in seed.read_text(encoding="utf-8").splitlines() if line.strip()]
    odd = ["大足区应急管理局2021年开展了几场法治宣传教育活动", "重慶市大足區", "ABC执法abc 123", "㐀㐁", "，。", ""]
    return [normalise(t) for t in questions + lines + odd]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Settings]:
    return index_copy_of_seeds(tmp_path_factory.mktemp("words"))


def test_stored_and_loaded_dictionaries_cut_alike(built, seeds_dir: Path) -> None:
    index_dir, _, _ = built
    stored_path = store.current_generation(index_dir) / WORDS_NAME
    assert stored_path.is_file() and stored_key(stored_path)
    units = ["重庆市大足区应急管理局", "大足区司法局", "经济和信息化局"]
    stored, loaded = Tokenizer(BUNDLED_CONFIG_DIR, stored_path), Tokenizer(BUNDLED_CONFIG_DIR)
    for tokenizer in (stored, loaded):
        tokenizer.add_words(units)
    texts = texts_to_cut(seeds_dir)
    assert len(texts) > 200
    for text in texts:
        assert stored.tokens(text) == loaded.tokens(text), text
    # words added for a block only are gone afterwards, on both
    with stored.words_added(["法治宣传教育活动"]), loaded.words_added(["法治宣传教育活动"]):
        assert stored.words("法治宣传教育活动") == loaded.words("法治宣传教育活动")
        assert "法治宣传教育活动" in stored.words("法治宣传教育活动")
    assert stored.words("法治宣传教育活动") == loaded.words("法治宣传教育活动")
    assert "法治宣传教育活动" not in stored.words("法治宣传教育活动")
    assert stored._jieba.total == loaded._jieba.total
    stored.close()


def test_stored_frequencies_answer_as_a_dict(built) -> None:
    index_dir, _, _ = built
    freq = StoredFreq(store.current_generation(index_dir) / WORDS_NAME)
    loaded, total = Tokenizer(BUNDLED_CONFIG_DIR).dictionary()
    assert freq.total == total
    for word in ["执法", "执", "法治政府", "不在词典里的词", "应急管理局", ""]:
        assert (word in freq) == (word in loaded)
        assert freq.get(word) == loaded.get(word)
    with pytest.raises(KeyError):
        freq["不在词典里的词"]
    freq["不在词典里的词"] = 5
    assert freq["不在词典里的词"] == 5 and freq.pop("不在词典里的词") == 5 and "不在词典里的词" not in freq
    freq.close()


def test_an_unchanged_config_links_the_dictionary_forward(built) -> None:
    index_dir, reports, settings = built
    before = store.current_generation(index_dir)
    (reports / "new.txt").write_text("重庆市大足区司法局2023年法治政府建设情况报告\n一、主要工作\n开展执法培训三次。\n",
                                     encoding="utf-8")
    summary = asyncio.run(build_index(reports, index_dir, settings))
    after = store.current_generation(index_dir)
    assert summary.changed and after != before
    assert (after / WORDS_NAME).stat().st_ino == (before / WORDS_NAME).stat().st_ino


async def test_an_index_cuts_questions_with_its_own_dictionary(built) -> None:
    index_dir, _, settings = built
    searcher = await SearchIndex.load(index_dir, settings)
    try:
        assert isinstance(searcher.tokenizer._jieba.FREQ, StoredFreq)
        parsed = parse(searcher, "哪些单位开展了执法培训")
        assert "执法" in {token for concept in parsed.concepts for token in concept.tokens}
    finally:
        await searcher.close()
