"""The two seams between answering and what it answers from (ARCHITECTURE.md): a ``Retriever`` ranks
passage positions by a question's terms, a ``PassageSource`` reads passages' text. ``answers/`` and
the channels use these (through ``SearchIndex``), never the arrays or SQL beneath them, so a second
retriever (a dense one, a remote index) is one class beside BM25's, not a change to every answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

import numpy as np

from reportqa.index.database import PassageRow

__all__ = ["PassageRow", "PassageSource", "Retriever"]


@runtime_checkable
class Retriever(Protocol):
    """What ranking needs of a store of weighted postings: BM25's ``Postings`` and an overlaid
    index's ``OverlaidPostings`` both are one."""

    n_docs: int  # passage positions, dead ones of an overlaid index included
    df: np.ndarray  # per term: the live passages holding it

    @property
    def n_live(self) -> int:
        """Passages the statistics count."""
        ...

    def top(self, query: Mapping[int, float], k: int, allowed: np.ndarray | None = None,
            scale: np.ndarray | None = None, count: bool = False,
            allowed_blocks: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, int | None]:
        """The ``k`` best positions holding a query term, their scores, and (``count``) how many matched."""
        ...

    def contains(self, term: int, docs: np.ndarray) -> np.ndarray:
        """Which of the (ascending) ``docs`` hold ``term``."""
        ...

    def densify(self, budget_bytes: int) -> None:
        """Keep the commonest terms' weights dense, within ``budget_bytes`` (a long-running process)."""
        ...

    def accelerate(self) -> bool:
        """Compile the ranking loops where the ``fast`` extra is installed; whether it now is."""
        ...


class PassageSource(Protocol):
    """Passages' text by id: what checking candidates, excerpts, 📄 and a unit's page read."""

    async def passage_rows(self, ids: list[int], known: Mapping[int, PassageRow] | None = None,
                           ) -> dict[int, PassageRow]:
        ...

    async def report_sections(self, report_id: int) -> list[PassageRow]:
        ...
