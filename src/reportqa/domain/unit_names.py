"""What a unit's name says: where the unit is (places, a town or street) and what kind it is.

``重庆市大足区应急管理局`` is 重庆市 › 大足区 + 应急管理局; ``市市场监管局`` a city-level (市) 市场监督管理局
of a city the name does not say; ``XX经济和信息化局`` a masked place + 经济和信息化局; ``玉龙镇人民政府``
the government of the town 玉龙镇; ``静海区`` alone (a title that names only a place) the place's
government; ``中共长春市委、长春市人民政府`` a joint report. Kinds are canonical
(``config/unit_kinds.tsv``: 市场监管局 → 市场监督管理局), so that one unit written two ways is one unit,
and ``compose`` writes the full name from the parts as far as they are known (绍兴市 + 市场监督管理局),
with the kind as the unit has it: an abbreviation written out, a real name (重庆市交通局) as written.
Everything is compared in normalised form (NFKC, simplified, no spaces).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from pathlib import Path

from reportqa.domain.places import CITY, COUNTY, PROVINCE, Gazetteer, PlaceMention, load_gazetteer
from reportqa.domain.text import normalise

GOVERNMENT = "人民政府"
STREET_OFFICE = "街道办事处"
PARTY_COMMITTEE = "党委"

# endings that make a name a unit when its kind is not in unit_kinds.tsv (…局, …委员会, …厅)
_ENDING = re.compile(
    r"(?:管理委员会|委员会|管委会|办公室|中心|法院|检察院|研究院|司法所|支队|大队|总工会|联合会|局|委|厅|部|办|署)$"
)
_LOCALITY = re.compile(r"[\u4e00-\u9fff]{2,8}?(?:街道|镇|乡|街)")
_ZONE = re.compile(
    r"[\u4e00-\u9fff]{0,10}?(?:经济技术开发区|高新技术产业开发区|新技术开发区|经开区|高新区|开发区|新区|新片区|工业园区|园区|示范区|"
    r"试验区|合作区|科学城)"
)
_MASK = re.compile(r"(?:[Xx×＊*]{1,4}|某{1,3})")
MARKERS = {"省": PROVINCE, "市": CITY, "州": CITY, "盟": CITY, "区": COUNTY, "县": COUNTY, "旗": COUNTY}
# endings that only look like a unit's: 领导干部, 各部门, 内部, 党支部
_NOT_A_KIND = re.compile(
    r"(?:干部|部门|全部|内部|局部|外部|支部|总部|俱乐部|大部|本部|局面|格局|布局|结局|当局|开局|大局|党委|工委)$"
)
_NOT_IN_A_NAME = re.compile(r"[的了着是在对将把为与及等，,。、]|按照|根据|关于|坚持|认真|全面|党组|学习|小组|会议")
_NATIONAL = re.compile(r"^(?:国家|国务院|中央|中国|最高人民|全国)|部$|署$|总局$")
_NOT_A_NAME = re.compile(r"^(?:我|本|该|各|全|局|部|委|厅|哪|那|这|下属|直属|所属|有关|相关|上级|其他|其它|什么)")


@dataclass(frozen=True)
class UnitKinds:
    """Kind forms → canonical kind (every canonical kind maps to itself), and how each form is cited:
    an abbreviation (市场监管局) by its full form, a name units really have (交通局) as written."""

    canonical: dict[str, str]
    forms_longest_first: tuple[str, ...]
    by_last: dict[str, tuple[str, ...]] = field(default_factory=dict)  # last character → forms, longest first
    cited: dict[str, str] = field(default_factory=dict)  # abbreviation → the full form a citation writes

    def __post_init__(self) -> None:
        grouped: dict[str, list[str]] = {}
        for form in self.forms_longest_first:
            grouped.setdefault(form[-1], []).append(form)
        self.by_last.update({last: tuple(forms) for last, forms in grouped.items()})

    def suffixes(self, name: str) -> tuple[str, ...]:
        """The kind forms a name ends with, longest first."""
        return tuple(f for f in self.by_last.get(name[-1:], ()) if len(f) <= len(name) and name.endswith(f))

    def canonical_of(self, form: str) -> str:
        return self.canonical.get(form, form)

    def cited_of(self, form: str) -> str:
        """The kind as a citation writes it: an abbreviation's full form, any other form as written."""
        return self.cited.get(form, form)

    def domains(self, ending: str = "局") -> dict[str, str]:
        """Domain word → canonical kind for the kinds with ``ending``: 交通运输 → 交通运输局."""
        out: dict[str, str] = {}
        for form, canonical in self.canonical.items():
            if form.endswith(ending) and canonical.endswith(ending) and len(form) - len(ending) >= 2:
                out.setdefault(form[: -len(ending)], canonical)
        return out


@cache
def load_unit_kinds(config_dir: Path) -> UnitKinds:
    """``config/unit_kinds.tsv``: a form written ``应急局>`` is an abbreviation cited as the canonical
    kind, ``环保局>环境保护局`` one cited as the form after ``>``, a plain form a name cited as written."""
    canonical: dict[str, str] = {}
    cited: dict[str, str] = {}
    for raw in (config_dir / "unit_kinds.tsv").read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        main, _, others = raw.partition("\t")
        main = normalise(main.strip())
        canonical.setdefault(main, main)
        for entry in others.split():
            form, abbreviation, full = (normalise(part) for part in entry.partition(">"))
            canonical.setdefault(form, main)
            if abbreviation:
                cited.setdefault(form, full or main)
    return UnitKinds(canonical, tuple(sorted(canonical, key=len, reverse=True)), cited=cited)


@dataclass(frozen=True)
class UnitName:
    """A unit's name read into its parts; what the name does not state is ``None`` or empty."""

    written: str  # as the report writes it
    kind: str  # canonical kind: 市场监督管理局, 人民政府, 街道办事处, 党委
    kind_written: str = ""  # the kind as written: 市场监管局 (empty when a place stands for its government)
    places: tuple[PlaceMention, ...] = ()  # gazetteer places the name starts with, in order
    marker: str | None = None  # 市 in 市市场监管局: a level, not a place
    mask: str | None = None  # XX in XX经济和信息化局, 某区 in 重庆市某区司法局: a place hidden on purpose
    locality: str | None = None  # 玉龙镇, 海滨街道: a town or street, below county level
    zone: str | None = None  # 经开区 in 大足经开区经济发展局
    partner: UnitName | None = None  # the government beside a party committee in a joint report
    cited: str = ""  # the kind as a citation writes it (交通局 as written, 市场监管局 → 市场监督管理局)
    branch_of: str | None = None  # 公安局 in 广州市公安局增城区分局: the office whose branch this is

    @property
    def party(self) -> bool:
        return self.kind == PARTY_COMMITTEE

    @property
    def marker_level(self) -> int | None:
        return MARKERS[self.marker] if self.marker else None

    @property
    def stated_place(self) -> bool:
        """Whether the name says where the unit is (a gazetteer place or a town)."""
        return bool(self.places) or self.locality is not None

    @property
    def national(self) -> bool:
        """A ministry or national body (应急管理部, 海关总署, 国家税务总局): no place, marker or mask."""
        return (not self.places and not self.marker and not self.mask and not self.locality
                and not self.party and bool(_NATIONAL.search(self.kind)))

    def place_text(self, gazetteer: Gazetteer) -> str:
        """The places as the name writes them, a short form written out (绍兴 → 绍兴市) unless a
        zone follows it (大足经开区 is the zone's own name)."""
        out = []
        for mention in self.places:
            if mention.short and len(mention.codes) == 1 and not self.zone:
                out.append(gazetteer.places[mention.codes[0]].name)
            elif not mention.short and gazetteer.places[mention.codes[0]].name != mention.text:
                out.append(gazetteer.places[mention.codes[0]].name)  # 干县, as t2s wrote 乾县
            else:
                out.append(mention.text)
        return "".join(out)

    def compose(self, gazetteer: Gazetteer, place_name: str | None = None) -> str:
        """The full name: ``place_name`` (resolved elsewhere) where the name has only a marker, a
        mask or nothing; the places and town as written; the kind as cited. A mask nothing
        resolved is dropped, keeping its level (XX县水利局 → 县水利局), unless a real place stands
        before it (重庆市某某区交通运输局 stays as written)."""
        places = self.place_text(gazetteer)
        if self.mask and place_name:
            places = place_name if not places or place_name.startswith(places) else places + place_name
        elif self.mask:
            places += self.mask if places else (self.marker or "")
        elif place_name and not places:
            places = place_name
        body = f"{places}{self.zone or ''}{self.locality or ''}"
        if self.party:
            name = f"中共{body or (self.marker or '')}{self.kind_written or '委员会'}"
            if self.partner is not None:
                return f"{name}、{self.partner.compose(gazetteer, place_name or places or None)}"
            return name
        if not body and self.marker and not place_name:
            body = self.marker  # 市卫生健康委员会: the level is all the name says
        if self.branch_of and self.places:  # 广州市 + 公安局 + 增城区 + 分局, as the name has it
            last = self.places[-1]
            above = self.place_text(gazetteer)[: -len(gazetteer.places[last.codes[0]].name)] if (
                last.short and len(last.codes) == 1) else self.place_text(gazetteer)[: -len(last.text)]
            return f"{above}{self.branch_of}{self.place_text(gazetteer)[len(above):]}分局"
        name = body + ("办事处" if body.endswith("街道") else STREET_OFFICE) if self.kind == STREET_OFFICE else (
            f"{body}{self.cited or self.kind}")
        return f"{name}、{self.partner.compose(gazetteer)}" if self.partner is not None else name


def _clean(text: str) -> str:
    return normalise(text or "").strip().strip("，,。：:；;（）()【】[]<>《》“”\"' ")


@lru_cache(maxsize=8192)
def parse_unit_name(text: str, config_dir: Path, place_only: bool = True) -> UnitName | None:
    """Read a unit's name, or a place standing for its government (``place_only``); None when the
    text is not one. Remembered (a ``UnitName`` is immutable): a report's issuer is looked for in
    some 60 candidate names, most of them its own unit's again and again."""
    gazetteer = load_gazetteer(config_dir)
    kinds = load_unit_kinds(config_dir)
    cleaned = _clean(text)
    parts = [p for p in re.split(r"[、，,\s\u3000]+", cleaned) if p]
    if len(parts) == 2:
        return _joint(text, parts, gazetteer, kinds)
    if len(parts) != 1:
        return None
    return _single(parts[0], text.strip(), gazetteer, kinds, place_only)


def unit_before(text: str, start: int, end: int, config_dir: Path, reach: int = 14) -> UnitName | None:
    """The unit whose kind stands at ``text[start:end]`` (a normalised text), read with the longest
    head before it that is all places, marker, mask, town or zone (上海市 + 人力资源和社会保障局,
    市 + 公安局); the bare kind when nothing before it reads."""
    gazetteer = load_gazetteer(config_dir)
    kinds = load_unit_kinds(config_dir)
    form = text[start:end]
    kind = kinds.canonical.get(form, form)
    for head_start in range(max(0, start - reach), start + 1):
        head = _read_head(text[head_start:start], gazetteer)
        if head is None:
            continue
        unit = _checked(UnitName(text[head_start:end], kind, form, *head, cited=kinds.cited_of(form)))
        if unit is not None:
            return unit
    return None


def _joint(written: str, parts: list[str], gazetteer: Gazetteer, kinds: UnitKinds) -> UnitName | None:
    """中共长春市委 长春市人民政府, 云南省委、省政府: a party committee with its government (or two
    bodies reporting together)."""
    first = _single(parts[0], parts[0], gazetteer, kinds, False)
    second = _single(parts[1], parts[1], gazetteer, kinds, False)
    if first is None and second is not None and not second.party and parts[0].startswith("中共"):
        return second  # 中共X区委教育工作委员会 重庆市X区教育委员会: a party body beside the office writing
    if not first or not second or (first.party and second.party):
        return None
    if not first.party and not second.party:  # 广州市黄埔区人民政府 广州开发区管委会: two bodies, one report
        return replace(first, written=written.strip(), partner=second)
    party, government = (first, second) if first.party else (second, first)
    if government.kind != GOVERNMENT:
        return None
    if not government.stated_place and party.stated_place:
        government = replace(government, places=party.places, locality=party.locality, marker=None)
    return replace(party, written=written.strip(), partner=government)


def _single(simple: str, written: str, gazetteer: Gazetteer, kinds: UnitKinds, place_only: bool) -> UnitName | None:
    if not 2 <= len(simple) <= 40:
        return None
    if _NOT_A_NAME.match(simple) and not _read_places(simple, gazetteer)[0]:
        return None  # 我局, 本单位, 各部门 (but 本溪市, 全椒县 are places)
    if simple.startswith("原") and len(simple) > 4 and not _read_places(simple, gazetteer)[0]:
        # 原环境保护部: the former name (but 原州区, 原平市 are places)
        simple = simple[1:]
    if simple.endswith("分局") and (branch := _branch(simple, written, gazetteer, kinds)) is not None:
        return branch
    if simple.startswith("中共"):
        head = _read_head(simple[2:].removesuffix("委员会").removesuffix("委"), gazetteer)
        if head is None or not (head[0] or head[1] or head[3]):
            return None
        return UnitName(written, PARTY_COMMITTEE, "委员会" if simple.endswith("委员会") else "委", *head)
    for form in kinds.suffixes(simple):
        head = _read_head(simple[: len(simple) - len(form)], gazetteer)
        unit = (_checked(UnitName(written, kinds.canonical[form], form, *head, cited=kinds.cited_of(form)))
                if head is not None else None)
        if unit is not None:
            return unit
    for ending in ("委", "委员会"):  # 长春市委, 大马营镇委员会: a party committee
        if simple.endswith(ending):
            head = _read_head(simple[: -len(ending)], gazetteer)
            if head is not None and (head[0] or head[1] or head[3]):
                return UnitName(written, PARTY_COMMITTEE, ending, *head)
    places, rest = _read_places(simple, gazetteer)
    # the longest head that reads as places, marker, town, zone (every kind tried ends where ``rest``
    # does: none has a unit's ending when ``rest`` has none)
    for split in range(len(rest) - 3, -1, -1) if _ENDING.search(rest) else ():
        kind = rest[split:]
        if not _ENDING.search(kind) or _NOT_A_NAME.match(kind) or _NOT_A_KIND.search(kind) or _MASK.search(kind):
            continue
        if _NOT_IN_A_NAME.search(kind):
            break  # a sentence, not a name: 公安局按照市委, 政府和省公安厅的工作部署
        if kinds.suffixes(kind) and (_NOT_A_NAME.match(rest[:split]) or _NOT_A_NAME.match(rest)):
            break  # a known kind after a pronoun or question word (哪些应急管理局): not a name
        head = _read_head(rest[:split], gazetteer, places)
        if head is not None and not any(head) and not _NATIONAL.search(kind):
            continue  # a kind no list knows, with nothing before it, is only a ministry (…部)
        unit = _checked(UnitName(written, kind, kind, *head)) if head is not None else None
        if unit is not None:
            return unit
    if place_only:
        head = _read_head(simple, gazetteer)
        if head is not None:
            return _government_of(written, head)
    return None


def _branch(simple: str, written: str, gazetteer: Gazetteer, kinds: UnitKinds) -> UnitName | None:
    """广州市公安局增城区分局: a city office's branch in a district — the district's 公安分局, cited as
    written. None when the name is not places + an office + a place + 分局."""
    places, rest = _read_places(simple, gazetteer)
    for form in kinds.forms_longest_first:
        if not rest.startswith(form) or not form.endswith("局"):
            continue
        inner, tail = _read_places(rest[len(form):], gazetteer)
        if not inner or tail != "分局":
            continue
        shifted = tuple(PlaceMention(m.start + len(simple) - len(rest) + len(form), m.end + len(simple) - len(rest)
                                     + len(form), m.text, m.codes, m.short) for m in inner)
        canonical = kinds.canonical_of(form)
        return UnitName(written, canonical.removesuffix("局") + "分局", form, (*places, *shifted),
                        branch_of=kinds.cited_of(form))
    return None


Head = tuple[tuple[PlaceMention, ...], str | None, bool, str | None, str | None]


def _read_head(text: str, gazetteer: Gazetteer, places: tuple[PlaceMention, ...] | None = None) -> Head | None:
    """What stands before a unit's kind, all of it read: places, a mask, a level marker, a town or
    street, a development zone; None when something else is left."""
    if places is None:
        return _read_whole_head(text, gazetteer)
    return _read_rest(text, places)


@lru_cache(maxsize=16384)
def _read_whole_head(text: str, gazetteer: Gazetteer) -> Head | None:
    """``_read_head`` of a text read from its start, remembered: a report's every unit kind tries the
    fourteen texts before it (``unit_before``), and the same few (市, 区, 县公安局's 县) come again and again."""
    places, rest = _read_places(text, gazetteer)
    return _read_rest(rest, places)


def _read_rest(rest: str, places: tuple[PlaceMention, ...]) -> Head | None:
    """The head once its places are read: a mask, a level marker, a town or street, a zone."""
    masked = None
    mask = _MASK.match(rest)
    if mask:
        masked, rest = mask.group(0), rest[mask.end():]
    marker = None
    if (not places or masked) and rest[:1] in MARKERS:
        marker, rest = rest[0], rest[1:]
        masked = masked + marker if masked else None
    locality = None
    for end in range(len(rest), 2, -1):  # the longest town or street name (银杏大街街道, not 银杏大街)
        if _LOCALITY.fullmatch(rest[:end]) and (end == len(rest) or _ZONE.fullmatch(rest[end:])):
            locality, rest = rest[:end], rest[end:]
            break
    zone = None
    match = _ZONE.fullmatch(rest) if rest else None
    if match:
        zone, rest = rest, ""
    if rest:
        return None
    return places, marker, masked, locality, zone


def _checked(unit: UnitName) -> UnitName | None:
    """A reading that names somebody: not 人民政府 or 办事处 alone."""
    if unit.kind in (GOVERNMENT, STREET_OFFICE) and not (
            unit.places or unit.marker or unit.mask or unit.locality or unit.zone):
        return None
    if unit.kind == STREET_OFFICE and unit.locality is None:
        return None
    return unit


def _read_places(text: str, gazetteer: Gazetteer) -> tuple[tuple[PlaceMention, ...], str]:
    """The gazetteer places a name starts with (重庆市 大足区), and the rest. A short form right
    before 镇, 乡, 街 or 路 is part of a town's or street's name (三都镇 is not in 三都县)."""
    places: list[PlaceMention] = []
    offset = 0
    while offset < len(text):
        found = gazetteer.mentions(text[offset:], limit=1)
        if not found or found[0].start != 0:
            break
        m = found[0]
        after = text[offset + len(m.text):]
        if m.short and after.startswith(("镇", "乡", "街", "路", "村")):
            break
        places.append(PlaceMention(offset, offset + len(m.text), m.text, m.codes, m.short))
        offset += len(m.text)
    return tuple(places), text[offset:]


def _government_of(written: str, head: Head) -> UnitName | None:
    """A place named alone stands for its government: 静海区 → 静海区人民政府, 海滨街 → 海滨街道办事处."""
    places, marker, masked, locality, zone = head
    if marker or masked:
        return None  # 市, XX区 alone name nobody
    if locality:
        if locality.endswith("街"):
            locality += "道"
        kind = STREET_OFFICE if locality.endswith("街道") else GOVERNMENT
        return UnitName(written, kind, "", places, locality=locality, zone=zone)
    if places and not zone and (not places[-1].short or places[-1].text[-1] in MARKERS):
        return UnitName(written, GOVERNMENT, "", places)  # 静海区, 延边州; not 大足 alone
    return None


# after a kind's last character, these make it another word: 交通运输部门, 公安局长, 厅长, 委员
_GOES_ON_AFTER_KIND = {"部": "门长", "局": "长", "厅": "长", "委": "员"}


def kind_goes_on(text: str, end: int) -> bool:
    """Whether the kind ending at ``text[end - 1]`` runs on into another word (部门, 局长): no unit."""
    after = text[end: end + 1]
    return end > 0 and bool(after) and after in _GOES_ON_AFTER_KIND.get(text[end - 1], "")


def unit_words(unit: str | None, kind: str | None = None) -> list[str]:
    """Dictionary words for a unit: its name and its kind (应急管理局), normalised."""
    if not unit:
        return []
    words = [normalise(unit)]
    if kind and len(kind) >= 3 and normalise(kind) != words[0]:
        words.append(normalise(kind))
    return words
