"""The seam between answering and what it ranks with (ARCHITECTURE.md): a ``Retriever`` ranks passage
positions by a question's terms; ``SearchIndex`` ranks through one and reads passages' text for the
layers above (``passage_rows``, ``report_sections``), so ``answers/`` and the channels never reach the
arrays or SQL beneath, and a second retriever (a dense one, a remote index) is one class beside BM25's,
not a change to every answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

import numpy as np

from reportqa.index.database import PassageRow

__all__ = ["PassageRow", "Retriever"]


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

