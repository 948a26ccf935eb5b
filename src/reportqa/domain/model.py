"""The values that flow through the pipeline: files → reports and passages → answers."""

from __future__ import annotations

from dataclasses import dataclass, field

PREAMBLE = "前言"
"""The section name of the text before a report's first heading."""

SECTION_SEPARATOR = " › "


@dataclass(frozen=True)
class ReportMeta:
    """What a report says about itself. ``None`` means unknown: nothing is invented."""

    title: str | None = None
    unit: str | None = None  # the full canonical name: 绍兴市市场监督管理局
    year: int | None = None
    date: str | None = None  # ISO yyyy-mm-dd: the signing date, else the date its web page states
    region: str | None = None  # where the unit is: 浙江省绍兴市, 重庆市大足区玉龙镇
    addressee: str | None = None
    cc: str | None = None
    unit_written: str | None = None  # the unit as the report writes it: 市市场监管局
    unit_kind: str | None = None  # its canonical kind: 市场监督管理局
    place_code: str | None = None  # the gazetteer division it is in (6-digit code)
    locality: str | None = None  # its town or street, below county level
    national: bool = False  # a ministry, above every place
    place_exact: bool = True  # place_code is the unit's own place, not only an area it is somewhere in
    date_kind: str | None = None  # "signed" (signature, delivery) or "published" (the page's date)
    evidence: dict[str, list[str]] = field(default_factory=dict, compare=False)  # field → where it came from


@dataclass(frozen=True)
class Passage:
    """One section (or part of one) of one report: the unit of retrieval and of citation."""

    ordinal: int
    section: str  # heading path joined with SECTION_SEPARATOR, or PREAMBLE
    text: str  # original text, for display
    norm_text: str  # normalised copy (NFKC, simplified), for tokenising and matching


@dataclass
class ParsedReport:
    """A report file as the indexer sees it."""

    source: str  # path relative to the reports folder, POSIX separators
    sha256: str
    meta: ReportMeta
    passages: list[Passage]
    warnings: list[str] = field(default_factory=list)
    removed: dict[str, int] = field(default_factory=dict)  # cleaning rule → lines or spans removed
    encoding: str | None = None
    ocr: dict | None = None  # what OCR read of it (pages, confidence), when any page had no text layer
    page_lines: list[str] = field(default_factory=list)  # its web page's metadata lines (索引号, 发布机构 …)
