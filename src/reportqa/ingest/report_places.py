"""Where a report is: the places it names, which it speaks of as its own, and the options for a unit
whose name gives only a level (市公安局) or nothing at all (退役军人事务局).

Every place a text names counts for that division and the ones above it (``place_votes``). Some
mentions say more than others: a place the report calls its own (``法治杭州``, ``平安青田``: the
jurisdiction's slogan), one in its document numbers (``九龙坡教办〔2024〕22号``), one the web page's
publisher line, the folder it was filed in or the addressee names. ``PlaceContext`` gathers these once
a report; ``place_options`` lists the divisions a unit could be in with the evidence for each, for the
issuer's scorer (``issuer_scoring.py``) to weigh. The patterns are data (``config/metadata.toml``).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path, PurePosixPath

from reportqa.domain.places import CITY, COUNTY, PROVINCE, Gazetteer, load_gazetteer, load_zones
from reportqa.domain.rules import load_metadata_rules
from reportqa.domain.unit_names import UnitName

BODY_CHARS = 6000  # how much of a report's text is read for evidence (the opening says who and where)
MUNICIPALITIES = frozenset({"110000", "120000", "310000", "500000"})


class PlaceVotes(Counter[str]):
    """How strongly a text points at each division (code → score, its parts' mentions included), the
    mentions of the division itself (``direct``), and the words that did."""

    def __init__(self) -> None:
        super().__init__()
        self.words: dict[str, Counter[str]] = {}
        self.direct: Counter[str] = Counter()
        self.decided: set[str] = set()  # divisions named at least once unambiguously (or resolved)

    def said(self, code: str) -> str:
        """The words that pointed at a division: 「绍兴市」×2 「汶川」."""
        words = self.words.get(code, Counter()).most_common(3)
        return " ".join(f"「{w}」" + (f"×{n}" if n > 1 else "") for w, n in words)


PARTNER_WEIGHT = 0.25  # a place named as a partner's (与X签订协议) counts this much


def place_votes(text: str, gazetteer: Gazetteer, limit: int | None = BODY_CHARS,
                partners: list[tuple[int, int]] | None = None) -> PlaceVotes:
    """Every place a text names counts for that division and the ones above it (a full name 1, a
    short form ½, shared out when the name is ambiguous; a quarter of that inside ``partners``, the
    spans that name another party the report works with)."""
    votes = PlaceVotes()
    mentions = gazetteer.mentions(text, limit=limit)
    named = {p.code for m in mentions if not m.ambiguous for p in gazetteer.chain(m.codes[0])}
    for mention in mentions:
        codes = mention.codes
        if mention.ambiguous:  # 鼓楼区 in a text that names 南京市: that 鼓楼区 (the nearest named division decides)
            for depth in (-2, -3):
                inside = tuple(c for c in codes if len(chain := gazetteer.chain(c)) >= -depth
                               and chain[depth].code in named)
                if inside:
                    codes = inside
                    break
        weight = (0.5 if mention.short else 1.0) / len(codes)
        if partners and any(start <= mention.start < end for start, end in partners):
            weight *= PARTNER_WEIGHT
        if len(codes) == 1:
            votes.decided.update(p.code for p in gazetteer.chain(codes[0]))
        for code in codes:
            votes.direct[code] += weight
            for place in gazetteer.chain(code):
                votes[place.code] += weight
                votes.words.setdefault(place.code, Counter())[mention.text] += 1
    return votes


def level_matches(gazetteer: Gazetteer, code: str, marker: str | None, level: int | None = None) -> bool:
    """Whether a division can be the place a level marker stands for: 市 a city, a municipality or a
    county-level city (海安市); 区 / 县 / 旗 a county-level division of that ending; 州 an autonomous
    prefecture; 盟 a league; 省 a province."""
    place = gazetteer.places[code]
    if marker == "市":
        return place.level == CITY or code in MUNICIPALITIES or (place.level == COUNTY and place.name.endswith("市"))
    if marker == "省":
        return place.level == PROVINCE and code not in MUNICIPALITIES
    if marker == "州":
        return place.level == CITY and place.name.endswith("州") and not place.name.endswith("州市")
    if marker == "盟":
        return place.level == CITY and place.name.endswith("盟")
    if marker == "旗":
        return place.level == COUNTY and place.name.endswith("旗")
    if marker == "县":
        return place.level == COUNTY and place.name.endswith("县")
    if marker == "区":  # a district, or a city-level new area (雄安新区)
        return place.level in (COUNTY, CITY) and place.name.endswith("区") and not place.name.endswith("地区")
    if level is not None:
        return place.level == level or (level == CITY and code in MUNICIPALITIES)
    return True


def strongest_place(votes: PlaceVotes, gazetteer: Gazetteer, marker: str | None = None,
                    level: int | None = None, within: str | None = None, minimum: float = 1.0) -> str | None:
    """The division a text points at most on a level (or, with no level, the most specific one
    carrying the top score): at least one full mention's worth, and twice the next division on
    that level (no clear winner, no place)."""
    scored = [(score, gazetteer.places[code].level, code) for code, score in votes.items()
              if level_matches(gazetteer, code, marker, level) and (within is None or gazetteer.within(code, within))]
    if marker is None and level is None:  # a division's score includes its parts': take the deepest at the top
        top = max((s for s, _, _ in scored), default=0.0)
        deepest = max((lv for s, lv, _ in scored if s >= top - 1e-9), default=0)
        scored = [item for item in scored if item[1] == deepest]
    ranked = sorted(scored, reverse=True)
    if not ranked or ranked[0][0] < minimum:
        return None
    if len(ranked) > 1 and ranked[0][0] < 2 * ranked[1][0]:
        return None
    return ranked[0][2]


def stated_code(unit: UnitName, votes: PlaceVotes, gazetteer: Gazetteer) -> tuple[str | None, str | None]:
    """The division a name's own places point at (the last, within the earlier ones: 龙岩市永定区);
    a name several divisions carry (城中区) decided by the places the text names above one of them,
    else left open. Returns (code, how it was decided: None, "name" or "body", or "ambiguous")."""
    if not unit.places:
        return None, None
    codes = list(unit.places[-1].codes)
    for earlier in unit.places[:-1]:
        inside = [c for c in codes if any(gazetteer.within(c, e) for e in earlier.codes)]
        codes = inside or codes
    if len(codes) == 1:
        return codes[0], ("name" if len(unit.places[-1].codes) > 1 else None)
    above = {code: max((votes.get(p.code, 0.0) for p in gazetteer.chain(code)[:-1]), default=0.0) for code in codes}
    best = max(above.values())
    winners = [c for c, v in above.items() if v == best]
    if best >= 1.0 and len(winners) == 1:
        return winners[0], "body"
    return None, "ambiguous"


def named_above(code: str, gazetteer: Gazetteer, votes: PlaceVotes) -> str:
    """The words that decided an ambiguous place: the nearest division above it the text names."""
    for place in reversed(gazetteer.chain(code)[:-1]):
        if votes.get(place.code, 0.0) >= 1.0:
            return votes.said(place.code)
    return gazetteer.places[code].name


def folder_places(source: str, gazetteer: Gazetteer) -> list[str]:
    """Divisions the folders a file was filed in name (reports/大足区/…), outermost first."""
    codes: list[str] = []
    for part in PurePosixPath(source).parts[:-1]:
        found = gazetteer.lookup(part.strip())
        if len(found) == 1:
            codes.append(found[0])
    return codes


# ---------------------------------------------------------------------------------------------
# the places a report calls its own


@dataclass(frozen=True)
class _PlaceRules:
    partner: re.Pattern[str]  # 与X签订协议: the places named inside are a partner's
    own_cue: re.Pattern[str]  # 法治, 平安 …: a jurisdiction's slogan names its own place right after it
    not_own: frozenset[str]  # words after such a cue that are not a place (法治政府, 平安建设 …)
    document_number: re.Pattern[str]  # 九龙坡教办〔2024〕22号: the issuer's abbreviation before the year


@cache
def _place_rules(config_dir: Path) -> _PlaceRules:
    rules = load_metadata_rules(config_dir)
    data = rules.get("place", {})
    cues = sorted(data.get("own_place_cues", []), key=len, reverse=True)
    partner = "|".join(f"(?:{p})" for p in rules.get("unit", {}).get("partner_contexts", []))
    return _PlaceRules(
        re.compile(partner or r"(?!)"),
        re.compile("|".join(map(re.escape, cues))) if cues else re.compile(r"(?!)"),
        frozenset(data.get("not_own_after_cue", [])),
        re.compile(data.get("document_number", r"(?!)")),
    )


def own_place_names(text: str, config_dir: Path) -> list[tuple[str, int]]:
    """The words right after a jurisdiction's slogan cue (法治杭州 → 杭州, 法治舒桥建设 → 舒桥), with
    where they stand; words the cue is ordinary before (法治政府, 平安建设) left out. The caller
    decides which are places (the gazetteer) and which a town's name (a 乡 report's 法治舒桥)."""
    rules = _place_rules(config_dir)
    out = []
    for match in rules.own_cue.finditer(text[:BODY_CHARS]):
        after = text[match.end(): match.end() + 8]
        head = after[:2]
        if len(head) < 2 or head in rules.not_own or not re.fullmatch(r"[\u4e00-\u9fff]{2}", head):
            continue
        out.append((after, match.end()))
    return out


def document_number_prefixes(text: str, config_dir: Path) -> list[str]:
    """The abbreviations documents are numbered with (九龙坡教办 in 九龙坡教办〔2024〕22号)."""
    return [m.group("prefix") for m in _place_rules(config_dir).document_number.finditer(text[:BODY_CHARS])]


@dataclass
class PlaceContext:
    """What a report says about where it is, gathered once for every candidate unit."""

    votes: PlaceVotes
    config_dir: Path
    own: Counter[str] = field(default_factory=Counter)  # code → times called the report's own (法治杭州)
    numbered: Counter[str] = field(default_factory=Counter)  # code → document numbers starting with it
    named_by: dict[str, str] = field(default_factory=dict)  # code → the outside evidence naming it (folder …)
    own_words: Counter[str] = field(default_factory=Counter)  # words after a slogan cue that are no place

    def level_total(self, gazetteer: Gazetteer, marker: str | None, level: int | None) -> float:
        return sum(v for c, v in self.votes.items() if level_matches(gazetteer, c, marker, level))


def place_context(body: str, context: str, config_dir: Path, source: str = "",
                  outside: Iterable[tuple[str, str]] = ()) -> PlaceContext:
    """The report's places: ``context`` (title, addressee and body) voted; ``body`` read for its own
    place and document numbers; ``outside`` (evidence kind, text) — the folder, the publisher line,
    the addressee — naming places from outside the text."""
    gazetteer = load_gazetteer(config_dir)
    zones = load_zones(config_dir)
    counted = {zone: context.count(zone, 0, BODY_CHARS) for zone in zones}
    for zone, times in counted.items():  # 贵安新区 holds no 安新 (安新县)
        if times:
            context = context.replace(zone, "　" * len(zone))
    partners = [m.span() for m in _place_rules(config_dir).partner.finditer(context[:BODY_CHARS])]
    result = PlaceContext(place_votes(context, gazetteer, partners=partners), config_dir)
    for zone, code in zones.items():  # 天府新区 named is its division named (as a short form)
        if (times := counted[zone]):
            result.votes.direct[code] += 0.5 * times
            result.votes.decided.update(p.code for p in gazetteer.chain(code))
            for place in gazetteer.chain(code):
                result.votes[place.code] += 0.5 * times
                result.votes.words.setdefault(place.code, Counter())[zone] += times
    for after, _ in own_place_names(body, config_dir):
        found = gazetteer.mentions(after, limit=1)
        if found and found[0].start == 0 and len(found[0].codes) == 1:
            for place in gazetteer.chain(found[0].codes[0]):
                result.own[place.code] += 1
        else:
            result.own_words[after[:2]] += 1
    for prefix in document_number_prefixes(body, config_dir):
        found = gazetteer.mentions(prefix, limit=1)
        if found and found[0].start == 0 and len(found[0].codes) == 1:
            result.numbered[found[0].codes[0]] += 1
    for code in folder_places(source, gazetteer):
        result.named_by.setdefault(code, "folder")
    for kind, text in outside:
        for mention in gazetteer.mentions(text):
            if len(mention.codes) == 1:
                result.named_by.setdefault(mention.codes[0], kind)
    return result


# ---------------------------------------------------------------------------------------------
# where an unplaced unit may be


@dataclass(frozen=True)
class PlaceOption:
    """A division a unit whose name does not say where it is may be in, with the evidence for it."""

    code: str | None  # None: left open (the name keeps its level: 区市场监督管理局)
    features: dict[str, float]
    said: str = ""  # the words that point at it, for ``inspect``
    source: str = "body"  # the strongest kind of evidence: own place, document number, folder, body …


OPTION_LIMIT = 4  # divisions weighed for one unplaced unit (the rest are named too rarely to win)


def place_options(unit: UnitName, context: PlaceContext, gazetteer: Gazetteer, level_hint: str | None = None,
                  named: dict[str, int] | None = None, strong: frozenset[str] | set[str] = frozenset()
                  ) -> list[PlaceOption]:
    """The divisions an unplaced unit may be in: those of its marker's level (or, with none, of the
    level the report serves, ``level_hint``: 县 for a report under 县委、县政府) that the report names,
    calls its own, numbers its documents with, or that the folder, publisher or addressee names, and
    those where it names a unit of the same kind (``named``: code → how often; ``strong``: where the
    title, a unit line or the signature does) — each with its evidence; and the open option."""
    named = named or {}
    marker, level = unit.marker or level_hint, None
    if unit.locality is not None:
        marker, level = None, COUNTY  # a town is placed by its county
    within = None
    if unit.places:  # 重庆市某区: somewhere in 重庆市
        within = unit.places[-1].codes[0] if len(unit.places[-1].codes) == 1 else None
    pool = set(context.votes) | set(context.own) | set(context.numbered) | set(context.named_by) | set(named)
    fits = [c for c in pool if c in gazetteer.places and level_matches(gazetteer, c, marker, level)
            and (within is None or (c != within and gazetteer.within(c, within)))
            and (c in context.votes.decided or c in context.own or c in context.numbered or c in context.named_by
                 or c in named)]
    # (鼓楼区 of four cities and none of them named: none of the four, nor the cities above them)
    direct = context.votes.direct
    by_level: dict[int, list[float]] = {}  # each level's votes: a place is weighed against its peers
    for c in fits:
        by_level.setdefault(gazetteer.places[c].level, []).append(direct.get(c, 0.0))
    options = []
    for code in fits:
        votes = direct.get(code, 0.0)
        peers = by_level[gazetteer.places[code].level]
        top = max(peers)
        features = {
            "place_votes": math.log1p(votes),
            "place_share": votes / (sum(peers) or 1.0),
            "place_top": 1.0 if votes >= top > 0 and sum(1 for v in peers if v >= top) == 1 else 0.0,
            "place_below": math.log1p(max(0.0, context.votes.get(code, 0.0) - votes)),
            "place_own": math.log1p(context.own.get(code, 0)),
            "place_numbered": math.log1p(context.numbered.get(code, 0)),
            "place_named_by": 1.0 if code in context.named_by else 0.0,
            "place_depth": _depth_below(code, fits, gazetteer),
            "place_kind_named": math.log1p(named.get(code, 0)),
            "place_kind_strong": 1.0 if code in strong else 0.0,
        }
        source = ("named" if code in strong else "own place" if context.own.get(code)
                  else "document number" if context.numbered.get(code) else context.named_by.get(code, "body"))
        said = context.votes.said(code) if context.votes.get(code) else gazetteer.places[code].name
        options.append(PlaceOption(code, {k: v for k, v in features.items() if v}, said, source))
    options.sort(key=lambda o: (-sum(o.features.get(k, 0.0) for k in _SUPPORT), o.code or ""))
    kept = options[:OPTION_LIMIT] + [o for o in options[OPTION_LIMIT:] if o.code in named]
    return [*kept, PlaceOption(None, {"place_open": 1.0})]


_SUPPORT = ("place_kind_strong", "place_kind_named", "place_own", "place_numbered", "place_named_by", "place_votes",
            "place_below")


def _depth_below(code: str, fits: list[str], gazetteer: Gazetteer) -> float:
    """1 when no other candidate division lies inside this one (it is the most specific named)."""
    return 0.0 if any(other != code and gazetteer.within(other, code) for other in fits) else 1.0

