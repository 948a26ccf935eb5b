"""Who a report may be by: every place it, its file or its web page names a unit ("sightings").

Each source of evidence proposes readings of a unit's name (``UnitName``) and says how it saw
them: the title (``应急管理部发布2023年…``), the unit line above it, the signature, the web page's
publisher line (``来源：洪江市退役军人事务局``), the file's name, the report naming itself
(``现将X2021年度…报告如下``), the subject of its sentences (``2023年,市市场监管局坚持…``), units it
merely names (with whether it names them as another party: its superiors ``在区委、区政府的领导下``, a
partner ``与X签订协议``), the documents it
issues (``印发《江门市交通运输局…》``), and what it calls itself — ``我局`` with the domain it works in,
``我乡`` with the name its slogans give (``法治舒桥``), ``我县`` as the county's government. Nothing
here decides: ``issuer_scoring.py`` weighs the sightings. The patterns are data (``config/metadata.toml``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path, PurePosixPath

from reportqa.domain.rules import load_metadata_rules
from reportqa.domain.text import normalise
from reportqa.domain.unit_names import (
    GOVERNMENT,
    MARKERS,
    STREET_OFFICE,
    UnitName,
    kind_goes_on,
    load_unit_kinds,
    parse_unit_name,
    unit_before,
)
from reportqa.ingest.report_places import BODY_CHARS, own_place_names

_DOC_TITLE = re.compile(r"《([^《》\n]{2,80})(?:》|$)")
_IN_DOC_TITLE = re.compile(r"《[^《》\n]{0,80}》")
_SENTENCE = re.compile(r"[。！？!?；;\n]")
_TIME_PHRASE = re.compile(r"(?:19|20)\d{2}年")
_CLAUSE_START = frozenset("。；;，,：:\n、")
_TOWN_ENDINGS = ("街道", "镇", "乡")
# a name written with its place masked: xx街道, XX镇, *区, 某某局 (a template or a page that hides its writer)
_MASKED_NAME = re.compile(r"(?:[xX×＊*]{1,4}|某{1,2})(街道|镇|乡|区|县|市|局|委)")
_OFFICE_ENDINGS = ("局", "委", "厅", "部", "办", "署")
_PLACE_ENDINGS = ("省", "市", "州", "盟", "区", "县", "旗")


@dataclass(frozen=True)
class Sighting:
    """One reading of a unit's name, where it was seen and how."""

    name: UnitName
    source: str  # title, title place, unit line, signature, publisher, file name, self-naming, opening,
    # body, issued document, self-reference, domain, own name, metadata.csv
    text: str  # the words it rests on
    at: float = 0.0  # where: 0 before the body, else its position in the body's first BODY_CHARS (0..1)
    subject: bool = False  # the subject of a clause (2023年,X坚持…)
    other: bool = False  # named as another party: a superior (在X领导下), a partner (与X签订), a cited author


@dataclass(frozen=True)
class ReportEvidence:
    """What a report says about itself, as found by ``metadata.py``; the body is read here."""

    stated: tuple[Sighting, ...] = ()  # unit line, title, signature
    body: str = ""  # the normalised text (NFKC, simplified)
    title: str | None = None  # normalised
    addressee: str | None = None  # normalised
    source: str = ""  # the file's path in the reports folder (its folders and name are evidence)
    override: str | None = None  # the unit metadata.csv gives
    page_lines: tuple[str, ...] = ()  # the web page's lines cleaning took out (来源, 发布机构 …), normalised


@dataclass(frozen=True)
class TextSignals:
    """What the whole text says about its writer without naming it."""

    self_endings: Counter[str] = field(default_factory=Counter)  # 我局 ×5 → 局: 5; 本镇 → 镇
    level: str | None = None  # the level it serves: 县 when 县委、县政府 is the commonest
    domains: Counter[str] = field(default_factory=Counter)  # canonical kind → its domain words' occurrences
    masked: frozenset[str] = frozenset()  # endings of names written masked (xx街道, XX镇, *区): a template

    @property
    def self_total(self) -> int:
        return sum(self.self_endings.values())


@dataclass
class _Rules:
    not_units: frozenset[str]
    subject_cues: tuple[str, ...]
    lead_clauses: tuple[re.Pattern[str], ...]
    own_document_verbs: tuple[str, ...]
    self_reference: re.Pattern[str]
    self_naming: re.Pattern[str]
    level_cues: re.Pattern[str]
    other_party: re.Pattern[str]
    publisher: re.Pattern[str]
    kind_forms: re.Pattern[str]
    subject_cue_at: re.Pattern[str]
    town: re.Pattern[str]

    @property
    def longest_cue(self) -> int:
        return len(self.subject_cues[0]) if self.subject_cues else 0  # (sorted longest first)


def _any_of(words: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(map(re.escape, sorted(words, key=len, reverse=True)))) if words else re.compile(r"(?!)")


@cache
def _rules(config_dir: Path) -> _Rules:
    data = load_metadata_rules(config_dir)["unit"]
    kinds = load_unit_kinds(config_dir)
    forms = [f for f in kinds.forms_longest_first if len(f) >= 2]
    labels = sorted(data.get("publisher_labels", []), key=len, reverse=True)
    publisher = (re.compile(r"(?:^|[\s|｜])\W{0,3}(?:" + "|".join(map(re.escape, labels))
                            + r")\s*[\]】|｜]?\s*[:：]?\s*(?P<name>[^\s|｜:：，,。]{2,40})")
                 if labels else re.compile(r"(?!)"))
    return _Rules(
        frozenset(data.get("not_units", [])),
        tuple(sorted(data.get("subject_cues", []), key=len, reverse=True)),
        tuple(re.compile(p) for p in data.get("lead_clauses", [])),
        tuple(sorted(data.get("own_document_verbs", []), key=len, reverse=True)),
        re.compile(data["self_reference"]),
        re.compile(data["self_naming"]),
        re.compile(data["level_cues"]),
        re.compile("|".join(f"(?:{p})" for p in [*data.get("other_party_contexts", []),
                                                  *data.get("partner_contexts", [])]) or r"(?!)"),
        publisher,
        _any_of(forms),
        re.compile("(?=" + "|".join(map(re.escape, data.get("subject_cues", []))) + ")")
        if data.get("subject_cues") else re.compile(r"(?!)"),
        re.compile(data.get("town_mention", r"(?!)")),
    )


def usable(unit: UnitName, config_dir: Path) -> bool:
    rules = _rules(config_dir)
    return unit.written.strip() not in rules.not_units and unit.kind not in rules.not_units


# ---------------------------------------------------------------------------------------------
# the text as a whole


def text_signals(body: str, config_dir: Path) -> TextSignals:
    """How the report speaks of itself (我局, 本镇), the level it serves, and its domain words."""
    rules = _rules(config_dir)
    text = body[:BODY_CHARS]
    endings = Counter(m.group(1) for m in rules.self_reference.finditer(text))
    levels: Counter[str] = Counter()
    for match in rules.level_cues.finditer(text):
        if text[max(0, match.start() - 2): match.start()] != "自治":
            levels[match.group("level")] += 1
    level = None
    if levels:
        top = max(levels.values())
        level = max((lv for lv, n in levels.items() if n == top), key=lambda lv: MARKERS[lv])
    masked = frozenset(m.group(1) for m in _MASKED_NAME.finditer(text))
    return TextSignals(endings, level, domain_counts(text, config_dir), masked)


def domain_counts(text: str, config_dir: Path) -> Counter[str]:
    """Occurrences of each office's domain words — its name without 局 / 委员会 (交通运输 → 交通运输局)
    and its duties (``config/unit_duties.tsv``: 营业执照 → 市场监督管理局) — by canonical kind."""
    words, pattern = _domain_words(config_dir)
    counts: Counter[str] = Counter()
    for match in pattern.finditer(text):
        for kind in words[match.group(0)]:
            counts[kind] += 1
    return counts


@cache
def _domain_words(config_dir: Path) -> tuple[dict[str, tuple[str, ...]], re.Pattern[str]]:
    kinds = load_unit_kinds(config_dir)
    generic = set(load_metadata_rules(config_dir)["unit"].get("generic_domain_words", []))
    words: dict[str, list[str]] = {}
    for ending in ("委员会", "局"):
        for word, kind in kinds.domains(ending).items():
            if word not in generic:
                words.setdefault(word, []).append(kind)
    path = config_dir / "unit_duties.tsv"
    if path.is_file():
        for raw in path.read_text(encoding="utf-8").splitlines():
            if not raw.strip() or raw.lstrip().startswith("#"):
                continue
            kind, _, duties = raw.partition("\t")
            kind = kinds.canonical_of(normalise(kind.strip()))
            for word in duties.split():
                found = words.setdefault(normalise(word), [])
                if kind not in found:
                    found.append(kind)
    ordered = sorted(words, key=len, reverse=True)
    pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else re.compile(r"(?!)")
    return {w: tuple(k) for w, k in words.items()}, pattern


def ending_of(unit: UnitName) -> str | None:
    """The ending a unit would call itself by (我局 → 局, 我镇 → 镇, 我县 → 县)."""
    if unit.partner is not None and unit.party:
        return ending_of(unit.partner)
    if unit.kind == STREET_OFFICE:
        return "街道"
    if unit.kind == GOVERNMENT:
        if unit.locality:
            return next((e for e in _TOWN_ENDINGS if unit.locality.endswith(e)), None)
        if unit.places:
            last = unit.places[-1].text[-1]
            return last if last in _PLACE_ENDINGS else None
        return unit.marker
    kind = unit.kind_written or unit.kind
    if kind.endswith("委员会"):
        return "委"
    return kind[-1] if kind[-1] in _OFFICE_ENDINGS else None


# ---------------------------------------------------------------------------------------------
# sightings in the body


def _sentences(body: str, count: int) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(body[:1500]) if s.strip()][:count]


def opening_subjects(body: str, config_dir: Path) -> list[Sighting]:
    """Units (or places) that are the subject of the opening sentences: after the year and any
    ``在…下,`` clause, a name followed by a verb cue."""
    rules = _rules(config_dir)
    out: list[Sighting] = []
    for sentence in _sentences(body, 6):
        rest = sentence
        for _ in range(4):
            before = rest
            for clause in rules.lead_clauses:
                rest = clause.sub("", rest, count=1).lstrip()
            if rest == before:
                break
        unit = _subject(rest, rules, config_dir)
        if unit is not None:
            at = max(0, body.find(sentence)) / BODY_CHARS
            out.append(Sighting(unit, "opening", sentence[:60], at=min(at, 1.0), subject=True))
    return out


def _subject(text: str, rules: _Rules, config_dir: Path) -> UnitName | None:
    """The longest name of up to 32 characters that a subject cue follows (坚持, 深入 …)."""
    window = text[:32 + rules.longest_cue]
    ends = [m.start() for m in rules.subject_cue_at.finditer(window, 2) if m.start() <= 32]
    for end in reversed(ends):
        unit = parse_unit_name(text[:end], config_dir)
        if unit is not None and usable(unit, config_dir):
            return unit
    return None


def self_namings(body: str, config_dir: Path) -> list[Sighting]:
    """``现将X2021年度法治政府建设情况报告如下``: the report naming itself."""
    out = []
    for match in _rules(config_dir).self_naming.finditer(body[:BODY_CHARS]):
        unit = parse_unit_name(match.group("name"), config_dir, place_only=True)
        if unit is not None and usable(unit, config_dir):
            out.append(Sighting(unit, "self-naming", match.group(0), at=match.start() / BODY_CHARS))
    return out


def _other_party_spans(text: str, rules: _Rules) -> list[tuple[int, int]]:
    return [m.span() for m in rules.other_party.finditer(text)]


def _inside(at: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= at < end for start, end in spans)


def named_units(body: str, config_dir: Path, self_town: bool = False) -> list[Sighting]:
    """Units of a known kind named in the text with what stands before them (上海市人力资源和社会保障局,
    市公安局, 州经信局), and towns and streets (蔡家桥镇, 人民街街道) — those named as a body of their own
    (蔡家桥镇党委), or, in a report that calls itself 我镇 (``self_town``), every one it names; not
    inside a document's title (《…》 names whose document it is, read by ``issued_documents``)."""
    rules = _rules(config_dir)
    text = body[:BODY_CHARS]
    titles = [m.span() for m in _IN_DOC_TITLE.finditer(text)]
    others = _other_party_spans(text, rules)
    out: list[Sighting] = []
    taken: list[tuple[int, int]] = []
    for match in rules.kind_forms.finditer(text):
        if _inside(match.start(), titles) or kind_goes_on(text, match.end()):
            continue  # 交通运输部门, 公安局长: a word that goes on, not a unit
        unit = unit_before(text, match.start(), match.end(), config_dir)
        if unit is None or not usable(unit, config_dir):
            continue
        start = match.end() - len(unit.written)
        taken.append((start, match.end()))
        out.append(_body_sighting(unit, text, start, match.end(), rules, others))
    # towns named as a body of their own; in a town's own report, every town name it writes
    towns = town_names(text, None if self_town else [m.end("name") for m in rules.town.finditer(text)])
    for town in sorted(towns):
        unit = parse_unit_name(town, config_dir)
        if unit is None or unit.locality is None or unit.places or not usable(unit, config_dir):
            continue
        for match in re.finditer(re.escape(town), text):
            start, end = match.span()
            if _inside(start, titles) or any(s <= start < e for s, e in taken):
                continue
            out.append(_body_sighting(unit, text, start, end, rules, others))
    return out


_TOWN_ENDING = re.compile(r"街道|镇|乡")
# characters no town's name holds (function words, pronouns) and those none starts with
_NOT_IN_TOWN_NAME = frozenset("乡镇街我本全各该每的由对将把被为向与及或等了着是这那其此个")
_BEFORE_A_NAME = frozenset("年在和与及、的对由向将把从为给到于")  # words a name follows, never its start


def town_names(text: str, ends: list[int] | None = None) -> set[str]:
    """Town and street names (蔡家桥镇, 下太镇) ending at ``ends`` (or anywhere), read where their start
    is unclear (全面提升蔡家桥镇…): the longest name that every mention of its shorter form shares
    (提升蔡家桥镇 once, 蔡家桥镇 ×4 → 蔡家桥镇), never one starting with a word a name follows
    (在下太镇 → 下太镇)."""
    names: set[str] = set()
    matches = _TOWN_ENDING.finditer(text) if ends is None else (
        m for end in ends if (m := _TOWN_ENDING.search(text, max(0, end - 2), end)) and m.end() == end)
    for match in matches:
        ending, at = match.group(0), match.start()
        stems = []
        for size in range(2, 6):
            stem = text[at - size: at] if at >= size else ""
            if len(stem) < size or not all("\u4e00" <= ch <= "\u9fff" and ch not in _NOT_IN_TOWN_NAME for ch in stem):
                break
            if size > 2 and stem[0] in _BEFORE_A_NAME:
                break
            stems.append(stem)
        if not stems:
            continue
        shortest = text.count(stems[0] + ending)
        chosen = stems[0]
        for stem in stems[1:]:
            if text.count(stem + ending) != shortest:
                break
            chosen = stem
        if shortest == 1 and (ends is None or (len(stems) == 4 and chosen == stems[-1])):
            continue  # named once: a town's report names itself more often; a cue's, only where it starts
        if ends is None and 2 * shortest < text.count(chosen):
            continue  # a word used mostly on its own (确保街道… beside 确保 ×12): not a name
        names.add(chosen + ending)
    return names


def _body_sighting(unit: UnitName, text: str, start: int, end: int, rules: _Rules,
                   others: list[tuple[int, int]]) -> Sighting:
    before = text[start - 1] if start > 0 else "\n"
    led = start >= 2 and _TIME_PHRASE.search(text[max(0, start - 8): start]) is not None and before in "，,"
    subject = (before in _CLAUSE_START or led) and rules.subject_cue_at.match(text, end) is not None
    # 区政府办公室《关于印发…》: the author of a document the report cites, not the report's
    cites = text.startswith(("《", "的《", "印发的《", "关于"), end)
    return Sighting(unit, "body", unit.written, at=start / BODY_CHARS, subject=subject,
                    other=_inside(start, others) or cites)


def issued_documents(body: str, config_dir: Path) -> list[Sighting]:
    """Units whose documents the report says it issued (印发《江门市交通运输局制定规范性文件工作规程》):
    the issuer of a document written with an own-document verb before it."""
    rules = _rules(config_dir)
    out = []
    listed = -1  # where the last own document ended: 制定了《…》《…》 lists several
    for match in _DOC_TITLE.finditer(body[:BODY_CHARS]):
        before = body[max(0, match.start() - 8): match.start()]
        in_list = match.start() == listed or body[listed:match.start()] in ("、", "和", "及", "，", ",")
        listed = -1
        if not before.endswith(rules.own_document_verbs) and not in_list:
            continue
        listed = match.end()
        title = re.split(r"(?:办公厅|办公室)?关于", match.group(1), maxsplit=1)[0]
        for end in range(min(len(title), 30), 2, -1):
            unit = parse_unit_name(title[:end], config_dir, place_only=False)
            if unit is not None and usable(unit, config_dir) and (unit.stated_place or unit.marker or unit.national):
                out.append(Sighting(unit, "issued document", f"{before[-4:]}《{match.group(1)[:40]}》",
                                    at=match.start() / BODY_CHARS))
                break
    return out


# ---------------------------------------------------------------------------------------------
# what the report calls itself


def self_readings(body: str, signals: TextSignals, config_dir: Path) -> list[Sighting]:
    """Readings of what the report calls itself: ``我县`` → the county's government (placed by the
    scorer), ``我局`` with its domain (交通运输 throughout → 交通运输局), ``我乡`` with the name its
    slogans give (法治舒桥 → 舒桥乡)."""
    out: list[Sighting] = []
    kinds = load_unit_kinds(config_dir)
    for ending, count in signals.self_endings.items():
        if ending in _PLACE_ENDINGS:
            unit = parse_unit_name(f"{ending}人民政府", config_dir)
            if unit is not None:
                out.append(Sighting(replace(unit, written=f"我{ending}"), "self-reference", f"我{ending} ×{count}",
                                    at=1.0))
        elif ending in _TOWN_ENDINGS:
            for after, at in own_place_names(body, config_dir):
                if not after[2:].startswith(("建设", "工作")) and after[:2] + ending not in body:
                    continue  # 法治舒桥建设: the 乡's name; 法治宣传 is not one
                unit = parse_unit_name(after[:2] + ending, config_dir)
                if unit is not None and unit.locality is not None and not unit.places:
                    out.append(Sighting(replace(unit, written=f"我{ending}"), "own name",
                                        f"我{ending} + {body[max(0, at - 2): at + 4]}", at=at / BODY_CHARS))
    if signals.self_endings.get("局") or signals.self_endings.get("委"):
        ranked = signals.domains.most_common()
        for kind, count in ranked[:3]:
            ending = "委" if kind.endswith(("委员会", "委")) else kind[-1]
            rival = next((n for k, n in ranked if k != kind and not _same_domain(k, kind, config_dir)), 0)
            if count < 3 or count < 1.5 * rival or not signals.self_endings.get(ending):
                continue  # an office known by its work only when that work fills the report
            marker = signals.level if signals.level in ("省", "市", "州", "盟", "区", "县", "旗") else None
            unit = parse_unit_name(f"{marker or ''}{kind}", config_dir, place_only=False)
            if unit is None:
                unit = UnitName(kind, kinds.canonical_of(kind), kind, cited=kind)
            out.append(Sighting(replace(unit, written=f"我{ending}"), "domain", f"我{ending} + {kind}的工作 ×{count}",
                                at=1.0))
    return out


def _same_domain(one: str, other: str, config_dir: Path) -> bool:
    """教育局 and 教育委员会, 水利局 and 水务局, 司法局 and 司法厅: one kind of work under two names
    (the same domain word, or duties mostly shared)."""
    if one.rstrip("局厅").removesuffix("委员会") == other.rstrip("局厅").removesuffix("委员会"):
        return True
    duties = _duties_of(config_dir)
    a, b = duties.get(one, frozenset()), duties.get(other, frozenset())
    return bool(a and b) and len(a & b) >= 0.5 * min(len(a), len(b))


@cache
def _duties_of(config_dir: Path) -> dict[str, frozenset[str]]:
    words, _ = _domain_words(config_dir)
    out: dict[str, set[str]] = {}
    for word, kinds in words.items():
        for kind in kinds:
            out.setdefault(kind, set()).add(word)
    return {kind: frozenset(found) for kind, found in out.items()}


# ---------------------------------------------------------------------------------------------
# outside the body


_LABEL_ALONE = re.compile(r"(?:发布机构|发文机关|发文单位|发文机构|来源)\s*[\]】|｜]?\s*[:：]?\s*$")


def publisher_sightings(page_lines: tuple[str, ...], config_dir: Path) -> list[Sighting]:
    """The unit a web page names as its publisher (来源：洪江市退役军人事务局, 发布机构 荣昌区教委): the
    office that posted it, often the writer itself, sometimes its government's site office."""
    rules = _rules(config_dir)
    out = []
    for index, line in enumerate(page_lines):
        for match in rules.publisher.finditer(line):
            name = match.group("name")
            unit = parse_unit_name(name, config_dir, place_only=False)
            if unit is not None and usable(unit, config_dir):
                out.append(Sighting(unit, "publisher", line.strip()[:60]))
        # a label standing alone, its value on the next line (• [ 发布机构 ] / • 荣昌区教委)
        if index + 1 < len(page_lines) and _LABEL_ALONE.search(line):
            value = re.sub(r"^\W+", "", page_lines[index + 1]).strip()
            unit = parse_unit_name(value, config_dir, place_only=False) if 2 <= len(value) <= 40 else None
            if unit is not None and usable(unit, config_dir):
                out.append(Sighting(unit, "publisher", f"{line.strip()} {value}"[:60]))
    return out


def file_name_sighting(source: str, config_dir: Path) -> Sighting | None:
    """The unit an administrator's file name gives (应急管理局2021年法治政府建设情况报告.docx)."""
    from reportqa.ingest.titles import unit_in_title  # a file name is read as a title is

    stem = PurePosixPath(source).stem
    unit = unit_in_title(normalise(stem), config_dir)
    return Sighting(unit, "file name", stem) if unit is not None and usable(unit, config_dir) else None


def all_sightings(report: ReportEvidence, signals: TextSignals, config_dir: Path) -> list[Sighting]:
    """Every sighting of a unit in and about a report (metadata.csv's is not one: it is final)."""
    body = report.body
    out = [s for s in report.stated if usable(s.name, config_dir)]
    out += publisher_sightings(report.page_lines, config_dir)
    if (named := file_name_sighting(report.source, config_dir)) is not None:
        out.append(named)
    out += self_namings(body, config_dir)
    out += opening_subjects(body, config_dir)
    out += named_units(body, config_dir, self_town=any(signals.self_endings.get(e) for e in _TOWN_ENDINGS))
    out += issued_documents(body, config_dir)
    out += self_readings(body, signals, config_dir)
    if report.addressee and (addressed := parse_unit_name(report.addressee, config_dir)) is not None:
        out.append(Sighting(addressed, "addressee", report.addressee, other=True))
    return out


__all__ = ["ReportEvidence", "Sighting", "TextSignals", "all_sightings", "ending_of", "text_signals"]
