"""Regions above provinces (东北, 长三角) and classes of units (哪些城市, 各区县, 所有街道), from
``config/regions.toml``, read against the gazetteer's divisions (places.py's public API only).

A region is a set of divisions; a question naming one filters as a place naming them all would. A
class says which divisions' units are meant (a level, or a level and the ending of the division's
name: county-level 县 but not 区) or which kind (street offices, town governments).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reportqa.domain.places import CITY, COUNTY, PROVINCE, Gazetteer, Place, PlaceMention, load_gazetteer
from reportqa.domain.text import normalise

_LEVELS = {"province": PROVINCE, "city": CITY, "county": COUNTY}
_NAME_GOES_ON = frozenset("镇乡街路村")  # 东北路, 西南村: a street's or a village's own name


@dataclass(frozen=True)
class UnitClass:
    """A class of units a question asks for (哪些城市): which divisions' units, of which kind."""

    word: str
    places: tuple[tuple[int, str], ...] = ()  # (level, name ending or "") alternatives; () = any
    kind: str | None = None  # "government" | "street"
    town: bool = False  # the units of any town or street

    @property
    def filters(self) -> bool:
        return bool(self.places or self.kind or self.town)

    def holds(self, place: Place) -> bool:
        """Whether a division is of this class (城市: a city, or a county or province named …市)."""
        return any(place.level == level and place.name.endswith(ending) for level, ending in self.places)


@dataclass(frozen=True)
class Regions:
    regions: dict[str, tuple[str, ...]]  # region word → division codes
    suffixes: tuple[str, ...]
    classes: dict[str, UnitClass]  # class word → class
    class_pattern: re.Pattern[str]  # a prefix (哪些, 各) and a class word

    def find(self, text: str, taken: list[tuple[int, int]]) -> list[PlaceMention]:
        """Region words in a normalised text, longest first, outside ``taken`` spans (the words after
        them that say 'region' included: 东北地区, 东北那边)."""
        found: list[PlaceMention] = []
        spans = list(taken)
        for word in sorted(self.regions, key=len, reverse=True):
            start = text.find(word)
            while start != -1:
                end = start + len(word)
                if not any(start < e and s < end for s, e in spans) and text[end : end + 1] not in _NAME_GOES_ON:
                    end += next((len(s) for s in self.suffixes if text.startswith(s, end)), 0)
                    found.append(PlaceMention(start, end, text[start:end], self.regions[word], True))
                    spans.append((start, end))
                start = text.find(word, end)
        return sorted(found, key=lambda m: m.start)

    def label(self, codes: tuple[str, ...], gazetteer: Gazetteer) -> str | None:
        """东北（辽宁省、吉林省、黑龙江省）for the codes of a region, None for other codes."""
        for word, region in self.regions.items():
            if set(region) == set(codes):
                return f"{word}（{'、'.join(gazetteer.places[c].name for c in region)}）"
        return None


@cache
def load_regions(config_dir: Path) -> Regions:
    """``config/regions.toml`` read against the gazetteer: a division it names that the gazetteer
    does not know is an error in the file."""
    path = config_dir / "regions.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    gazetteer = load_gazetteer(config_dir)
    regions: dict[str, tuple[str, ...]] = {}
    for word, names in data.get("regions", {}).items():
        codes: list[str] = []
        for name in names:
            found = gazetteer.lookup(name, short=False)
            if not found:
                raise ValueError(f"{path}: region {word}: {name} is no division the gazetteer knows")
            codes.extend(found)
        regions[normalise(word)] = tuple(dict.fromkeys(codes))
    classes: dict[str, UnitClass] = {}
    for entry in data.get("classes", []):
        places = []
        for spec in entry.get("places", []):
            level, _, ending = spec.partition(":")
            places.append((_LEVELS[level], ending))
        for word in entry.get("words", []):
            word = normalise(word)
            classes[word] = UnitClass(word, tuple(places), entry.get("kind"), bool(entry.get("town", False)))
    prefixes = [normalise(p) for p in data.get("class_prefixes", {}).get("words", [])]
    alternatives = "|".join(re.escape(w) for w in sorted(classes, key=len, reverse=True)) or "(?!)"
    pattern = re.compile("(?:" + "|".join(re.escape(p) for p in sorted(prefixes, key=len, reverse=True)) + ")"
                         f"(?P<cls>{alternatives})(?P<gov>人民政府|政府)?") if prefixes else re.compile("(?!)")
    suffixes = tuple(sorted((normalise(s) for s in data.get("region_suffixes", {}).get("words", [])),
                            key=len, reverse=True))
    return Regions(regions, suffixes, classes, pattern)
