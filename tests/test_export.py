"""The whole answer as a file (export.py): the 📊 / 📝 buttons against the fake Bot API, read back
with openpyxl and python-docx; ``reportqa ask --export``; report text never becomes a formula."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from typer.testing import CliRunner

from reportqa.answers.compose import answer_question
from reportqa.channels.cli import commands as cli
from reportqa.present.export import EXPORT_LIMIT, HEADERS, export_bytes, export_rows
from reportqa.retrieval.searcher import SearchIndex
from tests.bot_harness import Harness
from tests.fake_telegram import buttons, callback, callback_of, message

UNITS_QUESTION = "哪些单位开展了执法培训"
PASSAGES_QUESTION = "执法培训"
runner = CliRunner()


async def full_answer(seed_index, question: str):
    settings, index_dir = seed_index
    searcher = await SearchIndex.load(index_dir, settings)
    try:
        return await answer_question(searcher, question, EXPORT_LIMIT)
    finally:
        await searcher.close()


async def test_the_excel_button_sends_every_unit_not_only_the_page(make_bot, seed_index) -> None:
    bot: Harness = await make_bot(page_size=1)
    whole = await full_answer(seed_index, UNITS_QUESTION)
    assert len(whole.results) >= 3  # more units than the page of one
    [reply] = await bot.ask(message(UNITS_QUESTION))
    [document] = await bot.ask(callback(callback_of(reply, "ex:")), method="sendDocument")
    [(name, content)] = bot.fake.uploads
    assert name.endswith(".xlsx") and str(len(whole.results)) in document.params["caption"]
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == HEADERS
    assert [row[1] for row in rows[1:]] == [r.unit for r in export_rows(whole)]
    assert [row[7] for row in rows[1:]] == [r.report.source for r in whole.results]
    assert all(row[3] == r.report.year for row, r in zip(rows[1:], whole.results, strict=True))


async def test_the_word_button_sends_one_heading_per_unit(make_bot, seed_index) -> None:
    bot: Harness = await make_bot(page_size=2)
    whole = await full_answer(seed_index, PASSAGES_QUESTION)
    [reply] = await bot.ask(message(PASSAGES_QUESTION))
    word = next(b["callback_data"] for b in buttons(reply) if b.get("callback_data", "").endswith(":d"))
    await bot.ask(callback(word), method="sendDocument")
    [(name, content)] = bot.fake.uploads
    assert name.endswith(".docx")
    document = Document(io.BytesIO(content))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 2"]
    units = list(dict.fromkeys(r.unit for r in export_rows(whole)))
    assert headings == units
    text = "\n".join(p.text for p in document.paragraphs)
    for result in whole.results:  # every passage's citation, not only the page's two
        assert result.report.source in text


async def test_an_expired_export_button_says_so(bot: Harness) -> None:
    [reply] = await bot.ask(callback("ex:nosuchsid:x"), method="answerCallbackQuery")
    assert "过期" in reply.params.get("text", "") and not bot.fake.uploads


def test_report_text_never_becomes_a_formula(seed_index) -> None:
    answer = asyncio.run(full_answer(seed_index, PASSAGES_QUESTION))
    first = answer.results[0]
    first.text = first.norm_text = "=HYPERLINK(\"http://x\")\x07执法培训" + first.text
    first.section = "-1+2"
    sheet = load_workbook(io.BytesIO(export_bytes(answer, "xlsx"))).worksheets[0]
    excerpt = sheet.cell(row=2, column=7)
    assert excerpt.data_type == "s" and excerpt.value.startswith("=HYPERLINK") and "\x07" not in excerpt.value
    rows = list(csv.reader(io.StringIO(export_bytes(answer, "csv").decode("utf-8-sig"))))
    assert rows[0] == list(HEADERS) and rows[1][5] == "'-1+2" and rows[1][6].startswith("'=HYPERLINK")
    Document(io.BytesIO(export_bytes(answer, "docx")))  # the control character did not break the XML


def test_ask_export_writes_the_file_and_refuses_what_it_cannot(seed_index, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    settings, index_dir = seed_index
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    out = tmp_path / "汇总.xlsx"
    done = runner.invoke(cli.app, ["ask", UNITS_QUESTION, "--index-dir", str(index_dir), "--export", str(out)])
    assert done.exit_code == 0, done.output
    whole = asyncio.run(full_answer(seed_index, UNITS_QUESTION))
    assert f"{len(whole.results)} units" in done.output
    assert load_workbook(out).worksheets[0].max_row == len(whole.results) + 1
    wrong = runner.invoke(cli.app, ["ask", UNITS_QUESTION, "--index-dir", str(index_dir), "--export", "x.pdf"])
    assert wrong.exit_code == 2 and ".xlsx, .docx or .csv" in wrong.output
    batch = tmp_path / "q.txt"
    batch.write_text("执法培训\n法律顾问\n", encoding="utf-8")
    many = runner.invoke(cli.app, ["ask", "--batch", str(batch), "--index-dir", str(index_dir),
                                   "--export", str(tmp_path / "x.csv")])
    assert many.exit_code == 2 and "one question" in many.output
