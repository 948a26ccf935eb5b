"""Answers → Telegram HTML messages, and the same messages as plain text for the terminal.

Every piece of report text and every echo of the user's words goes through ``html.escape``; a
message never exceeds Telegram's 4096 characters and is never cut inside a tag (whole blocks are
dropped or plain text is split before escaping).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from reportqa.answers.compose import Answer
from reportqa.domain.lang import lang_of
from reportqa.domain.model import PREAMBLE, SECTION_SEPARATOR
from reportqa.domain.text import normalise
from reportqa.present.catalog import say
from reportqa.present.snippets import find_spans, make_snippet, mark
from reportqa.retrieval.searcher import ReportInfo, Result

if TYPE_CHECKING:  # only named in a signature: `ask` does not import the unit page's module
    from reportqa.answers.unit_page import UnitPage

TELEGRAM_LIMIT = 4096
UNKNOWN_UNIT = "单位不详"


def _say(key: str, english: bool, **values: object) -> str:
    """A catalog message for the ``english`` flag the renderers still take."""
    return say(key, lang_of(english), **values)
SNIPPET_CHARS = 180


def esc(text: str) -> str:
    return html.escape(text, quote=False)




def unit_label(report: ReportInfo, english: bool = False) -> str:
    """The unit's name; for a report whose unit is unknown, its place when that is known
    (重庆市大足区 · 单位不详), so a reader knows whose it may be."""
    if report.unit:
        return short(report.unit, LABEL_CHARS)
    unknown = _say("unit_unknown", english)
    return f"{short(report.region, LABEL_CHARS)} · {unknown}" if report.region else unknown.capitalize()


def date_label(report: ReportInfo, english: bool = False) -> str | None:
    """The signing date as it is, a date only the web page states as such: 发布 2024-03-28."""
    if not report.date:
        return None
    if report.date_kind == "published":
        return _say("published_date", english, date=report.date)
    return report.date


def year_label(year: int, english: bool = False) -> str:
    return _say("year", english, year=year)


def citation(report: ReportInfo, english: bool = False) -> str:
    """unit · year · date, as plain text (the labels in the reader's language; the unit as written)."""
    parts = [unit_label(report, english)]
    if report.year:
        parts.append(year_label(report.year, english))
    if (date := date_label(report, english)):
        parts.append(date)
    return " · ".join(parts)


SOURCE_CHARS = 120  # a report's path is shown up to this long (its end: the file name)
LABEL_CHARS = 200  # a section path, a title, a unit name: at most this long


def section_label(section: str) -> str:
    return "前言" if section == PREAMBLE else short(section, LABEL_CHARS)


def short(text: str, limit: int, keep_end: bool = False) -> str:
    """Plain text at most ``limit`` characters, cut with …: escaped after, never inside an entity."""
    if len(text) <= limit:
        return text
    return "…" + text[-(limit - 1):] if keep_end else text[: limit - 1] + "…"


def source_label(report: ReportInfo) -> str:
    return short(report.source, SOURCE_CHARS, keep_end=True)


def telegram_length(message: str) -> int:
    """How long Telegram counts an HTML message: its text once tags and entities are parsed, in
    UTF-16 code units."""
    text = html.unescape(_TAG.sub("", message))
    return len(text.encode("utf-16-le")) // 2


def excerpt_source(result: Result) -> tuple[str, list[tuple[int, int]]]:
    """The text an excerpt is cut from, with the matched words' spans: the passage without its first
    line when that line is its own heading, which the reply already shows as the section (a heading
    that runs on into its body on the same line is kept)."""
    text = result.text
    spans = find_spans(text, result.norm_text, result.matched)
    first, newline, rest = text.partition("\n")
    heading = result.section.split(SECTION_SEPARATOR)[-1]
    if newline and rest.strip() and normalise(first.strip()) == normalise(heading.strip()):
        skip = len(first) + 1
        return rest, [(s - skip, e - skip) for s, e in spans if s >= skip]
    return text, spans


def snippet_html(result: Result, width: int = SNIPPET_CHARS, figures: bool = False) -> str:
    """The excerpt of a result, its matched words (and, for a number question, its figures) in bold."""
    text, spans = excerpt_source(result)
    return mark(make_snippet(text, spans, width, figures), "<b>", "</b>", esc)


def snippet_text(result: Result, width: int = SNIPPET_CHARS) -> str:
    text, spans = excerpt_source(result)
    return mark(make_snippet(text, spans, width), "", "")


def result_block_html(result: Result, figures: bool = False, width: int = SNIPPET_CHARS, english: bool = False) -> str:
    return (
        f"<b>{result.rank}. {esc(unit_label(result.report, english))}</b>"
        + (f" · {year_label(result.report.year, english)}" if result.report.year else "")
        + (f" · {esc(date_label(result.report, english) or '')}" if result.report.date else "")
        + f"\n<i>{esc(section_label(result.section))}</i>\n"
        + snippet_html(result, width, figures=figures)
        + f"\n📄 {esc(source_label(result.report))}"
    )


def filters_line(answer: Answer, english: bool = False) -> str:
    q = answer.question
    parts = []
    if q.years:
        parts.append(_say("filter_years", english, years="、".join(map(str, q.years))))
    units = answer.filter_units()
    if units and q.filter_label and (len(units) > 3 or q.filter_is_place):
        place = q.filter_is_place
        label = _say("filter_place" if place else "filter_units", english, names="")
        count = _say("unit_count", english, n=len(units))
        parts.append(f"{label}{q.filter_label} · {count}")
    elif units:
        parts.append(_say("filter_units", english, names="、".join(units)))
    if q.intent == "units":
        parts.append(_say("per_unit", english))
    line = " · ".join(parts)
    if q.slips:  # 执法陪训: an input-method slip, read as meant
        read = "、".join(f"“{meant}”（输入为“{typed}”）" if not english else f"“{meant}” (typed “{typed}”)"
                        for typed, meant in q.slips)
        line += ("\n" if line else "") + _say("searched_as", english, read=read)
    if q.unmatched_units:
        names = "、".join(q.unmatched_units)
        line += ("\n" if line else "") + (
            f"No reports from {names}; showing related passages from other units." if english
            else f"未收录“{names}”的报告，以下为其他单位的相关内容。")
    return line


def scope_line(answer: Answer, english: bool = False) -> str:
    """范围：大足区 — the chat's scope, and whether this question stayed inside it."""
    if answer.scope is None:
        return ""
    if not answer.scope_applied:
        return (f"📌 Scope {answer.scope} not used: the question names its own" if english
                else f"📌 未按范围（{answer.scope}）：问题已指明单位、地区或年份")
    if answer.scope_overridden:
        return (f"📌 Scope: {answer.scope} (the question's own unit, place or year kept)" if english
                else f"📌 范围：{answer.scope}（问题指明的单位、地区或年份优先）")
    return _say("scope_line", english, scope=answer.scope)


def render_answer_html(answer: Answer, english: bool = False, lead: str = "") -> str:
    """One message: the question, its filters, the page of results (or why there are none); ``lead``
    (HTML, bounded) goes first, counted within the limit like the rest."""
    header = (f"{lead}\n" if lead else "") + f"🔎 <b>{esc(answer.question.text)}</b>"
    if (scope := scope_line(answer, english)):
        header += f"\n{esc(scope)}"
    line = filters_line(answer, english)
    if line:
        header += f"\n{esc(line)}"
    notice = answer.notice_en if english else answer.notice
    if answer.results and notice:
        header += f"\n<i>{esc(notice)}</i>"
    if not answer.results:
        fallback = _say("nothing_found", english) + _say("full_stop", english)
        notice = (answer.notice_en if english else answer.notice) or fallback
        return fit_blocks([header, esc(notice)])
    if answer.question.intent == "overview" and answer.overviews:
        return render_overview_html(answer, header, english)
    if answer.comparison is not None:
        return render_comparison_html(answer, header, english)
    units = answer.question.intent == "units"
    figures = answer.question.wants_figure
    shown = len(answer.results)
    while True:  # shorter excerpts first; only then fewer results, and the footer says how many
        for width in (SNIPPET_CHARS, 120, 60):
            blocks = [header, *(result_block_html(r, figures, width, english) for r in answer.results[:shown]),
                      page_footer(answer.offset, shown, answer.total, units, english)]
            message = "\n\n".join(blocks)
            if telegram_length(message) <= TELEGRAM_LIMIT or shown == 1:
                break
        if telegram_length(message) <= TELEGRAM_LIMIT or shown == 1:
            return fit_blocks(blocks)
        shown -= 1


def page_footer(offset: int, shown: int, total: int, units: bool, english: bool) -> str:
    first, last = offset + 1, offset + shown
    if english:
        return f"{first}–{last} of {total} {'units' if units else 'results'}"
    return f"第 {first}–{last} 个单位，共 {total} 个" if units else f"第 {first}–{last} 条，共 {total} 条"


def outline_line(outline: list[str], english: bool = False) -> str:
    """一、… ｜ 二、… ｜ 三、…: a report's top-level headings on one line."""
    return _say("outline", english, headings=" ｜ ".join(outline)) if outline else ""


def render_overview_html(answer: Answer, header: str, english: bool = False) -> str:
    """An overview: for one report its citation, outline and strongest achievements; for several one
    block each, newest first (citation, outline, its strongest achievement)."""
    first, last, total = answer.offset + 1, answer.offset + len(answer.results), answer.total
    if len(answer.overviews) == 1:
        report = answer.results[0].report
        outline = answer.overviews[0].outline
        head = (f"<b>{esc(citation(report, english))}</b>\n📄 {esc(source_label(report))}"
                + (f"\n{esc(outline_line(outline, english))}" if outline else ""))
        lead = _say("main_achievements", english)
        blocks = [f"{r.rank}. <i>{esc(section_label(r.section))}</i>\n{snippet_html(r)}" for r in answer.results]
        footer = _say("passages_footer", english, first=first, last=last, total=total)
        return fit_blocks([header, head, f"<b>{lead}</b>", *blocks, footer])
    outlines = {o.report_id: o.outline for o in answer.overviews}
    blocks = []
    for r in answer.results:
        outline = outlines.get(r.report.id, [])
        blocks.append(f"<b>{r.rank}. {esc(citation(r.report, english))}</b>"
                      + (f"\n{esc(outline_line(outline, english))}" if outline else "")
                      + f"\n{snippet_html(r)}\n📄 {esc(source_label(r.report))}")
    lead = _say("reports_newest_first", english, total=total)
    footer = _say("reports_footer", english, first=first, last=last, total=total)
    return fit_blocks([f"{header}\n{esc(lead)}", *blocks, footer])


MAX_CHANGES = 8  # figure changes listed under a comparison


def render_comparison_html(answer: Answer, header: str, english: bool = False) -> str:
    """A unit's years side by side: per year its passages on the topic (or why there are none), then
    the figures that changed, each side with the year, its result number and section."""
    comparison = answer.comparison
    assert comparison is not None
    years = [c.year for c in comparison.years]
    span = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
    head = (f"⚖️ <b>{esc(short(comparison.unit, LABEL_CHARS))}</b> · "
            + _say("year_by_year", english, span=span))
    if comparison.other_units:
        head += esc(f"\n({comparison.other_units} more units fit the words; name the place to choose)" if english
                    else f"\n（另有 {comparison.other_units} 个单位符合，可写明地区）")
    if len(years) == 1:
        head += esc(f"\n(only {years[0]}'s report of this unit is indexed)" if english
                    else f"\n（只收录了该单位 {years[0]} 年的报告）")
    if comparison.years_left_out:
        left = "、".join(map(str, comparison.years_left_out))
        head += esc("\n" + _say("earlier_years_left_out", english, years=left))
    changes = comparison.changes[:MAX_CHANGES]
    for width in (SNIPPET_CHARS, 120, 60):
        blocks = [header, head]
        for column in comparison.years:
            title = f"<b>{_say('year', english, year=column.year)}</b>"
            if not column.has_report:
                blocks.append(f"{title}\n" + esc("No report of this unit for that year." if english
                                                  else "未收录该单位这一年的报告。"))
            elif not column.results:
                blocks.append(f"{title}\n" + esc("Its report says nothing on this." if english
                                                  else "该年报告中没有相关内容。"))
            else:
                blocks.append(title + "".join(f"\n{_compared_block(r, width)}" for r in column.results))
        if changes:
            lines = [f"<b>📈 {_say('figures_changed', english)}</b>"]
            for change in changes:
                (year_a, fig_a, res_a), (year_b, fig_b, res_b) = change.before, change.after
                lines.append(f"• {esc(change.label)}：{_number(fig_a.value)}{esc(change.measure)} → "
                             f"{_number(fig_b.value)}{esc(change.measure)}")
                for year, figure, result in ((year_a, fig_a, res_a), (year_b, fig_b, res_b)):
                    lines.append(f"  {year}〔{result.rank}〕<i>{esc(short(section_label(result.section), 40))}</i>："
                                 f"{esc(short(figure.written, 40, keep_end=True))}")
            blocks.append("\n".join(lines))
        message = "\n\n".join(blocks)
        if telegram_length(message) <= TELEGRAM_LIMIT:
            break
    return fit_blocks(blocks)


def _compared_block(result: Result, width: int) -> str:
    when = f" · {esc(date_label(result.report) or '')}" if result.report.date else ""
    return (f"{result.rank}. <i>{esc(section_label(result.section))}</i>{when}\n"
            f"{snippet_html(result, width, figures=True)}\n📄 {esc(source_label(result.report))}")


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def render_unit_page_html(page: UnitPage, english: bool = False) -> str:
    """/unit for one unit: who and where, the topics it reports most, then each report newest first
    with its title, date, outline and file."""
    lines = [f"📋 <b>{esc(short(page.name, LABEL_CHARS) if page.name else UNKNOWN_UNIT)}</b>"]
    count = (f"{len(page.reports)} reports · {page.passages} passages" if english
             else f"{len(page.reports)} 份报告 · {page.passages} 段")
    lines.append(esc(" · ".join(x for x in (page.region, count) if x)))
    if page.topics:
        lines.append(_say("topics_line", english) + esc("、".join(page.topics)))
    blocks = ["\n".join(lines)]
    for entry in page.reports:
        report = entry.report
        year = _say("year", english, year=report.year) if report.year else _say("year_unknown", english)
        head = f"<b>{esc(year)}</b>" + (f" · {esc(date_label(report) or '')}" if report.date else "")
        block = [head, esc(short(report.title or "-", 120))]
        if entry.outline:
            block.append(esc(short(outline_line(entry.outline, english), 400)))
        block.append(f"📄 {esc(source_label(report))}")
        blocks.append("\n".join(block))
    return fit_blocks(blocks)


def fit_blocks(blocks: list[str], limit: int = TELEGRAM_LIMIT) -> str:
    """Join blocks with blank lines, within Telegram's limit as it counts (``telegram_length``).
    Every block is bounded (excerpts, labels and paths are), so a page fits; should one still not,
    whole blocks go from the end (the footer stays), never a piece of one."""
    blocks = [b for b in blocks if b]
    while len(blocks) > 2 and telegram_length("\n\n".join(blocks)) > limit:
        del blocks[-2]
    message = "\n\n".join(blocks)
    if telegram_length(message) > limit:  # only when the question itself is absurdly long
        message = esc("（内容过长，已省略）")
    return message


def split_plain(text: str, limit: int) -> list[str]:
    """Split plain text so that each piece, once HTML-escaped, fits ``limit``; prefer line and
    sentence ends."""
    pieces: list[str] = []
    current = ""
    current_len = 0
    for unit in re.split(r"(?<=[\n。；！？])", text):
        unit_len = len(esc(unit))
        if current and current_len + unit_len > limit:
            pieces.append(current)
            current, current_len = "", 0
        while unit_len > limit:  # a single sentence longer than a message: cut by characters
            cut, size = 0, 0
            while cut < len(unit) and size + len(esc(unit[cut])) <= limit:
                size += len(esc(unit[cut]))
                cut += 1
            pieces.append(unit[:cut])
            unit = unit[cut:]
            unit_len = len(esc(unit))
        current += unit
        current_len += unit_len
    if current:
        pieces.append(current)
    return pieces


def render_passage_html(result: Result, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """A whole passage with its citation, split into as many messages as it needs."""
    head = (f"<b>{esc(citation(result.report))}</b>\n<i>{esc(section_label(result.section))}</i>\n"
            f"📄 {esc(source_label(result.report))}\n\n")
    room = limit - telegram_length(head) - 20
    pieces = split_plain(result.text, max(200, room))
    messages = []
    for i, piece in enumerate(pieces):
        prefix = head if i == 0 else ""
        suffix = f"\n({i + 1}/{len(pieces)})" if len(pieces) > 1 else ""
        messages.append(prefix + esc(piece) + suffix)
    return messages


def render_outline_html(report: ReportInfo, sections: Iterable[str], limit: int = TELEGRAM_LIMIT) -> str:
    """Title, unit, date and the list of sections of one report."""
    lines = [f"<b>{esc(short(report.title, LABEL_CHARS) if report.title else source_label(report))}</b>",
             esc(citation(report)), f"📄 {esc(source_label(report))}", ""]
    seen: list[str] = []
    for section in sections:
        label = section_label(section)
        if label not in seen:
            seen.append(label)
    for label in seen:
        line = "• " + esc(label)
        if telegram_length("\n".join(lines)) + telegram_length(line) + 20 > limit:
            lines.append("…")
            break
        lines.append(line)
    return "\n".join(lines)


_TAG = re.compile(r"</?(b|i|u|s|code|pre|a)(?:\s[^>]*)?>")


def html_to_text(message: str) -> str:
    """A Telegram HTML message as the terminal shows it: bold marked with 【】, tags dropped."""
    text = message.replace("<b>", "【").replace("</b>", "】")
    text = _TAG.sub("", text)
    return html.unescape(text)


def plain_answer(answer: Answer, english: bool = False) -> str:
    return html_to_text(render_answer_html(answer, english))
