"""An answer as a file for the summaries (汇总) staff compile: .xlsx, .docx or .csv.

Every result of the answer goes in, not only the page shown (``EXPORT_LIMIT`` at most): one row per
unit for a "which units" answer, one per passage otherwise, each with its citation (unit, region,
year, date, section, source file) and the excerpt the reply shows. The spreadsheet is written with
openpyxl and the document with python-docx (well-kept, and what the files' readers use); both are
imported only when a file is made.

Report text is data, never a formula: a cell starting with ``=`` is stored as text in the
spreadsheet, and a CSV cell starting with ``= + - @`` gets a leading apostrophe (what spreadsheet
programs would otherwise run). Characters XML cannot hold (control characters from damaged files)
are dropped from both.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Literal

from reportqa.answers.compose import Answer
from reportqa.domain.lang import lang_of
from reportqa.present.catalog import say
from reportqa.present.render import section_label, snippet_text, unit_label

EXPORT_LIMIT = 1000  # results in one file: a units answer over every indexed unit fits
ExportFormat = Literal["xlsx", "docx", "csv"]
FORMATS: tuple[ExportFormat, ...] = ("xlsx", "docx", "csv")
HEADERS = ("序号", "单位", "地区", "年份", "日期", "章节", "摘录", "来源文件")
HEADERS_EN = ("No.", "Unit", "Region", "Year", "Date", "Section", "Excerpt", "Source file")
EXCERPT_CHARS = 400
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_FORMULA_START = ("=", "+", "-", "@")


@dataclass(frozen=True)
class ExportRow:
    rank: int
    unit: str
    region: str
    year: int | None
    date: str
    section: str
    excerpt: str
    source: str


def export_rows(answer: Answer) -> list[ExportRow]:
    """The answer's results as rows, in its order."""
    return [
        ExportRow(r.rank, unit_label(r.report), r.report.region or "", r.report.year, r.report.date or "",
                  section_label(r.section), snippet_text(r, EXCERPT_CHARS), r.report.source)
        for r in answer.results
    ]


def format_of(path: Path) -> ExportFormat:
    """The format a file name asks for. Raises ValueError for another suffix."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ValueError(f"export to .xlsx, .docx or .csv, not {path.name!r}")
    return suffix  # type: ignore[return-value]


def _clean(value: object) -> object:
    return _NOT_XML.sub("", value) if isinstance(value, str) else value


def export_bytes(answer: Answer, fmt: ExportFormat, english: bool = False) -> bytes:
    """The whole file."""
    rows = export_rows(answer)
    headers = HEADERS_EN if english else HEADERS
    if fmt == "csv":
        return _csv(rows, headers)
    if fmt == "xlsx":
        return _xlsx(rows, headers, answer.question.text)
    return _docx(rows, answer, english)


def _csv(rows: list[ExportRow], headers: tuple[str, ...]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([f"'{v}" if isinstance(v, str) and v.startswith(_FORMULA_START) else v
                         for v in map(_clean, astuple(row))])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM: Excel then reads UTF-8 Chinese


def _xlsx(rows: list[ExportRow], headers: tuple[str, ...], question: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = "结果"
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_clean(v) for v in astuple(row)])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # report text, not a formula
    for letter, width in zip("ABCDEFGH", (6, 28, 18, 8, 12, 30, 80, 30), strict=True):
        sheet.column_dimensions[letter].width = width
    for cell in sheet["G"][1:]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    about = book.create_sheet("问题")
    about.append(["问题", _clean(question)])
    about.append(["结果数", len(rows)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _docx(rows: list[ExportRow], answer: Answer, english: bool) -> bytes:
    from docx import Document
    from docx.shared import Pt

    document = Document()
    document.add_heading(_clean(answer.question.text), level=1)
    by_unit: dict[str, list[ExportRow]] = {}
    for row in rows:  # one heading per unit, its passages under it, in the answer's order
        by_unit.setdefault(row.unit, []).append(row)
    for unit, unit_rows in by_unit.items():
        document.add_heading(_clean(unit), level=2)
        for row in unit_rows:
            document.add_paragraph(_clean(row.excerpt))
            parts = [unit, f"{row.year}年" if row.year else "", row.date, row.section, row.source]
            cite = document.add_paragraph()
            run = cite.add_run(_clean("（" + " · ".join(p for p in parts if p) + "）"))
            run.italic = True
            run.font.size = Pt(9)
    if not rows:
        document.add_paragraph(say("no_results", lang_of(english)))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def export_name(answer: Answer, fmt: ExportFormat) -> str:
    """A file name for the export: the question's first characters, safe on every system."""
    stem = re.sub(r"[^\w\u3400-\u9fff]+", "_", answer.question.text).strip("_")[:40] or "answer"
    return f"{stem}.{fmt}"
