"""Which reports a question's unit or region words point at.

Built from the indexed reports: each unit is known by its full name, its name without the region
prefix (重庆市大足区应急管理局 → 大足区应急管理局 → 应急管理局), a town's name without 人民政府, and the usual
short forms from ``config/unit_aliases.tsv`` (应急局 → 应急管理局). Regions (大足区, 长寿区) point at
every unit in them. Everything is compared in normalised form (simplified, NFKC).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from reportqa.ingest.metadata import region_of
from reportqa.text import normalise

MIN_ALIAS_CHARS = 3
_NAME_CHAR = r"(?:(?![省市区县旗])[\u4e00-\u9fff])"
_REGION_PART = re.compile(
    rf"^{_NAME_CHAR}{{2,7}}?(?:省|自治区)|^{_NAME_CHAR}{{2,4}}市|^{_NAME_CHAR}{{1,6}}(?:区|县|旗)"
    r"|^(?:[A-Za-z]{1,4}|[×＊*]{1,4})(?=[\u4e00-\u9fff])"
)  # province, city, district prefixes, and a masked one (XX经济和信息化局, ＊＊区)
_GOVERNMENT = re.compile(r"(?:人民政府|政府|党委|委员会|办事处)$")


@dataclass(frozen=True)
class UnitRef:
    report_id: int
    unit: str | None
    region: str | None


def name_variants(name: str) -> list[str]:
    """A unit's name and the same name without its leading province/city/district parts."""
    variants = [name]
    rest = name
    while True:
        match = _REGION_PART.match(rest)
        if not match or len(rest) - match.end() < 2:
            break
        rest = rest[match.end():]
        variants.append(rest)
    return variants


def unit_aliases(unit: str, forms: list[tuple[str, str]]) -> list[str]:
    """The names a unit goes by: in full, without its region prefix, a town without 人民政府, and
    with the usual short forms (``forms``: normalised full form → short form)."""
    variants = name_variants(normalise(unit))
    for variant in list(variants):
        stem = _GOVERNMENT.sub("", variant)
        if stem != variant and len(stem) >= MIN_ALIAS_CHARS and stem.endswith(("镇", "乡", "街道")):
            variants.append(stem)
    for full, short in forms:
        variants.extend(v.replace(full, short) for v in list(variants) if full in v)
    return [a for a in dict.fromkeys(variants) if len(a) >= MIN_ALIAS_CHARS]


@dataclass
class UnitCatalog:
    """Alias → report ids, for units and for regions."""

    unit_aliases: dict[str, set[int]] = field(default_factory=dict)
    region_aliases: dict[str, set[int]] = field(default_factory=dict)
    display: dict[int, str] = field(default_factory=dict)
    _alias_lengths: list[int] | None = field(default=None, repr=False)

    @classmethod
    def build(cls, refs: Iterable[UnitRef], short_forms: Mapping[str, str]) -> UnitCatalog:
        """Aliases of every unit and region; each distinct name is worked out once (a province's
        index has thousands of reports but far fewer units)."""
        catalog = cls()
        forms = [(normalise(full), normalise(short)) for short, full in short_forms.items()]
        unit_cache: dict[str, list[str]] = {}
        region_cache: dict[str, list[str]] = {}
        for ref in refs:
            if ref.unit:
                catalog.display[ref.report_id] = ref.unit
                if ref.unit not in unit_cache:
                    unit_cache[ref.unit] = unit_aliases(ref.unit, forms)
                for alias in unit_cache[ref.unit]:
                    catalog.unit_aliases.setdefault(alias, set()).add(ref.report_id)
            region = ref.region or region_of(ref.unit)
            if region:
                if region not in region_cache:
                    region_cache[region] = [a for a in name_variants(normalise(region))
                                            if len(a) >= MIN_ALIAS_CHARS or a.endswith(("区", "县"))]
                for alias in region_cache[region]:
                    catalog.region_aliases.setdefault(alias, set()).add(ref.report_id)
        return catalog

    def _lengths(self) -> list[int]:
        """The distinct alias lengths: a question is matched by looking up each of its substrings of
        these lengths (a question costs its length × these, not the number of units)."""
        if self._alias_lengths is None:
            self._alias_lengths = sorted({len(a) for a in self.unit_aliases} | {len(a) for a in self.region_aliases})
        return self._alias_lengths

    def find(self, text: str) -> tuple[set[int], list[str], list[tuple[int, int]]]:
        """Report ids named in ``text`` (normalised), the matched words, and their spans.

        The longest alias wins where several overlap; unit names and region names found together
        narrow each other (大足区 + 应急局 → that district's 应急管理局).
        """
        found: list[tuple[int, int, str, str]] = []
        lengths = self._lengths()
        for start in range(len(text)):
            for length in lengths:
                word = text[start : start + length]
                if len(word) < length:
                    continue
                if word in self.unit_aliases:
                    found.append((start, start + length, word, "unit"))
                if word in self.region_aliases:
                    found.append((start, start + length, word, "region"))
        found.sort(key=lambda f: (-(f[1] - f[0]), f[0]))
        taken: list[tuple[int, int, str, str]] = []
        for candidate in found:
            if all(candidate[1] <= t[0] or candidate[0] >= t[1] for t in taken):
                taken.append(candidate)
        unit_ids: set[int] = set()
        region_ids: set[int] | None = None
        for _, _, alias, kind in taken:
            if kind == "unit":
                unit_ids |= self.unit_aliases[alias]
            else:
                region_ids = (region_ids or set()) | self.region_aliases[alias]
        if unit_ids and region_ids is not None:
            narrowed = unit_ids & region_ids
            ids = narrowed or unit_ids
        else:
            ids = unit_ids or (region_ids or set())
        taken.sort()
        return ids, [t[2] for t in taken], [(t[0], t[1]) for t in taken]
