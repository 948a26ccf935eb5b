"""Section kinds (what was done / problems / plans) and a question's focus among them.

Rules are data in ``config/section_kinds.toml``. Kinds are bits, so a heading such as
存在的问题和下一步打算 is both problems and plans.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reportqa.domain.model import PREAMBLE, SECTION_SEPARATOR
from reportqa.domain.text import normalise

DONE = 0  # no bit set: what was done, or not said


_CLAUSE = re.compile(r"[^，,。；;！？!?\n]+[，,。；;！？!?\n]*")


@dataclass(frozen=True)
class SectionKinds:
    names: tuple[str, ...]
    headings: tuple[tuple[str, ...], ...]
    question: tuple[tuple[str, ...], ...]
    factor: float
    absence: re.Pattern[str] | None = None  # a clause saying something is lacking or not done
    mixed_cues: tuple[tuple[str, ...], ...] = ()  # per kind, the words that tell its part of a mixed section

    def of_passage(self, section: str, norm_text: str) -> int:
        """The kind of a passage: its headings', and where they name several kinds (存在的问题和下一步
        打算) and nothing below them decides, the kind its own words speak for."""
        bits = self.of_section(section)
        if bits & (bits - 1) == 0 or not self.mixed_cues:
            return bits  # one kind (or none)
        scores = []
        for i, cues in enumerate(self.mixed_cues):
            if bits & (1 << i) and cues:
                scores.append((sum(norm_text.count(c) for c in cues), i))
        if not scores:
            return bits
        best = max(score for score, _ in scores)
        winners = [i for score, i in scores if score == best]
        return 1 << (max(winners) if len(winners) > 1 else winners[0])  # a tie: the later kind (plans)

    def without_absence(self, text: str) -> str:
        """The text without its clauses that say something is lacking (无行政执法权, 尚未开展)."""
        if self.absence is None:
            return text
        return "".join(c for c in _CLAUSE.findall(text) if not self.absence.search(c))

    def bit(self, name: str) -> int:
        return 1 << self.names.index(name)

    def of_section(self, section: str) -> int:
        """The kind bits of a heading path: the deepest heading naming any kind decides."""
        if section == PREAMBLE:
            return DONE
        for heading in reversed(section.split(SECTION_SEPARATOR)):
            heading = normalise(heading)
            bits = 0
            for i, words in enumerate(self.headings):
                if any(w in heading for w in words):
                    bits |= 1 << i
            if bits:
                return bits
        return DONE

    def of_question(self, normalised_question: str) -> int:
        """The focus bits of a question (English cues match whole words only)."""
        text = normalised_question.lower()
        bits = 0
        for i, words in enumerate(self.question):
            if any(_cue_found(w, text) for w in words):
                bits |= 1 << i
        return bits

    def cues(self, focus: int) -> tuple[str, ...]:
        """The question cues of the kinds in ``focus`` (问题, 不足, 明年, 下一步 …), longest first."""
        words = {w for i, cues in enumerate(self.question) if focus & (1 << i) for w in cues}
        return tuple(sorted(words, key=len, reverse=True))

    def factor_for(self, focus: int, kind: int) -> float:
        """1.0 when a passage's kind suits the question's focus, else ``factor``."""
        if focus == DONE:
            return 1.0 if kind == DONE else self.factor
        return 1.0 if kind & focus else self.factor


def _cue_found(cue: str, text: str) -> bool:
    if cue.isascii():
        return re.search(rf"\b{re.escape(cue)}\b", text) is not None
    return cue in text


@cache
def load_section_kinds(config_dir: Path) -> SectionKinds:
    path = config_dir / "section_kinds.toml"
    if not path.is_file():
        return SectionKinds((), (), (), 1.0)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    kinds = data.get("kinds", {})
    names = tuple(kinds)
    patterns = data.get("absence", {}).get("patterns", [])
    return SectionKinds(
        names=names,
        headings=tuple(tuple(normalise(w) for w in kinds[n].get("headings", [])) for n in names),
        question=tuple(tuple(normalise(w).lower() for w in kinds[n].get("question", [])) for n in names),
        factor=float(data.get("factor", 1.0)),
        absence=re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None,
        mixed_cues=tuple(tuple(normalise(w) for w in data.get("mixed", {}).get(n, [])) for n in names),
    )
