"""Who wrote it, decided by weighing every sighting: scored candidates, not the first rule that fires.

Sightings (``unit_sightings.py``) of one unit are gathered into a candidate: the same kind, town
and zone, in the same place — a name that gives only its level (市公安局) joins every candidate of
its kind whose place fits that level, and is also weighed on its own, once for each division the
report may mean (``report_places.place_options``) and once left open. Each candidate is described
by a handful of features (which sources saw it, how often it is a sentence's subject or another party,
whether the report's 我局 / 本镇 fits its ending, how its domain words and its place are supported)
and scored by a linear model whose weights (``config/issuer_weights.toml``) were fitted on
labelled real reports (``benchmarks/issuer_fit.py``: a conditional logit, one choice per report,
cross-validated). "Unknown" is a candidate too, with a weight of its own: the best candidate is
kept only when it beats it.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from reportqa.domain.places import Gazetteer, load_zones
from reportqa.domain.unit_names import PARTY_COMMITTEE, UnitKinds, UnitName
from reportqa.ingest.report_places import PlaceContext, PlaceOption, level_matches, place_options, stated_code
from reportqa.ingest.unit_sightings import Sighting, TextSignals, ending_of

# sources whose sighting counts once (a title says it once, however long)
ONCE_SOURCES = ("title", "title place", "unit line", "signature", "publisher", "file name", "self-naming",
                "opening", "self-reference", "domain", "own name")
# sources counted (log of one plus the count)
COUNTED_SOURCES = ("body", "issued document")
# which sighting's wording a citation keeps, strongest first
_SOURCE_RANK = {s: i for i, s in enumerate(("metadata.csv", "title", "unit line", "signature", "self-naming",
                                             "publisher", "opening", "file name", "issued document", "body",
                                             "own name", "self-reference", "domain", "addressee"))}
NULL = "unknown"
# readings of what a report calls itself, not of a name it writes
INFERRED_SOURCES = frozenset({"self-reference", "domain"})
# sources that name a unit with its place as the report's own name, not in passing
STRONG_SOURCES = frozenset({"title", "title place", "unit line", "signature", "self-naming", "publisher", "file name",
                            "opening"})


@dataclass(frozen=True)
class Weights:
    """The scorer's weights, feature → weight: ``place`` chooses among the divisions an unplaced name
    may be in, ``unit`` among the candidates (``unknown`` is the weight of saying nothing)."""

    place: dict[str, float]
    unit: dict[str, float]

    @staticmethod
    def score(weights: dict[str, float], features: dict[str, float]) -> float:
        return sum(weights.get(name, 0.0) * value for name, value in features.items())


@cache
def load_weights(config_dir: Path) -> Weights:
    data = tomllib.loads((config_dir / "issuer_weights.toml").read_text(encoding="utf-8"))
    return Weights({str(k): float(v) for k, v in data.get("place", {}).items()},
                   {str(k): float(v) for k, v in data.get("unit", {}).items()})


@dataclass
class Candidate:
    """One unit the report may be by, in one place (or with its place left open)."""

    unit: UnitName  # the reading a citation is written from
    code: str | None  # the division it is in, as far as it is decided
    completed: str | None  # the place name added to a name that gives only its level
    sightings: list[Sighting]
    place: PlaceOption | None = None  # how an unplaced name was placed
    group: int | None = None  # the unplaced name it places (its options share the number)
    place_decided: str | None = None  # "body" when the text decided an ambiguous place (城中区)
    features: dict[str, float] = field(default_factory=dict)
    score: float = 0.0
    name: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.name, self.code or "")


def identity(unit: UnitName) -> tuple[object, ...]:
    """What makes two readings the same unit apart from its place: kind, town, zone (a joint
    report's party committee stands with its government)."""
    if unit.party and unit.partner is not None:
        return identity(unit.partner)
    return (unit.kind, unit.locality, unit.zone, unit.party, unit.national)


def _place_key(unit: UnitName, context: PlaceContext, gazetteer: Gazetteer) -> tuple[str | None, str | None]:
    """(group key, how decided): a division's code, the written place when it stays ambiguous, or
    None for a name that does not say where (a level, a mask, or nothing)."""
    if unit.party and unit.partner is not None and not unit.places:
        unit = unit.partner
    if unit.national:
        return "national", None
    zone = "".join(m.text for m in unit.places) + unit.zone if unit.zone else None
    if zone and (code := load_zones(context.config_dir).get(zone)):
        return code, "zone"  # 天府新区管委会, 江北新区 (not 江北区's): the zone's own division (config/zones.tsv)
    if not unit.places or unit.mask:
        return None, None
    code, decided = stated_code(unit, context.votes, gazetteer)
    if code is None:
        return "as written:" + "".join(m.text for m in unit.places), decided
    return code, decided


def _fits(open_unit: UnitName, code: str, gazetteer: Gazetteer) -> bool:
    """Whether a name without a place (市公安局, 公安局) can be the unit placed at ``code``."""
    if open_unit.locality is not None:
        return True
    if open_unit.marker is None:
        return True
    return level_matches(gazetteer, code, open_unit.marker)


def gather(sightings: Iterable[Sighting], context: PlaceContext, gazetteer: Gazetteer,
           level_hint: str | None) -> list[Candidate]:
    """Sightings grouped into candidates. A name that says where it is stands as it is; a name that
    does not (市公安局) is weighed in every place it may be — those the text points at, and those where
    it names a unit of the same kind with its place (its own full name, or a partner's) — by the place
    weights, so that naming a kind with a place is evidence for that place, not a verdict."""
    clusters: dict[tuple[object, ...], dict[str | None, list[Sighting]]] = {}
    decided: dict[str, str | None] = {}
    for sighting in sightings:
        key, how = _place_key(sighting.name, context, gazetteer)
        clusters.setdefault(identity(sighting.name), {}).setdefault(key, []).append(sighting)
        if key is not None:
            decided.setdefault(key, how)
    out: list[Candidate] = []
    for groups in clusters.values():
        open_group = groups.pop(None, [])
        own = [s for s in open_group if not s.other]
        reading = _cited_reading(own) if own else None
        named = {key: group for key, group in groups.items()
                 if key is not None and key.isdigit() and reading is not None and _fits(reading, key, gazetteer)
                 and any(not s.other for s in group)}
        for key, group in groups.items():  # each name that says where it is stands on its own too
            code = key if key is not None and key.isdigit() else None
            out.append(Candidate(_cited_reading(group), code, None, group, place_decided=decided.get(key or "")))
        if reading is None:
            if open_group:  # named only as another party (在市委、市政府的领导下): weighed, seldom chosen
                out += _placed_options(_cited_reading(open_group), open_group, {}, context, gazetteer, level_hint,
                                       len(out))
            continue
        out += _placed_options(reading, own, named, context, gazetteer, level_hint, len(out))
    return out


def _placed_options(reading: UnitName, sightings: list[Sighting], named: dict[str, list[Sighting]],
                    context: PlaceContext, gazetteer: Gazetteer, level_hint: str | None,
                    group: int) -> list[Candidate]:
    """An unplaced name's candidates: one for each place it may be (with the sightings of the same
    kind named there, ``named``), and one leaving it open unless nobody wrote the name."""
    counts = {code: sum(1 for s in found if not s.other) for code, found in named.items()}
    strong = {code for code, found in named.items() if any(s.source in STRONG_SOURCES for s in found)}
    inferred = all(s.source in INFERRED_SOURCES for s in sightings)
    out = []
    for option in place_options(reading, context, gazetteer, None if reading.marker else level_hint, counts, strong):
        if option.code is None and inferred:
            continue  # a name no one wrote (我局 + its work) is cited only with its place
        joined = sightings + named.get(option.code or "", [])
        cited = _cited_reading(joined) if option.code in named else reading
        completed = None
        if option.code is not None and cited.locality is None and not cited.places:
            completed = gazetteer.places[option.code].name
        out.append(Candidate(cited, option.code, completed, joined, place=option, group=group))
    return out


def _cited_reading(group: list[Sighting]) -> UnitName:
    """The fullest wording of a unit among its sightings: its places, its kind as the unit has it
    (a real name over an abbreviation), the strongest source."""
    def fullness(s: Sighting) -> tuple[int, int, int, int]:
        unit = s.name
        real_name = unit.cited == (unit.kind_written or unit.kind) or not unit.cited
        return (-(len(unit.places)), 0 if unit.partner is not None else 1, 0 if real_name else 1,
                _SOURCE_RANK.get(s.source, 99))
    return min((s for s in group if not s.other), key=fullness, default=min(group, key=fullness)).name


def describe(candidate: Candidate, signals: TextSignals, kinds: UnitKinds, gazetteer: Gazetteer) -> dict[str, float]:
    """The candidate's features (see ``config/issuer_weights.toml`` for what each weighs)."""
    own = [s for s in candidate.sightings if not s.other]
    features: dict[str, float] = {}
    for source in ONCE_SOURCES:
        if any(s.source == source for s in own):
            features[source] = 1.0
    for source in COUNTED_SOURCES:
        count = sum(1 for s in own if s.source == source)
        if count:
            features[source] = math.log1p(count)
    subjects = sum(1 for s in own if s.subject)
    if subjects:
        features["subject"] = math.log1p(subjects)
    others = sum(1 for s in candidate.sightings if s.other)
    if others:
        features["other_party"] = math.log1p(others)
    if own:
        features["early"] = 1.0 - min(s.at for s in own)
    unit = candidate.unit
    ending = ending_of(unit)
    if signals.self_total:
        share = signals.self_endings.get(ending or "", 0) / signals.self_total
        features["self_match" if share else "self_other"] = share or 1.0
    if ending is not None and ending in signals.masked:
        features["masked"] = 1.0  # the report hides a name of this ending (xx街道): not this one's to guess
    kind = unit.partner.kind if unit.party and unit.partner is not None else unit.kind
    total_domain = sum(signals.domains.values())
    if total_domain and kind in signals.domains:
        features["domain_share"] = signals.domains[kind] / total_domain
    if unit.national:
        features["national"] = 1.0
    elif unit.locality is not None:
        features["town"] = 1.0
    elif kind == "人民政府":
        features["government"] = 1.0
    if unit.party and unit.partner is None:
        features["party_alone"] = 1.0
    if kind not in kinds.canonical and kind != PARTY_COMMITTEE:
        features["unlisted_kind"] = 1.0
    level = _level_char(candidate, gazetteer)
    if level is not None and signals.level is not None and unit.locality is None:
        features["level_match" if level == signals.level else "level_other"] = 1.0
    if candidate.place is None and not unit.national:
        features["place_stated"] = 1.0
    elif candidate.place is not None and candidate.code is None:
        features["place_open"] = 1.0
    return features


def place_confidence(candidates: list[Candidate], weights: Weights) -> None:
    """For each unplaced name, how likely each of its places is (a softmax of the place weights over
    its options, "left open" among them), kept as the candidate's ``place_conf`` feature: the unit's
    score then weighs how sure its place is, not how much the text says about places."""
    groups: dict[int, list[Candidate]] = {}
    for candidate in candidates:
        if candidate.group is not None and candidate.place is not None:
            groups.setdefault(candidate.group, []).append(candidate)
    for options in groups.values():
        scores = [Weights.score(weights.place, c.place.features) for c in options if c.place is not None]
        top = max(scores)
        exps = [math.exp(score - top) for score in scores]
        total = sum(exps)
        for candidate, value in zip(options, exps, strict=True):
            candidate.features["place_conf"] = value / total


def _level_char(candidate: Candidate, gazetteer: Gazetteer) -> str | None:
    if candidate.code is not None:
        name = gazetteer.places[candidate.code].name
        return name[-1] if name[-1] in "省市州盟区县旗" else None
    unit = candidate.unit.partner if candidate.unit.party and candidate.unit.partner else candidate.unit
    return unit.marker


def rank(candidates: list[Candidate], weights: Weights) -> list[Candidate]:
    """Candidates scored, best first (ties by name and place, so the order never depends on chance)."""
    for candidate in candidates:
        candidate.score = Weights.score(weights.unit, candidate.features)
    return sorted(candidates, key=lambda c: (-c.score, c.name, c.code or ""))


def unknown_score(weights: Weights) -> float:
    return weights.unit.get(NULL, 0.0)
