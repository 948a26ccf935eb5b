"""Who wrote a report, and where: every sighting of a unit weighed, the best kept only when it wins.

An administrator's ``metadata.csv`` is final: its unit is kept as written, placed when the gazetteer
can place it, and said to be unplaced when it cannot. Otherwise every source of evidence proposes
units (``unit_sightings.py``: title, unit line, signature, publisher, file name, the report naming
itself, sentence subjects, names in the body, documents it issues, what it calls itself), the places
it names are read for where an unplaced name is (``report_places.py``), and the candidates are
scored by weights fitted on labelled real reports (``issuer_scoring.py``). A citation writes the
name the report gives the unit — an abbreviation written out, places added only from evidence —
never a canonical name the unit does not have. Each field keeps the evidence it rests on, and the
candidates weighed, for ``reportqa inspect``. A report that names no unit clearly stays unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reportqa.domain.places import PROVINCE, Gazetteer, load_gazetteer
from reportqa.domain.unit_names import GOVERNMENT, STREET_OFFICE, UnitName, load_unit_kinds, parse_unit_name
from reportqa.ingest.issuer_scoring import (
    Candidate,
    describe,
    gather,
    load_weights,
    place_confidence,
    rank,
    unknown_score,
)
from reportqa.ingest.report_places import (
    PlaceContext,
    folder_places,
    named_above,
    place_context,
    stated_code,
    strongest_place,
)
from reportqa.ingest.unit_sightings import ReportEvidence, Sighting, all_sightings, text_signals

CANDIDATES_SHOWN = 3  # the runners-up ``inspect`` lists beside the chosen unit


@dataclass(frozen=True)
class Evidence:
    """Where a field's value came from: the kind of evidence and the words it rests on."""

    field: str  # unit, place, date, year, candidates
    source: str  # title, unit line, signature, opening, self-naming, issued document, …
    text: str

    def __str__(self) -> str:
        text = self.text if len(self.text) <= 32 else self.text[:30] + "…"
        return f"{self.source} {text}" if text.startswith("「") else f"{self.source} 「{text}」"


@dataclass(frozen=True)
class Issuer:
    """The issuing unit as far as the evidence goes."""

    unit: str | None = None  # the name a citation writes: 绍兴市市场监督管理局, 重庆市交通局
    written: str | None = None  # as the report writes it: 市市场监管局
    kind: str | None = None  # canonical kind: 市场监督管理局
    place_code: str | None = None  # the most specific gazetteer division the unit is in
    locality: str | None = None  # its town or street, below county level
    region: str | None = None  # 浙江省绍兴市, 重庆市大足区玉龙镇 (or a place as written when ambiguous)
    national: bool = False  # a ministry: above every place
    evidence: tuple[Evidence, ...] = ()
    place_exact: bool = True  # the place is the unit's own (not only the province it is somewhere in)
    place_unknown: bool = False  # metadata.csv names a unit the gazetteer cannot place


def identify_issuer(report: ReportEvidence, config_dir: Path) -> Issuer:
    """The issuing unit of a report, completed as far as the evidence goes, with that evidence."""
    gazetteer = load_gazetteer(config_dir)
    if report.override:
        return _administrators_word(report, gazetteer, config_dir)
    chosen, ranked, context = weigh(report, config_dir)
    considered = tuple(Evidence("candidates", f"{c.score:+.1f}", _sources_of(c)) for c in ranked[:CANDIDATES_SHOWN])
    if chosen is None:
        return _place_only(report, context, gazetteer, considered)
    return _issuer_of(chosen, context, gazetteer, considered)


def weigh(report: ReportEvidence, config_dir: Path) -> tuple[Candidate | None, list[Candidate], PlaceContext]:
    """Every candidate unit of a report with its features and score, best first; the chosen one
    (None when saying nothing scores higher). Used by ``identify_issuer`` and the weights' fitting."""
    gazetteer = load_gazetteer(config_dir)
    kinds = load_unit_kinds(config_dir)
    signals = text_signals(report.body, config_dir)
    sightings = all_sightings(report, signals, config_dir)
    outside = [(s.source, s.text) for s in sightings if s.source in ("publisher", "addressee")]
    text = " ".join(t for t in (report.title, report.addressee, report.body) if t)
    context = place_context(report.body, text, config_dir, report.source, outside)
    candidates = gather(sightings, context, gazetteer, signals.level)
    for candidate in candidates:
        candidate.features = describe(candidate, signals, kinds, gazetteer)
        candidate.name = candidate.unit.compose(gazetteer, candidate.completed)
    weights = load_weights(config_dir)
    place_confidence(candidates, weights)
    ranked = _distinct(rank(candidates, weights))
    chosen = ranked[0] if ranked and ranked[0].score > unknown_score(weights) else None
    return chosen, ranked, context


def _distinct(ranked: list[Candidate]) -> list[Candidate]:
    """The best-scored candidate of each name and place (two readings composing alike are one unit)."""
    seen: set[tuple[str, str]] = set()
    out = []
    for candidate in ranked:
        if candidate.key not in seen:
            seen.add(candidate.key)
            out.append(candidate)
    return out


def _sources_of(candidate: Candidate) -> str:
    sources = list(dict.fromkeys(s.source for s in candidate.sightings if not s.other))
    place = f" @{candidate.place.source}" if candidate.place is not None and candidate.code else ""
    return f"{candidate.name} ({', '.join(sources) or 'another party'}{place})"


def _issuer_of(chosen: Candidate, context: PlaceContext, gazetteer: Gazetteer,
               considered: tuple[Evidence, ...]) -> Issuer:
    unit = chosen.unit
    own = sorted((s for s in chosen.sightings if not s.other), key=_strength)
    evidence = [Evidence("unit", s.source, s.text) for s in _one_per_source(own)[:3]]
    code = chosen.code
    exact = code is not None
    if chosen.place is not None and code is not None:
        evidence.append(Evidence("place", chosen.place.source, chosen.place.said))
    elif chosen.place_decided == "body" and code is not None:
        evidence.append(Evidence("place", "body", named_above(code, gazetteer, context.votes)))
    if code is None and not unit.national:
        # where the unit itself is stays unknown, but the text may still say which province it is in
        code = strongest_place(context.votes, gazetteer, level=PROVINCE)
        if code is not None:
            evidence.append(Evidence("place", "body", context.votes.said(code)))
    region = _region(code, unit, gazetteer, exact)
    kind = unit.partner.kind if unit.party and unit.partner is not None else unit.kind
    written = next((s.name.written for s in own if s.source not in ("domain", "self-reference", "own name")),
                   own[0].name.written if own else unit.written)
    return Issuer(chosen.name, written, kind, code, unit.locality, region, unit.national,
                  (*evidence, *considered), place_exact=exact)


def _strength(sighting: Sighting) -> tuple[int, float]:
    from reportqa.ingest.issuer_scoring import _SOURCE_RANK

    return (_SOURCE_RANK.get(sighting.source, 99), sighting.at)


def _one_per_source(sightings: list[Sighting]) -> list[Sighting]:
    seen: set[str] = set()
    out = []
    for sighting in sightings:
        if sighting.source not in seen:
            seen.add(sighting.source)
            out.append(sighting)
    return out


def _region(code: str | None, unit: UnitName, gazetteer: Gazetteer, exact: bool = True) -> str | None:
    if code is not None:
        return gazetteer.full_name(code) + (unit.locality or "")
    written = "".join(m.text for m in unit.places)
    return (written + (unit.locality or "")) or None


def _place_only(report: ReportEvidence, context: PlaceContext, gazetteer: Gazetteer,
                considered: tuple[Evidence, ...]) -> Issuer:
    """A report whose unit is unknown is still placed where its text clearly is (大足区 named
    again and again, no other place close): that much a reader knows. The folder decides first."""
    folders = folder_places(report.source, gazetteer)
    if folders:
        code = folders[-1]
        return Issuer(place_code=code, region=gazetteer.full_name(code), place_exact=False,
                      evidence=(Evidence("place", "folder", gazetteer.places[code].name), *considered))
    code = strongest_place(context.votes, gazetteer, minimum=2.0)
    if code is None:
        return Issuer(evidence=considered)
    return Issuer(place_code=code, region=gazetteer.full_name(code), place_exact=False,
                  evidence=(Evidence("place", "body", context.votes.said(code)), *considered))


def _administrators_word(report: ReportEvidence, gazetteer: Gazetteer, config_dir: Path) -> Issuer:
    """``metadata.csv``'s unit, final: placed by its own places (or the folder) when the gazetteer
    can, else kept exactly as written with its place said to be unknown."""
    written = (report.override or "").strip()
    evidence = [Evidence("unit", "metadata.csv", written)]
    unit = parse_unit_name(written, config_dir)
    if unit is None:
        return Issuer(written, written, None, None, None, None, False, tuple(evidence), place_exact=False,
                      place_unknown=True)
    context = place_context(report.body, report.body, config_dir, report.source)
    code, _ = stated_code(unit, context.votes, gazetteer)
    completed = None
    if code is None and not unit.national and not unit.places:
        folders = [c for c in folder_places(report.source, gazetteer)]
        if folders:
            code = folders[-1]
            evidence.append(Evidence("place", "folder", gazetteer.places[code].name))
            completed = gazetteer.places[code].name if unit.marker or unit.mask else None
    name = unit.compose(gazetteer, completed) if completed else written
    kind = unit.partner.kind if unit.party and unit.partner is not None else unit.kind
    return Issuer(name, written, kind, code, unit.locality, _region(code, unit, gazetteer), unit.national,
                  tuple(evidence), place_exact=code is not None,
                  place_unknown=code is None and not unit.national)


__all__ = ["GOVERNMENT", "STREET_OFFICE", "Evidence", "Issuer", "ReportEvidence", "identify_issuer", "weigh"]
