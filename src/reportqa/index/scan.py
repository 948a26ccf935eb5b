"""What a build knows before it writes: the served generation it may carry forward (``Previous``)
and what the files on disk are against it (``Scan``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from reportqa.bm25.scoring import Frequencies
from reportqa.index import database as store
from reportqa.index.checks import LIVE_PREFIX, OVERLAY_PREFIX
from reportqa.ingest.pipeline import Skipped
from reportqa.settings import Settings

INDEX_FORMAT = "8"  # 3: term-major frequencies, file stamps, passage lengths; 4: unit kind and place; 5: clauses;
# 6: a manifest (sizes, checksums, build id, shape) checked before serving; 7: block bounds per term;
# 8: clause keys in a table of their own


def ranking_key(settings: Settings) -> str:
    return f"{settings.bm25_variant}:{settings.bm25_k1}:{settings.bm25_b}:{settings.bm25_delta}"


@dataclass
class Previous:
    """The served generation, checked: what scanning needs, and its arrays for a build that goes
    ahead (``load_arrays``)."""

    generation: Path
    reports: dict[str, store.KnownReport]
    stamps: dict[str, store.FileStamp]
    info: dict[str, str]
    arrays: dict[str, np.ndarray]  # checked (index_check.verified_load)
    vocab: list[str]

    @property
    def unreadable(self) -> dict[str, list[str]]:
        """Files that could not be read last time: source → [parse key, reason]."""
        return json.loads(self.info.get("unreadable", "{}"))

    @property
    def scan_started_ns(self) -> int:
        return int(self.info.get("scan_started_ns", "0"))

    @property
    def overlaid(self) -> bool:
        return LIVE_PREFIX + "alive" in self.arrays

    def load_arrays(self) -> PreviousArrays:
        """Its frequencies and passages as one index: an overlaid generation's live base passages,
        then its overlay's (terms numbered as the whole vocabulary)."""
        arrays = self.arrays
        ids = arrays["passage_ids"]
        freqs = Frequencies(arrays["post_indptr"], arrays["post_docs"], arrays["post_tf"], len(ids))
        names = ("passage_ids", "passage_report", "passage_kind", "passage_len")
        if not self.overlaid:
            return PreviousArrays(self.vocab, freqs, *(arrays[name] for name in names))
        alive = arrays[LIVE_PREFIX + "alive"]
        overlay = Frequencies(arrays[OVERLAY_PREFIX + "post_indptr"], arrays[OVERLAY_PREFIX + "post_docs"],
                              arrays[OVERLAY_PREFIX + "post_tf"], len(arrays[OVERLAY_PREFIX + "passage_ids"]))
        merged = freqs.keep(alive).extend(overlay.renumber_terms(arrays[LIVE_PREFIX + "overlay_terms"],
                                                                 len(self.vocab)))
        passages = [np.concatenate([arrays[name][alive], arrays[OVERLAY_PREFIX + name]]) for name in names]
        return PreviousArrays(self.vocab, merged, *passages)


@dataclass
class PreviousArrays:
    vocab: list[str]
    freqs: Frequencies
    passage_ids: np.ndarray
    passage_report: np.ndarray
    passage_kind: np.ndarray
    passage_len: np.ndarray  # tokens per passage, int32


@dataclass
class Scan:
    """What the files on disk are, against what the served generation knows of them."""

    started_ns: int
    stamps: dict[str, store.FileStamp] = field(default_factory=dict)
    reused: list[store.KnownReport] = field(default_factory=list)
    to_parse: list[tuple[Path, dict[str, str] | None, str, str]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    unreadable: dict[str, tuple[str, str]] = field(default_factory=dict)
