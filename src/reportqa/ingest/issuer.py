"""Who wrote a report, and where: the issuing unit read from all the evidence a careful reader uses.

Evidence, strongest first: ``metadata.csv``; the unit line above the title, the title (including a
title that names only a place: 静海区2023年度… → 静海区人民政府), the signature; the report naming itself
(``现将X2021年度…报告如下``); the subject of its opening sentences (``2023年,市市场监管局坚持…``); a report
that calls itself only 我局 is known by the documents it issues (``印发《江门市交通运输局制定…》``) and the
units of its kind it names, or by its domain (交通运输 … in a 我局 report) and the place it names; then the
file's name. The first of these names the unit; the others complete it: a name that gives only a
level (市市场监管局) or a masked place (XX经济和信息化局) takes its place from the same unit named in full
elsewhere in the text, from the folder it was filed in, or from the place the text names most at
that level (绍兴, in a report full of 绍兴's own regulations). Web-page furniture (来源, 发布机构,
新闻中心, a site clock) is never evidence of the issuer: those lines are gone before this runs.

Each field keeps the evidence it rests on, for ``reportqa inspect``. Nothing is guessed: a report
that names no unit, or only ``我局`` with no place, stays unknown.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path, PurePosixPath

from reportqa.places import CITY, COUNTY, PROVINCE, Gazetteer, load_gazetteer
from reportqa.resources import load_metadata_rules
from reportqa.unit_names import (
    GOVERNMENT,
    MARKERS,
    STREET_OFFICE,
    UnitKinds,
    UnitName,
    load_unit_kinds,
    parse_unit_name,
    unit_before,
)

BODY_CHARS = 6000  # how much of a report's text is read for evidence (the opening says who and where)
MUNICIPALITIES = frozenset({"110000", "120000", "310000", "500000"})
_DOC_TITLE = re.compile(r"《([^《》\n]{2,80})(?:》|$)")
_SENTENCE = re.compile(r"[。！？!?；;\n]")
_TIME_PHRASE = re.compile(r"(?:19|20)\d{2}年")


@dataclass(frozen=True)
class Evidence:
    """Where a field's value came from: the kind of evidence and the words it rests on."""

    field: str  # unit, place, date, year
    source: str  # title, unit line, signature, opening, self-naming, issued document, …
    text: str

    def __str__(self) -> str:
        text = self.text if len(self.text) <= 32 else self.text[:30] + "…"
        return f"{self.source} {text}" if text.startswith("「") else f"{self.source} 「{text}」"


@dataclass(frozen=True)
class Candidate:
    """A unit named somewhere in or about a report."""

    name: UnitName
    source: str
    text: str


@dataclass(frozen=True)
class Issuer:
    """The issuing unit as far as the evidence goes."""

    unit: str | None = None  # full canonical name: 绍兴市市场监督管理局
    written: str | None = None  # as the report writes it: 市市场监管局
    kind: str | None = None  # canonical kind: 市场监督管理局
    place_code: str | None = None  # the most specific gazetteer division the unit is in
    locality: str | None = None  # its town or street, below county level
    region: str | None = None  # 浙江省绍兴市, 重庆市大足区玉龙镇 (or a place as written when ambiguous)
    national: bool = False  # a ministry: above every place
    evidence: tuple[Evidence, ...] = ()
    place_exact: bool = True  # the place is the unit's own (not only the province it is somewhere in)


@dataclass(frozen=True)
class ReportEvidence:
    """What a report says about itself, as found by ``metadata.py``; the body is read here."""

    stated: tuple[Candidate, ...] = ()  # unit line, title, signature, in that order
    body: str = ""  # the normalised text (NFKC, simplified)
    title: str | None = None  # normalised
    addressee: str | None = None  # normalised
    source: str = ""  # the file's path in the reports folder (its folders and name are evidence)
    override: str | None = None  # the unit metadata.csv gives


@dataclass
class _Rules:
    not_units: frozenset[str]
    subject_cues: tuple[str, ...]
    lead_clauses: tuple[re.Pattern[str], ...]
    own_document_verbs: tuple[str, ...]
    self_reference: re.Pattern[str]
    self_naming: re.Pattern[str]
    level_cues: re.Pattern[str]
    kind_forms: re.Pattern[str] = field(default=re.compile(r"(?!)"))
    subject_cue_at: re.Pattern[str] = field(default=re.compile(r"(?!)"))  # where a subject cue starts

    @property
    def longest_cue(self) -> int:
        return len(self.subject_cues[0]) if self.subject_cues else 0  # (sorted longest first)


@cache
def _rules(config_dir: Path) -> _Rules:
    data = load_metadata_rules(config_dir)["unit"]
    kinds = load_unit_kinds(config_dir)
    forms = [re.escape(f) for f in kinds.forms_longest_first if len(f) >= 3]
    return _Rules(
        frozenset(data.get("not_units", [])),
        tuple(sorted(data.get("subject_cues", []), key=len, reverse=True)),
        tuple(re.compile(p) for p in data.get("lead_clauses", [])),
        tuple(sorted(data.get("own_document_verbs", []), key=len, reverse=True)),
        re.compile(data["self_reference"]),
        re.compile(data["self_naming"]),
        re.compile(data["level_cues"]),
        re.compile("|".join(forms)) if forms else re.compile(r"(?!)"),
        re.compile("(?=" + "|".join(map(re.escape, data.get("subject_cues", []))) + ")")
        if data.get("subject_cues") else re.compile(r"(?!)"),
    )


# ---------------------------------------------------------------------------------------------
# reading the body


def _sentences(body: str, count: int) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(body[:1500]) if s.strip()][:count]


def opening_subjects(body: str, config_dir: Path) -> list[Candidate]:
    """Units (or places) that are the subject of the opening sentences, those that open with a year
    (``2023年,…``) first: after the year and any ``在…下,`` clause, a name followed by a verb cue."""
    rules = _rules(config_dir)
    led: list[Candidate] = []
    others: list[Candidate] = []
    for sentence in _sentences(body, 6):
        rest = sentence
        by_year = bool(_TIME_PHRASE.match(rest))
        for _ in range(4):
            before = rest
            for clause in rules.lead_clauses:
                rest = clause.sub("", rest, count=1).lstrip()
            if rest == before:
                break
        unit = _subject(rest, rules, config_dir)
        if unit is not None:
            (led if by_year else others).append(Candidate(unit, "opening", sentence[:60]))
    # a superior named as a subject (省委、省政府高度重视…) is a poor guess at the writer
    ranked = led + others
    return sorted(ranked, key=lambda c: c.name.party and not c.name.places)


def _subject(text: str, rules: _Rules, config_dir: Path) -> UnitName | None:
    """The longest name of up to 32 characters that a subject cue follows (坚持, 深入 …)."""
    window = text[:32 + rules.longest_cue]
    ends = [m.start() for m in rules.subject_cue_at.finditer(window, 2) if m.start() <= 32]
    for end in reversed(ends):
        unit = parse_unit_name(text[:end], config_dir)
        if unit is not None and _usable(unit, rules):
            return unit
    return None


def self_namings(body: str, config_dir: Path) -> list[Candidate]:
    """``现将X2021年度法治政府建设情况报告如下``: the report naming itself."""
    rules = _rules(config_dir)
    out = []
    for match in rules.self_naming.finditer(body[:BODY_CHARS]):
        unit = parse_unit_name(match.group("name"), config_dir, place_only=True)
        if unit is not None and _usable(unit, rules):
            out.append(Candidate(unit, "self-naming", match.group(0)))
    return out


def named_units(body: str, config_dir: Path) -> list[Candidate]:
    """Units of a known kind named in the text with what stands before them (上海市人力资源和社会保障局,
    市公安局, 州经信局), for completing a name the title gives only in part."""
    rules = _rules(config_dir)
    out = []
    for match in rules.kind_forms.finditer(body[:BODY_CHARS]):
        unit = unit_before(body, match.start(), match.end(), config_dir)
        if unit is not None and _usable(unit, rules):
            out.append(Candidate(unit, "body", unit.written))
    return out


def issued_documents(body: str, config_dir: Path) -> list[Candidate]:
    """Units whose documents the report says it issued (印发《江门市交通运输局制定规范性文件工作规程》):
    the issuer of a document written with an own-document verb before it."""
    rules = _rules(config_dir)
    out = []
    listed = -1  # where the last own document ended: 制定了《…》《…》 lists several
    for match in _DOC_TITLE.finditer(body[:BODY_CHARS]):
        before = body[max(0, match.start() - 8) : match.start()]
        in_list = match.start() == listed or body[listed:match.start()] in ("、", "和", "及", "，", ",")
        listed = -1
        if not before.endswith(rules.own_document_verbs) and not in_list:
            continue
        listed = match.end()
        title = match.group(1)
        title = re.split(r"(?:办公厅|办公室)?关于", title, maxsplit=1)[0]
        for end in range(min(len(title), 30), 2, -1):
            unit = parse_unit_name(title[:end], config_dir, place_only=False)
            if unit is not None and _usable(unit, rules) and (unit.stated_place or unit.marker or unit.national):
                out.append(Candidate(unit, "issued document", f"{before[-4:]}《{match.group(1)[:40]}》"))
                break
    return out


def self_reference(body: str, config_dir: Path) -> str | None:
    """The ending the report uses for itself (局 in 我局), the commonest if several."""
    counts = Counter(m.group(1) for m in _rules(config_dir).self_reference.finditer(body[:BODY_CHARS]))
    return counts.most_common(1)[0][0] if counts else None


def level_of_text(body: str, config_dir: Path) -> int | None:
    """The government level a report serves (its 县委、县政府 …): the commonest level named."""
    counts: Counter[int] = Counter()
    for match in _rules(config_dir).level_cues.finditer(body[:BODY_CHARS]):
        if body[max(0, match.start() - 2) : match.start()] == "自治":
            continue
        counts[MARKERS[match.group("level")]] += 1
    if not counts:
        return None
    top = max(counts.values())
    return max(level for level, n in counts.items() if n == top)


def domain_kind(body: str, kinds: UnitKinds, ending: str = "局") -> tuple[str, str] | None:
    """The kind of 局 a report is about when it never names itself (交通运输 throughout → 交通运输局):
    the commonest domain word, at least four times and twice the next one."""
    domains = kinds.domains(ending)
    words = sorted(domains, key=len, reverse=True)
    if not words:
        return None
    pattern = re.compile("|".join(map(re.escape, words)))
    counts: Counter[str] = Counter()
    for match in pattern.finditer(body[:BODY_CHARS]):
        counts[domains[match.group(0)]] += 1
    ranked = counts.most_common(2)
    if not ranked or ranked[0][1] < 4 or (len(ranked) > 1 and ranked[0][1] < 2 * ranked[1][1]):
        return None
    word = next(w for w in words if domains[w] == ranked[0][0])
    return ranked[0][0], word


def _usable(unit: UnitName, rules: _Rules) -> bool:
    return unit.written.strip() not in rules.not_units and unit.kind not in rules.not_units


# ---------------------------------------------------------------------------------------------
# places


class PlaceVotes(Counter[str]):
    """How strongly a text points at each division (code → score), and the words that did."""

    def __init__(self) -> None:
        super().__init__()
        self.words: dict[str, Counter[str]] = {}

    def said(self, code: str) -> str:
        """The words that pointed at a division: 「绍兴市」×2 「汶川」."""
        words = self.words.get(code, Counter()).most_common(3)
        return " ".join(f"「{w}」" + (f"×{n}" if n > 1 else "") for w, n in words)


def place_votes(text: str, gazetteer: Gazetteer) -> PlaceVotes:
    """Every place a text names counts for that division and the ones above it (a full name 1, a
    short form ½, shared out when the name is ambiguous)."""
    votes = PlaceVotes()
    mentions = gazetteer.mentions(text, limit=BODY_CHARS)
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
        for code in codes:
            for place in gazetteer.chain(code):
                votes[place.code] += weight
                votes.words.setdefault(place.code, Counter())[mention.text] += 1
    return votes


def _level_matches(gazetteer: Gazetteer, code: str, marker: str | None, level: int | None) -> bool:
    place = gazetteer.places[code]
    if marker == "市":
        return place.level == CITY or code in MUNICIPALITIES
    if marker == "省":
        return place.level == PROVINCE and code not in MUNICIPALITIES
    if marker == "州":
        return place.level == CITY and place.name.endswith("州") and not place.name.endswith("州市")
    if marker == "盟":
        return place.level == CITY and place.name.endswith("盟")
    if marker in ("区", "县", "旗"):
        return place.level == COUNTY and (marker != "旗" or place.name.endswith("旗"))
    if level is not None:
        return place.level == level or (level == CITY and code in MUNICIPALITIES)
    return True


def strongest_place(votes: PlaceVotes, gazetteer: Gazetteer, marker: str | None = None,
                    level: int | None = None, within: str | None = None, minimum: float = 1.0) -> str | None:
    """The division a text points at most on a level (or, with no level, the most specific one
    carrying the top score): at least one full mention's worth, and twice the next division on
    that level (no clear winner, no place)."""
    scored = [(score, gazetteer.places[code].level, code) for code, score in votes.items()
              if _level_matches(gazetteer, code, marker, level) and (within is None or gazetteer.within(code, within))]
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


def _stated_code(unit: UnitName, votes: PlaceVotes, gazetteer: Gazetteer) -> tuple[str | None, str | None]:
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


def _folder_places(source: str, gazetteer: Gazetteer) -> list[str]:
    """Divisions the folders a file was filed in name (reports/大足区/…), outermost first."""
    codes: list[str] = []
    for part in PurePosixPath(source).parts[:-1]:
        found = gazetteer.lookup(part.strip())
        if len(found) == 1:
            codes.append(found[0])
    return codes


def file_name_unit(source: str, config_dir: Path) -> Candidate | None:
    """The unit an administrator's file name gives (应急管理局2021年法治政府建设情况报告.docx)."""
    from reportqa.ingest.metadata import unit_in_title  # the title's rules read a file name too

    stem = PurePosixPath(source).stem
    unit = unit_in_title(stem, config_dir)
    return Candidate(unit, "file name", stem) if unit is not None else None


# ---------------------------------------------------------------------------------------------
# deciding


def identify_issuer(report: ReportEvidence, config_dir: Path) -> Issuer:
    """The issuing unit of a report, completed as far as the evidence goes, with that evidence."""
    gazetteer = load_gazetteer(config_dir)
    kinds = load_unit_kinds(config_dir)
    rules = _rules(config_dir)
    body = report.body
    context = " ".join(t for t in (report.title, report.addressee, body) if t)
    votes = place_votes(context, gazetteer)

    mentions = named_units(body, config_dir)
    candidates = _candidates(report, config_dir, rules, mentions)
    if not candidates:
        inferred = _by_domain(report, kinds, votes, gazetteer, config_dir)
        if inferred is None:
            return _place_only(report, votes, gazetteer)
        candidates = [inferred]
    base = candidates[0]
    evidence = [Evidence("unit", base.source, base.text)]
    unit = base.name

    # complete a name that lacks its place from the same unit named in full elsewhere
    if not unit.stated_place and not unit.national:
        fuller = _same_unit_with_place(unit, [*candidates[1:], *mentions], gazetteer)
        if fuller is not None:
            unit = replace(unit, places=fuller.name.places, locality=unit.locality or fuller.name.locality,
                           marker=None, mask=None)
            evidence.append(Evidence("unit", fuller.source, fuller.text))
        elif unit.marker is None:
            marked = next((c for c in mentions if c.name.kind == unit.kind and c.name.marker), None)
            if marked is not None:
                unit = replace(unit, marker=marked.name.marker)
                evidence.append(Evidence("unit", marked.source, marked.text))

    code, decided = _stated_code(unit, votes, gazetteer)
    place_source: Evidence | None = None
    if decided == "body":
        place_source = Evidence("place", "body", _named_above(code, gazetteer, votes))
    resolved_name: str | None = None
    if code is None and decided != "ambiguous" and not unit.national:
        code, place_source = _place_from_elsewhere(unit, report, votes, gazetteer, config_dir)
        if code is not None and (unit.marker or unit.mask or not unit.places):
            resolved_name = gazetteer.places[code].name if not unit.stated_place else None
    if place_source is not None:
        evidence.append(place_source)

    name = unit.compose(gazetteer, resolved_name)
    exact = code is not None
    if code is None and decided != "ambiguous" and not unit.national:
        # where the unit itself is stays unknown, but the text may still say which province it is in
        code = strongest_place(votes, gazetteer, level=PROVINCE)
        exact = False
        if code is not None:
            evidence.append(Evidence("place", "body", votes.said(code)))
    region = _region(code, unit, gazetteer)
    return Issuer(name, base.name.written, _kind_of(unit), code, unit.locality, region, unit.national,
                  tuple(evidence), place_exact=exact)


def _place_only(report: ReportEvidence, votes: PlaceVotes, gazetteer: Gazetteer) -> Issuer:
    """A report whose unit is unknown is still placed where its text clearly is (大足区 named
    again and again, no other place close): that much a reader knows. The folder decides first."""
    folders = _folder_places(report.source, gazetteer)
    if folders:
        code = folders[-1]
        return Issuer(place_code=code, region=gazetteer.full_name(code), place_exact=False,
                      evidence=(Evidence("place", "folder", gazetteer.places[code].name),))
    code = strongest_place(votes, gazetteer, minimum=2.0)
    if code is None:
        return Issuer()
    return Issuer(place_code=code, region=gazetteer.full_name(code), place_exact=False,
                  evidence=(Evidence("place", "body", votes.said(code)),))


def _kind_of(unit: UnitName) -> str:
    if unit.party and unit.partner is not None:
        return unit.partner.kind
    return unit.kind


def _region(code: str | None, unit: UnitName, gazetteer: Gazetteer) -> str | None:
    if code is not None:
        return gazetteer.full_name(code) + (unit.locality or "")
    written = "".join(m.text for m in unit.places)
    return (written + (unit.locality or "")) or None


def _named_above(code: str, gazetteer: Gazetteer, votes: PlaceVotes) -> str:
    """The words that decided an ambiguous place: the nearest division above it the text names."""
    for place in reversed(gazetteer.chain(code)[:-1]):
        if votes.get(place.code, 0.0) >= 1.0:
            return votes.said(place.code)
    return gazetteer.places[code].name


def _candidates(report: ReportEvidence, config_dir: Path, rules: _Rules, mentions: list[Candidate]) -> list[Candidate]:
    """Every unit the report is said to be by, strongest evidence first."""
    out: list[Candidate] = []
    if report.override:
        unit = parse_unit_name(report.override, config_dir)
        if unit is not None:
            out.append(Candidate(unit, "metadata.csv", report.override))
    out += [c for c in report.stated if _usable(c.name, rules)]
    body = report.body
    out += self_namings(body, config_dir)
    out += opening_subjects(body, config_dir)
    ending = self_reference(body, config_dir)
    issued = issued_documents(body, config_dir)
    if ending in ("局", "委", "厅", "部", "办", "署"):
        own = [c for c in issued if c.name.kind.endswith(ending) or c.name.kind_written.endswith(ending)]
        out += own
        named = [c for c in mentions if c.name.kind.endswith(ending) and (c.name.stated_place or c.name.marker)]
        if named:
            out.append(_most_named(named))
    elif ending in ("市", "县", "区", "旗", "省"):
        government = _own_government(ending, body, config_dir)
        if government is not None:
            out.append(government)
    elif ending in ("镇", "乡", "街道"):
        town = _own_town(ending, body, config_dir)
        if town is not None:
            out.append(town)
    gazetteer = load_gazetteer(config_dir)
    by_one = Counter(c.name.compose(gazetteer) for c in issued)
    if by_one and by_one.most_common(1)[0][1] >= 2:  # a report that issues several of one unit's documents
        top = by_one.most_common(1)[0][0]
        out.append(next(c for c in issued if c.name.compose(gazetteer) == top))
    from_file = file_name_unit(report.source, config_dir)
    if from_file is not None:
        out.append(from_file)
    return out


def _most_named(named: list[Candidate]) -> Candidate:
    """The unit of the report's own kind it names most; a mention with its place preferred."""
    kind = Counter(c.name.kind for c in named).most_common(1)[0][0]
    of_kind = [c for c in named if c.name.kind == kind]
    chosen = next((c for c in of_kind if c.name.stated_place), of_kind[0])
    return replace(chosen, source="self-reference")


def _own_government(ending: str, body: str, config_dir: Path) -> Candidate | None:
    """我市, 我县 …: the government of the place of that level the text names most."""
    gazetteer = load_gazetteer(config_dir)
    code = strongest_place(place_votes(body, gazetteer), gazetteer, marker=ending)
    if code is None:
        return None
    unit = parse_unit_name(gazetteer.places[code].name, config_dir)
    if unit is None:
        return None
    name = gazetteer.places[code].name
    return Candidate(replace(unit, written=f"我{ending}"), "self-reference", f"我{ending} + {name}")


def _own_town(ending: str, body: str, config_dir: Path) -> Candidate | None:
    """我镇, 我乡, 我街道: the town the text names twice at least, once as a body of its own (新市镇党委,
    新市镇人民政府), and no other town as often."""
    text = body[:BODY_CHARS]
    pattern = re.compile(rf"(?<![我本全各该乡城村])([\u4e00-\u9fff]{{2,4}}?{ending})(?=[\u4e00-\u9fff，,、。])")
    counts = Counter(m.group(1) for m in pattern.finditer(text))
    own = re.compile(rf"([\u4e00-\u9fff]{{2,4}}?{ending})(?:党委|党工委|人民政府|政府|办事处)")
    bodies = {m.group(1) for m in own.finditer(text)}
    counts = Counter({name: n for name, n in counts.items()
                      if any(b.endswith(name) for b in bodies) and parse_unit_name(name, config_dir) is not None})
    ranked = counts.most_common(2)
    if not ranked or ranked[0][1] < 2 or (len(ranked) > 1 and ranked[1][1] * 2 > ranked[0][1]):
        return None
    unit = parse_unit_name(ranked[0][0], config_dir)
    if unit is None:
        return None
    return Candidate(replace(unit, written=f"我{ending}"), "self-reference", f"我{ending} + {ranked[0][0]}")


def _same_unit_with_place(unit: UnitName, others: Iterable[Candidate], gazetteer: Gazetteer) -> Candidate | None:
    """The first other mention of a unit's kind that says where it is (and fits its level marker)."""
    for other in others:
        name = other.name
        if name.kind != unit.kind or not name.stated_place or name.party:
            continue
        if unit.marker and name.places and not all(
                _level_matches(gazetteer, code, unit.marker, None) for code in name.places[-1].codes):
            continue
        return other
    return None


def _place_from_elsewhere(unit: UnitName, report: ReportEvidence, votes: PlaceVotes, gazetteer: Gazetteer,
                          config_dir: Path) -> tuple[str | None, Evidence | None]:
    """Where a unit whose name does not say is: the folder it was filed in, else (for a name that
    gives a level or a masked place, or a town) the place the text names most on that level."""
    marker = unit.marker
    level = MARKERS.get(marker) if marker else None
    folders = [c for c in _folder_places(report.source, gazetteer)
               if _level_matches(gazetteer, c, marker, COUNTY if unit.locality else level)]
    if folders:
        return folders[-1], Evidence("place", "folder", gazetteer.places[folders[-1]].name)
    if unit.locality is not None:
        if report.addressee:
            addressed = parse_unit_name(report.addressee, config_dir)
            code, _ = _stated_code(addressed, votes, gazetteer) if addressed else (None, None)
            if code is not None and gazetteer.places[code].level == COUNTY:
                return code, Evidence("place", "addressee", report.addressee)
        code = strongest_place(votes, gazetteer, level=COUNTY)
        return code, (Evidence("place", "body", votes.said(code)) if code else None)
    if marker is None and not unit.mask:
        return None, None
    if marker is None:
        level = level_of_text(report.body, config_dir)
        if level is None:
            return None, None
    code = strongest_place(votes, gazetteer, marker=marker, level=level)
    return code, (Evidence("place", "body", votes.said(code)) if code else None)


def _by_domain(report: ReportEvidence, kinds: UnitKinds, votes: PlaceVotes, gazetteer: Gazetteer,
               config_dir: Path) -> Candidate | None:
    """A 我局 report that never names itself: the 局 of its domain in the one place it names."""
    if self_reference(report.body, config_dir) != "局":
        return None
    found = domain_kind(report.body, kinds)
    if found is None:
        return None
    kind, word = found
    level = level_of_text(report.body, config_dir)
    code = strongest_place(votes, gazetteer, level=level)
    if code is None:
        return None
    place = gazetteer.places[code]
    if level is None and place.level == PROVINCE:
        return None
    unit = parse_unit_name(place.name + kind, config_dir, place_only=False)
    if unit is None:
        return None
    return Candidate(replace(unit, written="我局"), "domain", f"我局 + {word} + {place.name}")


__all__ = [
    "GOVERNMENT",
    "STREET_OFFICE",
    "Candidate",
    "Evidence",
    "Issuer",
    "ReportEvidence",
    "identify_issuer",
    "place_votes",
    "strongest_place",
]
