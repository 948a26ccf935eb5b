"""Reading questions against a loaded index: the units' catalog a question's unit words are read with,
and ``parse``. A channel passes ``prepare`` when it loads an index (``SearchIndex.load``,
``IndexHolder``) so the catalog is made beside the index's checks; otherwise it is made on first use."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

from reportqa.answers.question import parse_question
from reportqa.answers.unit_catalog import UnitCatalog, UnitRef, load_unit_resources
from reportqa.answers.wording import Vocabulary
from reportqa.retrieval.query import ParsedQuestion
from reportqa.retrieval.searcher import ReportInfo, SearchIndex
from reportqa.settings import Settings


@dataclass
class Reading:
    """What reading a question needs of one index besides its tokenizer."""

    catalog: UnitCatalog
    vocabulary: Vocabulary | None = None  # the index's words (made on first use: wording.py)


def prepare(settings: Settings, reports: dict[int, ReportInfo]) -> Reading:
    """The catalog of an index's units (``SearchIndex.Prepare``: run while the index loads)."""
    load_unit_resources(settings.config_dir)
    refs = (UnitRef(r.id, r.unit, r.kind, r.place_code, r.locality, r.region, r.national) for r in reports.values())
    return Reading(UnitCatalog.build(refs, settings.config_dir))


_MAKING = threading.Lock()


def reading(index: SearchIndex) -> Reading:
    """The index's ``Reading``: the one made while it loaded, else made now (once)."""
    if not isinstance(index.prepared, Reading):
        with _MAKING:
            if not isinstance(index.prepared, Reading):
                index.prepared = prepare(index.settings, index.reports)
    return index.prepared


def vocabulary(index: SearchIndex) -> Vocabulary:
    """The index's words, for telling words no report contains (wording.py)."""
    made = reading(index)
    if made.vocabulary is None:
        made.vocabulary = Vocabulary(index.term_id, index.document_frequency)
    return made.vocabulary


def parse(index: SearchIndex, question: str, today: dt.date | None = None) -> ParsedQuestion:
    """A question read against an index (its tokenizer, its units, its words)."""
    return parse_question(question, index.tokenizer, index.settings.config_dir, reading(index).catalog, today,
                          vocabulary(index))
