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
from typing import NamedTuple

from reportqa.domain.places import COUNTY, Gazetteer, PlaceMention, load_gazetteer
from reportqa.domain.regions import Regions, UnitClass, load_regions
from reportqa.domain.text import normalise
from reportqa.domain.unit_names import (
    GOVERNMENT,
    STREET_OFFICE,
    UnitName,
    kind_goes_on,
    load_unit_kinds,
    parse_unit_name,
)

_GOVERNMENT_FORMS = ("人民政府", "政府", "街道办事处", "街道办", "办事处", "管理委员会", "管委会")


class UnitRef(NamedTuple):
    """What the index knows about one report's unit (a tuple: an index of 83k reports makes one
    each on loading, 8× faster than a frozen dataclass)."""

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
    unit_class: UnitClass | None = None  # 哪些城市, 各区县: the divisions whose units are meant
    general_words: tuple[str, ...] = ()  # of ``words``, those naming a class or a region (哪些城市, 东北地区):
    # no report's text says them, so they are no evidence a passage is about the unit

    @property
    def empty(self) -> bool:
        return not (self.places or self.kind or self.locality or self.level or self.exact
                    or (self.unit_class is not None and self.unit_class.filters))


def _stem(locality: str) -> str:
    """玉龙镇 → 玉龙镇, 草滩街道 / 草滩街 → 草滩: streets compared without 街道."""
    return re.sub(r"(?:街道|街)$", "", locality)


_DEPARTMENT_ENDING = re.compile(r"(?:委员会|局|委|厅)$")


def _department_stem(kind: str) -> str | None:
    """卫生健康委员会 → 卫生健康, 文化广电和旅游局 → 文化广电旅游: what a department is about."""
    if not _DEPARTMENT_ENDING.search(kind):
        return None
    return _DEPARTMENT_ENDING.sub("", kind).replace("和", "")


def kind_matches(report_kind: str | None, wanted: str) -> bool:
    """A report's kind is the one asked for: the same, a longer name of it (规划和自然资源局 for
    自然资源局), or the same department under another name places give it (卫健委 for a 卫生健康局,
    文旅局 for a 文化广电旅游局, 教委 for an 教育局): a 局, 委 or 厅 about the same things."""
    if not report_kind:
        return False
    if report_kind == wanted or (len(wanted) >= 3 and report_kind.endswith(wanted)):
        return True
    asked, found = _department_stem(wanted), _department_stem(report_kind)
    return bool(asked and found and len(asked) >= 2 and asked[0] == found[0] and set(asked) <= set(found))


def load_unit_resources(config_dir: Path) -> None:
    """Load (and cache) what building a catalog reads from ``config/`` and the gazetteer's data."""
    load_gazetteer(config_dir)
    load_unit_kinds(config_dir)
    load_regions(config_dir)


@dataclass
class UnitCatalog:
    """The indexed reports' units, indexed for reading and answering a question's unit words: a
    question costs set lookups and intersections, not a pass over every report."""

    refs: dict[int, UnitRef] = field(default_factory=dict)
    display: dict[int, str] = field(default_factory=dict)
    exact_names: dict[str, set[int]] = field(default_factory=dict)
    localities: set[str] = field(default_factory=set)
    gazetteer: Gazetteer | None = None
    config_dir: Path | None = None
    by_area: dict[str, set[int]] = field(default_factory=dict)  # a division → reports in it or below
    by_kind: dict[str, set[int]] = field(default_factory=dict)
    by_locality: dict[str, set[int]] = field(default_factory=dict)  # a town's stem → reports
    by_level: dict[int, set[int]] = field(default_factory=dict)  # the level of a report's place
    by_place_name: dict[str, set[int]] = field(default_factory=dict)  # a name several places carry, undecided
    by_place: dict[str, set[int]] = field(default_factory=dict)  # a division → reports placed exactly there
    regions: Regions | None = None
    unplaced_ids: set[int] = field(default_factory=set)  # no place known, not a ministry
    _kinds: re.Pattern[str] | None = field(default=None, repr=False)
    _name_lengths: tuple[int, ...] = ()
    _town_lengths: tuple[int, ...] = ()
    _kind_cache: dict[str, set[int]] = field(default_factory=dict, repr=False)
    _place_names: tuple[str, ...] | None = field(default=None, repr=False)

    @classmethod
    def build(cls, refs: Iterable[UnitRef], config_dir: Path) -> UnitCatalog:
        gazetteer = load_gazetteer(config_dir)
        catalog = cls(gazetteer=gazetteer, config_dir=config_dir, regions=load_regions(config_dir))
        kinds = set(load_unit_kinds(config_dir).canonical)
        # a unit reports year after year: its names and places are read once, for all its reports
        same_unit: dict[tuple, list[int]] = {}
        for ref in refs:
            catalog.refs[ref.report_id] = ref
            key = (ref.unit, ref.kind, ref.place_code, ref.locality, ref.region, ref.national)
            same_unit.setdefault(key, []).append(ref.report_id)
        for (unit, kind, place_code, locality, region, national), ids in same_unit.items():
            if unit:
                catalog.display.update(dict.fromkeys(ids, unit))
                name = normalise(unit)
                for part in {name, *name.split("、")}:
                    if len(part) >= 4:
                        catalog.exact_names.setdefault(part, set()).update(ids)
            if kind:
                catalog.by_kind.setdefault(normalise(kind), set()).update(ids)
                if len(kind) >= 3:
                    kinds.add(normalise(kind))
            if locality:
                catalog.localities.add(normalise(locality))
                catalog.by_locality.setdefault(_stem(normalise(locality)), set()).update(ids)
            if place_code and place_code in gazetteer.places:
                for place in gazetteer.chain(place_code):
                    catalog.by_area.setdefault(place.code, set()).update(ids)
                catalog.by_level.setdefault(gazetteer.places[place_code].level, set()).update(ids)
                catalog.by_place.setdefault(place_code, set()).update(ids)
            elif not national:
                # 城中区, and nothing said which: found by the name as written; a town alone
                # (留下街道) says nothing of its county, so its report may be anywhere
                written = gazetteer.mentions(normalise(region or ""))
                for mention in written:
                    catalog.by_place_name.setdefault(gazetteer.places[mention.codes[0]].name, set()).update(ids)
                if not written:
                    catalog.unplaced_ids.update(ids)
        forms = sorted((k for k in kinds if len(k) >= 2), key=len, reverse=True)
        catalog._kinds = re.compile("|".join(map(re.escape, forms))) if forms else re.compile(r"(?!)")
        catalog._name_lengths = tuple(sorted({len(n) for n in catalog.exact_names}, reverse=True))
        catalog._town_lengths = tuple(sorted({len(n) for n in catalog.localities}, reverse=True))
        return catalog

    def of_kind(self, wanted: str) -> set[int]:
        """Reports whose unit is of the kind asked for (see ``kind_matches``), cached per kind."""
        if wanted not in self._kind_cache:
            self._kind_cache[wanted] = {rid for kind, ids in self.by_kind.items() if kind_matches(kind, wanted)
                                        for rid in ids}
        return self._kind_cache[wanted]

    # -- reading a question --------------------------------------------------------------------

    def read(self, text: str, boundaries: frozenset[int] | None = None) -> UnitQuery:
        """The units, kinds, towns, places, regions and classes of unit a normalised question names.
        With ``boundaries`` (where the text's words begin and end) a class word must be a whole word
        (哪些县 is a class, 哪些县城 and 哪些市场 are not)."""
        assert self.gazetteer is not None and self.config_dir is not None and self._kinds is not None
        assert self.regions is not None
        spans: list[tuple[int, int]] = []
        words: list[str] = []
        unit: UnitName | None = None
        exact: set[int] = set()
        for length in self._name_lengths:  # a unit's full name, longest first
            for start in range(len(text) - length + 1):
                name = text[start : start + length]
                if name in self.exact_names and not _overlaps((start, start + length), spans):
                    exact |= self.exact_names[name]
                    spans.append((start, start + length))
                    words.append(name)
        for match in self._kinds.finditer(text):
            if _overlaps(match.span(), spans) or kind_goes_on(text, match.end()):
                continue  # (交通运输部门: a word about departments, not the ministry)
            found = self._unit_at(text, match)
            if found is None:
                continue
            start, named = found
            if unit is None:
                unit = named
            spans.append((start, match.end()))
            words.append(text[start : match.end()])
        general: list[str] = []
        unit_class, cls_span, government = self._class_at(text, spans, boundaries)
        if cls_span is not None:
            spans.append(cls_span)
            words.append(text[cls_span[0] : cls_span[1]])
            general.append(words[-1])
        free = [m for m in self.gazetteer.mentions(text) if not _overlaps((m.start, m.end), spans)]
        regions = self.regions.find(text, [*spans, *((m.start, m.end) for m in free)])
        general += [m.text for m in regions]
        free = sorted([*free, *regions], key=lambda m: m.start)
        for mention in free:
            spans.append((mention.start, mention.end))
            words.append(mention.text)
        locality = self._indexed_town(text, spans)
        if locality is not None:
            words.append(locality)
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
        if unit_class is not None:
            if unit_class.kind == "street" or (government and unit_class.town and not unit_class.kind):
                kind = kind or (STREET_OFFICE if unit_class.kind == "street" else GOVERNMENT)
            elif unit_class.kind == "government" or government:
                kind = kind or GOVERNMENT
            if unit_class.town:
                locality = locality or "*"
        query = UnitQuery(tuple(words), tuple(sorted(spans)), places, kind, locality, level, frozenset(exact),
                          unit_class=unit_class if unit_class is not None and unit_class.places else None,
                          general_words=tuple(general))
        return _labelled(query, unit, self.gazetteer, self.regions, unit_class, government)

    def _class_at(self, text: str, spans: list[tuple[int, int]], boundaries: frozenset[int] | None
                  ) -> tuple[UnitClass | None, tuple[int, int] | None, bool]:
        """The class of unit asked for (哪些城市政府: cities, governments) and the span of its words."""
        assert self.regions is not None
        for match in self.regions.class_pattern.finditer(text):
            end = match.end("cls")
            if _overlaps(match.span("cls"), spans) or (boundaries is not None and end not in boundaries
                                                       and not match.group("gov")):
                continue
            return self.regions.classes[match.group("cls")], match.span(), bool(match.group("gov"))
        return None, None, False

    def _indexed_town(self, text: str, spans: list[tuple[int, int]]) -> str | None:
        """A town or street of an indexed report named on its own (玉龙镇公共服务中心), marked in ``spans``."""
        for length in self._town_lengths:
            for start in range(len(text) - length + 1):
                name = text[start : start + length]
                if name in self.localities and not _overlaps((start, start + length), spans):
                    spans.append((start, start + length))
                    return name
        return None

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

    def place_names(self) -> tuple[str, ...]:
        """Names an English question may romanise: the gazetteer's short forms, then its full names,
        then the indexed towns' and streets' names without 镇 / 街道 (玉龙)."""
        if self._place_names is None:
            assert self.gazetteer is not None
            towns = [re.sub(r"(?:镇|乡|街道|街道办事处|街)$", "", t) for t in sorted(self.localities)]
            self._place_names = (*sorted(self.gazetteer.by_short), *sorted(self.gazetteer.by_name),
                                 *(t for t in towns if len(t) >= 2))
        return self._place_names

    def is_unit_word(self, chinese: str) -> bool:
        """Whether a word names a kind or a class of unit, or a region (教委, 区, 人民政府, 东北): for English
        unit words."""
        assert self._kinds is not None and self.regions is not None
        return (bool(self._kinds.fullmatch(chinese)) or chinese in self.regions.classes or chinese in _GOVERNMENT_FORMS
                or chinese in self.regions.regions)

    def label_of(self, query: UnitQuery) -> str:
        """What a query asks for, as a label (大足区, 东北（辽宁省、吉林省、黑龙江省）)."""
        assert self.gazetteer is not None
        return _labelled(query, None, self.gazetteer, self.regions).label

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
        found: set[int] | None = None
        for part in self._parts(query):
            found = set(part) if found is None else found & part
            if not found:
                return set()
        return found if found is not None else set()

    def unplaced(self, query: UnitQuery) -> set[int]:
        """Reports whose place nobody knows (and whose kind is the one asked for, or unknown): what
        may be searched when the place named has no report; never a report known to be elsewhere."""
        if query.kind is None:
            return set(self.unplaced_ids)
        return {rid for rid in self.unplaced_ids
                if self.refs[rid].kind is None or rid in self.of_kind(query.kind)}

    def _parts(self, query: UnitQuery) -> list[set[int]]:
        """One set of reports for each thing the query asks (places, kind, town, level)."""
        parts: list[set[int]] = []
        if query.places:
            assert self.gazetteer is not None
            parts.append({rid for group in query.places for code in group
                          for rid in (*self.by_area.get(code, ()),
                                      *self.by_place_name.get(self.gazetteer.places[code].name, ()))})
        if query.kind is not None:
            parts.append(self.of_kind(query.kind))
        if query.locality is not None:
            if query.locality == "*":
                parts.append({rid for ids in self.by_locality.values() for rid in ids})
            else:
                parts.append(self.by_locality.get(_stem(query.locality), set()))
        if query.level is not None:
            parts.append(self.by_level.get(query.level, set()))
        if query.unit_class is not None:
            assert self.gazetteer is not None
            places = self.gazetteer.places
            # a town's or street's unit is not one of its county's (哪些区县: county-level units)
            parts.append({rid for code, ids in self.by_place.items() if query.unit_class.holds(places[code])
                          for rid in ids if not self.refs[rid].locality})
        return parts


def query_locality(query: UnitQuery) -> str:
    return query.locality if query.locality and query.locality != "*" else ""


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


def _labelled(query: UnitQuery, unit: UnitName | None, gazetteer: Gazetteer, regions: Regions | None = None,
              unit_class: UnitClass | None = None, government: bool = False) -> UnitQuery:
    """The query with a label naming what it asks for (绍兴市市场监督管理局, 大足区, 玉龙镇人民政府,
    东北（辽宁省、吉林省、黑龙江省）的城市政府)."""
    places = "、".join((regions.label(group, gazetteer) if regions is not None else None)
                      or "/".join(dict.fromkeys(gazetteer.places[c].name for c in group)) for group in query.places)
    if unit is None and unit_class is not None and unit_class.filters:
        word = unit_class.word + ("政府" if government and unit_class.kind != "government" else "")
        return replace(query, label=(f"{places}的{word}" if places else word) + query_locality(query))
    if unit is not None and unit.places and len(query.places) == 1 and len(query.places[0]) == 1:
        label = unit.compose(gazetteer, gazetteer.places[query.places[0][0]].name)
        if not unit.place_text(gazetteer).endswith(gazetteer.places[query.places[0][0]].name):
            label = unit.compose(gazetteer)
    elif unit is not None:
        label = (places if not unit.stated_place else "") + unit.compose(gazetteer)
    else:
        label = places + (query.locality if query.locality and query.locality != "*" else "")
    if not label:  # a kind asked for in the plural: 哪些街道, 各乡镇, 哪些区县 (written with the old class words)
        label = ("街道" if query.kind == STREET_OFFICE else "乡镇" if query.locality == "*"
                 else query.kind or ("区县" if query.level == COUNTY else ""))
    return replace(query, label=label)
