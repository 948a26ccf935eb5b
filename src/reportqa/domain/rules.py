"""The data files in ``config/``, read into typed values.

Cleaning rules, word lists, the English glossary and unit short forms are data so that a new corpus
can be handled by editing files, not code. Each loader is cached per path.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path


@dataclass(frozen=True)
class Rule:
    """One named cleaning rule."""

    name: str
    pattern: re.Pattern[str]
    replace: str = ""


@dataclass(frozen=True)
class DateLabels:
    """How a web page states its document's date: label groups, most trusted first, and the
    pattern of a site clock that is never a document's date."""

    groups: tuple[tuple[str, ...], ...]
    never: re.Pattern[str]


@dataclass(frozen=True)
class CleaningRules:
    inline: tuple[Rule, ...]
    drop_line: tuple[Rule, ...]
    preamble_drop: tuple[Rule, ...]
    after_title_drop: tuple[Rule, ...]
    dates: DateLabels


def _lines(path: Path) -> list[str]:
    """Non-empty, non-comment lines of a text file."""
    out = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        out.append(line)
    return out


@cache
def load_cleaning_rules(config_dir: Path) -> CleaningRules:
    data = tomllib.loads((config_dir / "cleaning.toml").read_text(encoding="utf-8"))

    def rules(kind: str) -> tuple[Rule, ...]:
        return tuple(
            Rule(item["name"], re.compile(item["pattern"]), item.get("replace", ""))
            for item in data.get(kind, [])
        )

    dates = data.get("dates", {})
    labels = DateLabels(
        tuple(tuple(group) for group in dates.get("labels", [])),
        re.compile(dates.get("never", r"(?!)")),
    )
    return CleaningRules(
        rules("inline"), rules("drop_line"), rules("preamble_drop"), rules("after_title_drop"), labels
    )


@cache
def load_metadata_rules(config_dir: Path) -> dict:
    """``config/metadata.toml``: the evidence patterns for who wrote a report (see ingest/issuer.py)."""
    return tomllib.loads((config_dir / "metadata.toml").read_text(encoding="utf-8"))


@cache
def load_word_set(path: Path) -> frozenset[str]:
    return frozenset(line.strip() for line in _lines(path))


@cache
def load_glossary(config_dir: Path) -> dict[str, tuple[str, ...]]:
    """English phrase (lower case) → Chinese alternatives; an empty tuple means 'ignore this word'."""
    glossary: dict[str, tuple[str, ...]] = {}
    for line in _lines(config_dir / "glossary.tsv"):
        english, _, chinese = line.partition("\t")
        terms = tuple(t for t in chinese.split() if t != "-")
        key = " ".join(english.lower().split())
        glossary[key] = tuple(dict.fromkeys(glossary.get(key, ()) + terms))
    return glossary


def dictionary_path(config_dir: Path) -> Path:
    return config_dir / "dictionary.txt"


def config_fingerprint(config_dir: Path) -> str:
    """A digest of every config file: a change means passages must be parsed again."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(config_dir.glob("*")):
        if path.is_file() and path.suffix in {".toml", ".txt", ".tsv"} and path.name != "reportqa.toml":
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@cache
def load_intents(config_dir: Path) -> dict[str, tuple[str, ...]]:
    """``config/intents.toml``: cue phrases per intent (overview, figures), normalised by the caller."""
    path = config_dir / "intents.toml"
    if not path.is_file():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {name: tuple(table.get("cues", [])) for name, table in data.items() if isinstance(table, dict)}


@cache
def load_synonyms(config_dir: Path) -> tuple[tuple[str, ...], ...]:
    """``config/synonyms.txt``: groups of words that say the same thing, one group a line."""
    path = config_dir / "synonyms.txt"
    if not path.is_file():
        return ()
    return tuple(tuple(line.split()) for line in _lines(path) if len(line.split()) >= 2)
