"""Which reports a question's words about units and places point at.

A question names a unit (``绍兴市场监管局``: 绍兴 + 市场监督管理局), a kind of unit (``应急局``, ``哪些街道``),
a place (``大足区``, ``浙江省``, ``沈阳``) or a town (``玉龙镇政府``). Places are read with the national
gazetteer, whether or not any report is from there, and a filter only ever narrows within the place
named: 绍兴's 市场监督管理局 is the one whose report is placed in 绍兴市, never another city's. When the
index has none, the question says so (``未收录绍兴市市场监督管理局的报告``) and only reports whose place
is unknown are searched instead. Everything is compared in normalised form (NFKC, simplified).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from reportqa.places import COUNTY, Gazetteer, PlaceMention, load_gazetteer
from reportqa.text import normalise
from reportqa.unit_names import GOVERNMENT, STREET_OFFICE, UnitName, load_unit_kinds, parse_unit_name

_CLASS_WORDS = re.compile(r"(?:哪些|哪个|哪几个|哪一个|各个|各|所有|全部|每个)(?P<cls>街道|乡镇|镇|乡|区县|区|县)")
_GOVERNMENT_FORMS = ("人民政府", "政府", "街道办事处", "街道办", "办事处", "管理委员会", "管委会")


@dataclass(frozen=True)
class UnitRef:
    """What the index knows about one report's unit."""

    report_id: int
    unit: str | None
    kind: str | None = None
    place_code: str | None = None
    locality: str | None = None
    region: str | None = None
    national: bool = False


@dataclass(frozen=True)
class UnitQuery:
    """Who a question asks about: places (each mention's possible divisions), a kind, a town, a
    level, and the exact unit names it gives."""

    words: tuple[str, ...] = ()  # the words of the question that said it
    spans: tuple[tuple[int, int], ...] = ()
    places: tuple[tuple[str, ...], ...] = ()
    kind: str | None = None
    locality: str | None = None
    level: int | None = None
    exact: frozenset[int] = frozenset()  # reports named by their unit's full name
    label: str = ""  # 绍兴市市场监督管理局, 大足区: for "未收录…的报告"

    @property
    def empty(self) -> bool:
        return not (self.places or self.kind or self.locality or self.level or self.exact)


def _stem(locality: str) -> str:
    """玉龙镇 → 玉龙镇, 草滩街道 / 草滩街 → 草滩: streets compared without 街道."""
    return re.sub(r"(?:街道|街)$", "", locality)


def kind_matches(report_kind: str | None, wanted: str) -> bool:
    """A report's kind is the one asked for, or a longer name of it (规划和自然资源局 for 自然资源局)."""
    return bool(report_kind) and (report_kind == wanted or (len(wanted) >= 3 and report_kind.endswith(wanted)))


@dataclass
class UnitCatalog:
    """The indexed reports' units, for reading and answering a question's unit words."""

    refs: dict[int, UnitRef] = field(default_factory=dict)
    display: dict[int, str] = field(default_factory=dict)
    exact_names: dict[str, set[int]] = field(default_factory=dict)
    localities: set[str] = field(default_factory=set)
    gazetteer: Gazetteer | None = None
    config_dir: Path | None = None
    _kinds: re.Pattern[str] | None = field(default=None, repr=False)

    @classmethod
    def build(cls, refs: Iterable[UnitRef], config_dir: Path) -> UnitCatalog:
        catalog = cls(gazetteer=load_gazetteer(config_dir), config_dir=config_dir)
        kinds = set(load_unit_kinds(config_dir).canonical)
        for ref in refs:
            catalog.refs[ref.report_id] = ref
            if ref.unit:
                catalog.display[ref.report_id] = ref.unit
                name = normalise(ref.unit)
                catalog.exact_names.setdefault(name, set()).add(ref.report_id)
                for part in name.split("、"):
                    catalog.exact_names.setdefault(part, set()).add(ref.report_id)
            if ref.kind and len(ref.kind) >= 3:
                kinds.add(normalise(ref.kind))
            if ref.locality:
                catalog.localities.add(normalise(ref.locality))
        forms = sorted((k for k in kinds if len(k) >= 2), key=len, reverse=True)
        catalog._kinds = re.compile("|".join(map(re.escape, forms))) if forms else re.compile(r"(?!)")
        return catalog

    # -- reading a question --------------------------------------------------------------------

    def read(self, text: str) -> UnitQuery:
        """The units, kinds, towns and places a normalised question names."""
        assert self.gazetteer is not None and self.config_dir is not None and self._kinds is not None
        spans: list[tuple[int, int]] = []
        words: list[str] = []
        unit: UnitName | None = None
        exact: set[int] = set()
        for name, ids in sorted(self.exact_names.items(), key=lambda item: -len(item[0])):
            start = text.find(name) if len(name) >= 4 else -1
            if start >= 0 and not _overlaps((start, start + len(name)), spans):
                exact |= ids
                spans.append((start, start + len(name)))
                words.append(name)
        for match in self._kinds.finditer(text):
            if _overlaps(match.span(), spans):
                continue
            found = self._unit_at(text, match)
            if found is None:
                continue
            start, named = found
            if unit is None:
                unit = named
            spans.append((start, match.end()))
            words.append(text[start : match.end()])
        free = [m for m in self.gazetteer.mentions(text) if not _overlaps((m.start, m.end), spans)]
        for mention in free:
            spans.append((mention.start, mention.end))
            words.append(mention.text)
        locality = None
        for name in sorted(self.localities, key=len, reverse=True):
            start = text.find(name)
            if start >= 0 and not _overlaps((start, start + len(name)), spans):
                locality = name
                spans.append((start, start + len(name)))
                words.append(name)
                break
        kind, level = None, None
        places: tuple[tuple[str, ...], ...] = ()
        if unit is not None:
            kind = unit.kind if not unit.party else (unit.partner.kind if unit.partner else unit.kind)
            locality = unit.locality or locality
            places = _place_groups(unit.places, self.gazetteer)
            if unit.marker:
                level = {"区": COUNTY, "县": COUNTY, "旗": COUNTY}.get(unit.marker)
        if not places:
            places = _place_groups(tuple(free), self.gazetteer)
        cls = _CLASS_WORDS.search(text)
        if cls and not _overlaps(cls.span("cls"), spans):
            word = cls.group("cls")
            if word == "街道":
                kind = kind or STREET_OFFICE
            elif word in ("乡镇", "镇", "乡"):
                kind = kind or GOVERNMENT
                locality = locality or "*"
            else:
                level = COUNTY
            words.append(cls.group(0))
        query = UnitQuery(tuple(words), tuple(sorted(spans)), places, kind, locality, level, frozenset(exact))
        return _labelled(query, unit, self.gazetteer)

    def _unit_at(self, text: str, match: re.Match[str]) -> tuple[int, UnitName] | None:
        """The unit whose kind a question names at ``match``, with what stands before the kind (the
        longest reading: 绍兴 + 市场监管局, 大足区 + 应急局, 玉龙镇 + 政府)."""
        assert self.config_dir is not None
        kind_text = match.group(0)
        for start in range(max(0, match.start() - 14), match.start() + 1):
            unit = parse_unit_name(text[start : match.end()], self.config_dir, place_only=False)
            if unit is None or not text[start : match.end()].endswith(unit.kind_written or kind_text):
                continue
            if kind_text in _GOVERNMENT_FORMS and not unit.stated_place:
                continue  # 法治政府 is not a government
            return start, unit
        if kind_text in _GOVERNMENT_FORMS:
            return None
        unit = parse_unit_name(kind_text, self.config_dir, place_only=False)
        return (match.start(), unit) if unit is not None else None

    # -- answering -----------------------------------------------------------------------------

    def find(self, text: str) -> set[int]:
        """The reports a normalised text names (a unit, a kind, a place), for /unit and the like."""
        query = self.read(text)
        return set() if query.empty else self.select(query)

    def province_of(self, report_id: int) -> str | None:
        """The province (or 全国 for a ministry) a report's unit belongs to, when known."""
        ref = self.refs.get(report_id)
        if ref is None or self.gazetteer is None:
            return None
        if ref.national:
            return "全国"
        province = self.gazetteer.province_of(ref.place_code) if ref.place_code else None
        return province.name if province else None

    def select(self, query: UnitQuery) -> set[int]:
        """The reports a question's unit words name; an exact unit name decides alone."""
        if query.exact:
            return set(query.exact)
        return {rid for rid, ref in self.refs.items() if self._fits(ref, query)}

    def unplaced(self, query: UnitQuery) -> set[int]:
        """Reports whose place nobody knows (and whose kind is the one asked for, or unknown): what
        may be searched when the place named has no report; never a report known to be elsewhere."""
        return {rid for rid, ref in self.refs.items()
                if ref.place_code is None and not ref.region and not ref.national
                and (query.kind is None or ref.kind is None or kind_matches(ref.kind, query.kind))}

    def _fits(self, ref: UnitRef, query: UnitQuery) -> bool:
        assert self.gazetteer is not None
        if query.places and not self._in_places(ref.place_code, query.places):
            return False
        if query.kind is not None and not kind_matches(ref.kind, query.kind):
            return False
        if query.locality is not None and not _same_locality(ref.locality, query.locality):
            return False
        if query.level is not None:
            place = self.gazetteer.get(ref.place_code)
            if place is None or place.level != query.level:
                return False
        return True

    def _in_places(self, code: str | None, places: tuple[tuple[str, ...], ...]) -> bool:
        assert self.gazetteer is not None
        return code is not None and any(self.gazetteer.within(code, c) for group in places for c in group)


def _same_locality(report_locality: str | None, wanted: str) -> bool:
    """A report's town is the one asked for (``*``: any town)."""
    if report_locality is None:
        return False
    return wanted == "*" or _stem(normalise(report_locality)) == _stem(wanted)


def _overlaps(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in spans)


def _place_groups(mentions: tuple[PlaceMention, ...], gazetteer: Gazetteer) -> tuple[tuple[str, ...], ...]:
    """Place mentions as filters: a mention right after another (重庆市大足区) narrows it; separate
    ones (大足区和长寿区) are alternatives."""
    groups: list[tuple[str, ...]] = []
    previous: PlaceMention | None = None
    for mention in mentions:
        codes = mention.codes
        if previous is not None and previous.end == mention.start and groups:
            inside = tuple(c for c in codes if any(gazetteer.within(c, p) for p in groups[-1]))
            if inside:
                groups[-1] = inside
                previous = mention
                continue
        groups.append(codes)
        previous = mention
    return tuple(groups)


def _labelled(query: UnitQuery, unit: UnitName | None, gazetteer: Gazetteer) -> UnitQuery:
    """The query with a label naming what it asks for (绍兴市市场监督管理局, 大足区, 玉龙镇人民政府)."""
    places = "、".join("/".join(dict.fromkeys(gazetteer.places[c].name for c in group)) for group in query.places)
    if unit is not None and unit.places and len(query.places) == 1 and len(query.places[0]) == 1:
        label = unit.compose(gazetteer, gazetteer.places[query.places[0][0]].name)
        if not unit.place_text(gazetteer).endswith(gazetteer.places[query.places[0][0]].name):
            label = unit.compose(gazetteer)
    elif unit is not None:
        label = (places if not unit.stated_place else "") + unit.compose(gazetteer)
    else:
        label = places + (query.locality if query.locality and query.locality != "*" else "")
    return replace(query, label=label)
