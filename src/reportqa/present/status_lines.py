"""The command line's status lines (``reportqa index``, ``add``, ``remove``) in the language it
speaks (``REPORTQA_LANGUAGE``, else the system locale): pure functions, summaries in, lines out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reportqa.domain.lang import Lang
from reportqa.present.catalog import reason_text, say

if TYPE_CHECKING:  # only named in signatures: printing a summary imports no indexer
    from reportqa.index.builder import BuildSummary
    from reportqa.index.library import LibraryOutcome

UNITS_SHOWN = 30  # the summary names this many units (and reports of each kind); --json lists all


def _listed(sources: list[str], lang: Lang) -> str:
    more = len(sources) - UNITS_SHOWN
    return "、".join(sources[:UNITS_SHOWN]) + (say("cli_more_sources", lang, n=more) if more > 0 else "")


def index_summary_lines(summary: BuildSummary, lang: Lang) -> list[str]:
    """What ``reportqa index`` prints after a build."""
    lines: list[str] = []
    if summary.rebuilt_because:
        lines.append(say("cli_damaged_rebuilt", lang, why=summary.rebuilt_because))
    if not summary.changed:
        lines.append(say("cli_up_to_date", lang, reused=summary.reused))
    else:
        removed = say("cli_indexed_removed", lang, n=len(summary.removed)) if summary.removed else ""
        lines.append(say("cli_indexed", lang, parsed=len(summary.parsed), reused=summary.reused, removed=removed,
                         seconds=f"{summary.seconds:.1f}"))
    lines.append(say("cli_reports", lang, reports=summary.reports, passages=summary.passages))
    unknown = say("cli_units_unknown", lang, n=summary.unknown_unit_reports) if summary.unknown_unit_reports else ""
    hidden = len(summary.units) - UNITS_SHOWN
    lines.append(say("cli_units", lang, n=len(summary.units), unknown=unknown,
                     shown="、".join(summary.units[:UNITS_SHOWN]) or "-",
                     more=say("cli_more", lang, n=hidden) if hidden > 0 else ""))
    lines.append(say("cli_years", lang, years=", ".join(map(str, summary.years)) or "-"))
    unplaced = [source for source, warnings in summary.warnings.items()
                if any(w.startswith("place of") for w in warnings)]
    for key, sources in (("cli_unit_unknown", summary.unit_unknown), ("cli_date_unknown", summary.date_unknown),
                         ("cli_place_unknown", unplaced)):
        if sources:
            lines.append(say(key, lang, n=len(sources), listed=_listed(sources, lang)))
    lines += [say("cli_removed", lang, source=source) for source in summary.removed]
    if summary.duplicates:
        lines.append(say("cli_duplicates", lang, n=len(summary.duplicates)))
        lines += [f"  {source} = {same}" for source, same in summary.duplicates]
    if summary.skipped:
        lines.append(say("cli_skipped", lang, n=len(summary.skipped)))
        lines += [f"  {item.source}: {reason_text(item.reason, lang)}" for item in summary.skipped]
    return lines


def outcome_lines(outcome: LibraryOutcome, lang: Lang) -> list[str]:
    """What ``reportqa add`` / ``remove`` print: the status and the report, or why nothing changed."""
    colon = ": " if lang == "en" else "："
    lines = [f"{say(f'cli_status_{outcome.status}', lang)}{colon}{outcome.source or ''}".rstrip()]
    width = 8 if lang == "en" else 4
    labelled = (("reason", outcome.reason and reason_text(outcome.reason, lang)), ("title", outcome.title),
                ("unit", outcome.unit), ("region", outcome.region), ("year", outcome.year), ("date", outcome.date))
    for field, value in labelled:
        if value is not None:
            lines.append(f"  {say(f'lib_label_{field}', lang):<{width}} {value}")
    if outcome.passages:
        lines.append(f"  {say('lib_label_passages', lang):<{width}} {outcome.passages}")
    lines += [f"  {say('lib_label_warning', lang):<{width}} {reason_text(w, lang)}" for w in outcome.warnings]
    if outcome.candidates:
        lines.append("  " + say("lib_did_you_mean", lang))
        lines += [f"    {candidate}" for candidate in outcome.candidates]
    return lines
