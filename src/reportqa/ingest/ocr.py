"""Text from page images, for the pages of a scanned PDF that have no text layer.

``rapidocr-onnxruntime`` (the ``ocr`` extra: PaddleOCR's Chinese detection and recognition models,
shipped inside the wheel, run by onnxruntime on the CPU) reads each image; its boxes are put back
into lines (boxes whose middles share a line, left to right). Only pages without text are read, one
at a time, and reading stops before the file's time budget runs out: the pages not read are named
in a warning, never guessed. On this 2-core machine a 150 dpi A4 page takes 2-7 s.
"""

from __future__ import annotations

import importlib.util
import itertools
import time
from dataclasses import dataclass, field
from functools import cache
from typing import Any

OCR_PACKAGE = "rapidocr_onnxruntime"
INSTALL_HINT = "install the OCR extra to read it: pip install 'reportqa[ocr]'"
MAX_SIDE = 2000  # pixels: a larger scan is shrunk first (the models read at 736-2000 px anyway)
MIN_SIDE = 48  # an image smaller than this on a side is a logo or a rule, not a page
FIRST_PAGE_GUESS_S = 10.0  # what a page is expected to take before one has been timed


@dataclass(frozen=True)
class OcrLine:
    text: str
    confidence: float  # the lowest of its boxes' recognition scores, 0-1


@dataclass
class OcrSummary:
    """What OCR did for one file: shown by ``inspect`` and kept in the report's warnings."""

    pages: list[int] = field(default_factory=list)  # 1-based pages read by OCR
    not_read: list[int] = field(default_factory=list)  # pages without text left unread (time budget)
    confidences: list[float] = field(default_factory=list)  # every line's

    @property
    def mean_confidence(self) -> float | None:
        return round(sum(self.confidences) / len(self.confidences), 3) if self.confidences else None

    @property
    def lowest_confidence(self) -> float | None:
        return round(min(self.confidences), 3) if self.confidences else None

    def as_dict(self) -> dict[str, Any]:
        return {"engine": OCR_PACKAGE, "pages": self.pages, "not_read": self.not_read, "lines": len(self.confidences),
                "mean_confidence": self.mean_confidence, "lowest_confidence": self.lowest_confidence}


def ocr_installed() -> bool:
    return importlib.util.find_spec(OCR_PACKAGE) is not None


def ocr_problem() -> str | None:
    """Why OCR cannot run here (not installed, or installed but unable to start: OpenCV without its
    system libraries), or None."""
    if not ocr_installed():
        return INSTALL_HINT
    try:
        _engine()
    except (ImportError, OSError, RuntimeError) as exc:
        return f"the OCR extra is installed but cannot start ({type(exc).__name__}: {exc})"[:200]
    return None


@cache
def _engine() -> Any:
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR()


def image_lines(image: Any) -> list[OcrLine]:
    """One page image (a Pillow image) → its lines of text, top to bottom."""
    import numpy as np

    if min(image.size) < MIN_SIDE:
        return []
    if max(image.size) > MAX_SIDE:
        image = image.copy()
        image.thumbnail((MAX_SIDE, MAX_SIDE))
    result, _ = _engine()(np.asarray(image.convert("RGB")))
    return boxes_to_lines(result or [])


def boxes_to_lines(result: list) -> list[OcrLine]:
    """rapidocr's (box, text, score) results → lines: a box joins the line whose band holds its
    middle; within a line boxes go left to right, a wide gap kept as a space (table cells)."""
    boxes = []
    for box, text, score in result:
        xs, ys = [p[0] for p in box], [p[1] for p in box]
        if str(text).strip():
            boxes.append((min(ys), max(ys), min(xs), max(xs), str(text).strip(), float(score)))
    boxes.sort(key=lambda b: (b[0] + b[1]) / 2)
    rows: list[list[tuple]] = []
    for box in boxes:
        middle = (box[0] + box[1]) / 2
        if rows and rows[-1][0][0] <= middle <= max(b[1] for b in rows[-1]):
            rows[-1].append(box)
        else:
            rows.append([box])
    lines = []
    for row in rows:
        row.sort(key=lambda b: b[2])
        height = max(b[1] - b[0] for b in row) or 1
        text = row[0][4]
        for before, box in itertools.pairwise(row):
            text += (" " if box[2] - before[3] > height else "") + box[4]
        lines.append(OcrLine(text, min(b[5] for b in row)))
    return lines


def pages_by_ocr(page_images: dict[int, list[Any]], deadline: float | None,
                 summary: OcrSummary) -> dict[int, list[OcrLine]]:
    """The text of pages without a text layer (page number → its images), page by page, stopping
    when the next page would not finish before ``deadline`` (``time.monotonic()``)."""
    out: dict[int, list[OcrLine]] = {}
    per_page = FIRST_PAGE_GUESS_S
    for page, images in sorted(page_images.items()):
        if deadline is not None and time.monotonic() + per_page > deadline:
            summary.not_read.append(page)
            continue
        started = time.monotonic()
        lines = [line for image in images for line in image_lines(image)]
        per_page = max(1.0, (time.monotonic() - started) * 1.5)
        summary.pages.append(page)
        summary.confidences.extend(line.confidence for line in lines)
        out[page] = lines
    return out
