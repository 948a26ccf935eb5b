"""The command line: ``reportqa index | ask | chat | inspect | add | remove`` (a contract: see DESIGN.md)."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from reportqa.domain.text import normalise
from reportqa.errors import IndexDamaged
from reportqa.faults import ExitCode, fault_of
from reportqa.index import database as store
from reportqa.index.checks import verified_load
from reportqa.interrupts import interruptible
from reportqa.settings import Settings, get_settings

if TYPE_CHECKING:  # answering, building and reading files are imported by the commands that do them
    from rich.console import Console

    from reportqa.domain.lang import Lang
    from reportqa.domain.model import ReportMeta
    from reportqa.index.builder import BuildSummary
    from reportqa.index.library import LibraryOutcome
    from reportqa.present.export import ExportFormat
    from reportqa.retrieval.searcher import SearchIndex

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="法治政府建设情况报告问答 / Question answering over government work reports.",
)


@functools.cache
def _err() -> Console:
    """Standard error as a rich console, made on first use: `ask` seldom writes there, and rich
    costs its import."""
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True)


def _console(highlight: bool = False) -> Console:
    """Standard output for summaries: whole lines when piped, never cut at 80 columns."""
    from rich.console import Console

    return Console(highlight=highlight, soft_wrap=True)

IndexDir = Annotated[
    Path | None, typer.Option("--index-dir", help="索引文件夹 / Index folder (default: REPORTQA_INDEX_DIR or ./index).")
]


def _settings() -> Settings:
    return get_settings()


_debug = {"on": False}


@app.callback()
def _options(
    debug: Annotated[bool, typer.Option("--debug", help="出错时显示调用栈 / Show the traceback of an expected fault "
                                                        "too.")] = False,
) -> None:
    """法治政府建设情况报告问答 / Question answering over government work reports.

    退出码 / Exit codes: 0 done 完成; 1 nothing changed 未改变 (add: unreadable or a duplicate; index: no
    report files); 2 a bad argument or input file 参数或输入文件有误; 3 no index 没有索引; 4 the index is damaged
    索引已损坏; 5 no space left 磁盘已满; 6 a folder cannot be written 文件夹不可写; 7 another read or write
    failure 读写失败; 130 interrupted 已中断."""
    _debug["on"] = debug


def fail(code: int, message: str) -> NoReturn:
    """One line on standard error, and the exit code."""
    sys.stderr.write("error: " + " ".join(message.split()) + "\n")
    sys.stderr.flush()
    raise typer.Exit(code)


def handles_faults(command: Callable[..., None]) -> Callable[..., None]:
    """A command whose expected faults (faults.py) end it with one line and their exit code."""

    @functools.wraps(command)
    def run(*args: object, **kwargs: object) -> None:
        try:
            with interruptible():  # Ctrl-C a KeyboardInterrupt while the command runs (command.py)
                command(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except BaseException as exc:
            fault = fault_of(exc)
            if fault is None:
                raise
            if _debug["on"]:
                traceback.print_exception(exc)
            fail(fault.code, fault.message)

    return run


def _lang() -> Lang:
    """The language of the command line's own lines (REPORTQA_LANGUAGE, else the system locale)."""
    return _settings().cli_language()


def _print_summary(summary: BuildSummary, console: Console) -> None:
    from reportqa.present.status_lines import index_summary_lines

    for line in index_summary_lines(summary, _lang()):
        console.print(line, markup=False)


@app.command()
@handles_faults
def index(
    reports_dir: Annotated[Path, typer.Argument(help="报告文件夹 / Folder of report files (.txt .md .docx .pdf .doc "
                                                     ".wps .ofd .html .mhtml).")],
    index_dir: IndexDir = None,
    full: Annotated[bool, typer.Option("--full", help="重新读取所有文件 / Parse every file again.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出摘要 / Print the summary as JSON.")] = False,
) -> None:
    """建立或更新索引 / Build or update the index (incremental: unchanged files are not parsed again).
    A folder with no report files is refused (exit 1) and any index there is left as it is."""
    from reportqa.index.builder import build_index, summary_dict
    from reportqa.ingest.pipeline import discover, has_report_files

    settings = _settings()
    target = index_dir or settings.index_dir
    if not reports_dir.is_dir():
        fail(ExitCode.USAGE, f"reports folder not found: {reports_dir}")
    if not has_report_files(reports_dir):  # a typo, or the wrong folder: never replace an index with an empty one
        others = discover(reports_dir)[1]
        listed = (f" ({len(others)} other files or folders, e.g. {others[0].source}: {others[0].reason})"
                  if others else "")
        kept = "; the index there is unchanged" if store.current_generation(target) is not None else ""
        fail(ExitCode.FAILED, f"no report files (.txt .md .docx .pdf .doc .wps .ofd .html .mhtml) in {reports_dir}"
                              f"{listed}; nothing indexed{kept}")
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=_err(), transient=True,
                  disable=as_json or not _err().is_terminal) as progress:  # piped: no bar, not even its "\n"
        task = progress.add_task("indexing", total=None)
        summary = asyncio.run(
            build_index(
                reports_dir,
                target,
                settings,
                full=full,
                on_start=lambda total: progress.update(task, total=total),
                on_file=lambda name: progress.update(task, advance=1, description=name[:30]),
            )
        )
    if as_json:
        typer.echo(json.dumps(summary_dict(summary), ensure_ascii=False, indent=2))
    else:
        _print_summary(summary, _console(highlight=True))


def _print_outcome(outcome: LibraryOutcome, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(outcome.to_json(), ensure_ascii=False, indent=2))
    else:
        from reportqa.present.status_lines import outcome_lines

        console = _console()
        for line in outcome_lines(outcome, _lang()):
            console.print(line, markup=False)
    if not outcome.changed:
        raise typer.Exit(ExitCode.FAILED)


@app.command()
@handles_faults
def add(
    file: Annotated[Path, typer.Argument(help="报告文件 / A report file (.txt .md .docx .pdf .doc .wps .ofd .html "
                                              ".mhtml).")],
    name: Annotated[str | None, typer.Option("--name", help="保存的文件名 / The file name to keep (made "
                                                         "safe).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出 / Print the outcome as JSON.")] = False,
) -> None:
    """加入一份报告并更新索引 / Copy a report into the reports folder (uploads/) and index it. Exit 1 when
    nothing changed: the file cannot be read, or the same content is already there."""
    from reportqa.index.library import add_report

    settings = _settings()
    if not file.is_file():
        _err().print(f"[red]error:[/] not a file: {file}")
        raise typer.Exit(2)
    _print_outcome(asyncio.run(add_report(settings, file, name)), as_json)


@app.command()
@handles_faults
def remove(
    name: Annotated[str, typer.Argument(help="报告的路径、文件名或其一部分 / The report: its path in the reports "
                                             "folder, its file name or a part.")],
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出 / Print the outcome as JSON.")] = False,
) -> None:
    """移出一份报告 / Take a report out of the index (the file is moved to .removed/ in the reports folder).
    Exit 1 when no report or several match the name."""
    from reportqa.index.library import remove_report

    _print_outcome(asyncio.run(remove_report(_settings(), name)), as_json)


async def _open_index(settings: Settings, index_dir: Path | None) -> SearchIndex:
    """The index to answer from. Only the configured folder (``index/`` or REPORTQA_INDEX_DIR) is
    built on first use, from the configured reports (the bundled samples unless REPORTQA_REPORTS_DIR
    says otherwise); a folder named with --index-dir that holds no index is an error, never filled
    with the samples behind the user's back (a typo in the path would answer from the wrong library)."""
    from reportqa.present.catalog import say
    from reportqa.retrieval.searcher import SearchIndex, ensure_index

    target = index_dir or settings.index_dir
    if store.read_pointer(target) == (None, None) and index_dir is not None and (
            Path(index_dir).resolve() != Path(settings.index_dir).resolve()):
        fail(ExitCode.NO_INDEX, f"no index in {index_dir}: build it with `reportqa index REPORTS_DIR "
                                f"--index-dir {index_dir}`")

    def announce(summary: BuildSummary | None) -> None:
        if summary is None:
            _err().print(say("cli_building", _lang(), index=target.resolve(), reports=settings.reports_dir),
                         markup=False)
        else:
            _err().print(say("cli_built", _lang(), reports=summary.reports, passages=summary.passages), markup=False)

    await ensure_index(settings, target, announce)
    from reportqa.answers.reading import prepare as prepare_reading

    return await SearchIndex.load(target, settings, prepare_reading)


def _clip(question: str, settings: Settings) -> str:
    from reportqa.answers.question import clipped_question

    return clipped_question(question, settings.max_question_chars)[0]


def _cut_note(question: str, settings: Settings) -> str | None:
    """What a cut question is told (the bot says the same)."""
    from reportqa.answers.question import clipped_question
    from reportqa.present.catalog import say

    if not clipped_question(question, settings.max_question_chars)[1]:
        return None
    return say("cli_cut", settings.cli_language(), limit=settings.max_question_chars)


def _batch_questions(batch: Path) -> list[str]:
    """The questions of a ``--batch`` file, read as reports are read (UTF-8, GB18030/GBK, UTF-16,
    detected; ``-`` is standard input), one a line, ``#`` lines left out; exit 2 if it cannot be read."""
    from reportqa.errors import UnreadableFile
    from reportqa.ingest.readers import decode_text

    try:
        data = sys.stdin.buffer.read() if str(batch) == "-" else batch.read_bytes()
        text, _ = decode_text(data) if data else ("", None)
    except OSError as exc:
        _err().print(f"[red]error:[/] cannot read {batch}: {exc.strerror}")
        raise typer.Exit(2) from exc
    except UnreadableFile as exc:
        _err().print(f"[red]error:[/] cannot read {batch}: {exc}")
        raise typer.Exit(2) from exc
    return [q for q in (line.strip() for line in text.splitlines()) if q and not q.startswith("#")]


@app.command()
@handles_faults
def ask(
    question: Annotated[str | None, typer.Argument(
        help="问题（中文或英文）/ The question, in Chinese or English.")] = None,
    index_dir: IndexDir = None,
    top_k: Annotated[int | None, typer.Option(
        "--top-k", min=1, max=100, show_default=False,
        help="每个问题的结果数 / Results per question (default: 5, or REPORTQA_TOP_K).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="每个问题输出一行 JSON / One JSON object per question, "
                                                       "one per line.")] = False,
    batch: Annotated[Path | None, typer.Option(
        "--batch", help="问题文件，每行一个（# 开头为注释；- 表示标准输入）/ A file of questions, one per line, "
                        "read as reports are (UTF-8, GBK, UTF-16); # starts a comment line; - reads standard "
                        "input.")] = None,
    today: Annotated[str | None, typer.Option("--today", hidden=True, help="Pretend today is YYYY-MM-DD.")] = None,
    export: Annotated[Path | None, typer.Option(
        "--export", help="把完整结果写入文件 / Write the whole answer (every result, not one page) to FILE.xlsx, "
                         ".docx or .csv.")] = None,
    conversation: Annotated[bool, typer.Option(
        "--conversation", help="问题按一次对话的各轮回答（那2023年呢、第二条详细说说）/ Answer the questions as the "
                               "turns of one conversation: follow-ups refine the last answer.")] = False,
) -> None:
    """回答问题 / Answer questions from the index (the default index folder is built from the sample
    reports on first use; another --index-dir must hold an index)."""
    settings = _settings()
    if export is not None:
        from reportqa.present.export import format_of

        try:
            export_format = format_of(export)
        except ValueError as exc:
            _err().print(f"[red]error:[/] --export: {exc}")
            raise typer.Exit(2) from exc
    questions = _batch_questions(batch) if batch is not None else []
    if question:
        questions.insert(0, question)
    if not questions:
        _err().print("[red]error:[/] give a QUESTION or --batch FILE")
        raise typer.Exit(2)
    if export is not None and len(questions) != 1:
        _err().print("[red]error:[/] --export writes one question's answer: give one QUESTION, not a batch")
        raise typer.Exit(2)
    try:
        when = dt.date.fromisoformat(today) if today else None
    except ValueError as exc:
        _err().print(f"[red]error:[/] --today must be a date YYYY-MM-DD, not {today!r}")
        raise typer.Exit(2) from exc

    from reportqa.answers.compose import answer_question
    from reportqa.present.render import html_to_text, render_answer_html

    async def run() -> None:
        for number, q in enumerate(questions, start=1):
            if (note := _cut_note(q, settings)) is not None:
                _err().print(note if len(questions) == 1 else f"question {number}: {note}", markup=False)
        searcher = await _open_index(settings, index_dir)
        try:
            if export is not None:
                await _export(searcher, _clip(questions[0], settings), export, export_format, when)
                return
            if conversation:
                await _conversation(searcher, [_clip(q, settings) for q in questions], top_k or settings.top_k,
                                    when, as_json)
                return
            for q in questions:
                answer = await answer_question(searcher, _clip(q, settings), top_k, today=when)
                if as_json:
                    sys.stdout.write(json.dumps(answer.to_json(), ensure_ascii=False) + "\n")
                else:
                    sys.stdout.write(html_to_text(render_answer_html(answer, answer.question.language == "en")))
                    sys.stdout.write("\n\n")
                sys.stdout.flush()
        finally:
            await searcher.close()

    asyncio.run(run())


async def _conversation(searcher: SearchIndex, turns: list[str], top_k: int, when: dt.date | None,
                        as_json: bool) -> None:
    """The questions as the turns of one conversation, one reply (or JSON object) a turn."""
    from reportqa.conversations.turns import answer_turn, turn_messages
    from reportqa.present.render import html_to_text

    context = None
    for message in turns:
        turn = await answer_turn(searcher, message, context, top_k, today=when)
        context = turn.context
        if as_json:
            sys.stdout.write(json.dumps(turn.to_json(), ensure_ascii=False) + "\n")
        else:
            english = (turn.answer.question.language if turn.answer else "zh") == "en"
            sys.stdout.write("\n\n".join(html_to_text(m) for m in turn_messages(turn, english)) + "\n\n")
        sys.stdout.flush()


async def _export(searcher: SearchIndex, question: str, path: Path, fmt: ExportFormat, when: dt.date | None) -> None:
    from reportqa.answers.compose import answer_question
    from reportqa.present.export import EXPORT_LIMIT, export_bytes

    answer = await answer_question(searcher, question, EXPORT_LIMIT, today=when)
    data = export_bytes(answer, fmt, answer.question.language == "en")
    path.write_bytes(data)
    from reportqa.present.catalog import say

    what = say("cli_what_units" if answer.question.intent == "units" else "cli_what_results", _lang())
    sys.stdout.write(say("cli_exported", _lang(), n=len(answer.results), what=what, path=path, size=f"{len(data):,}")
                     + "\n")


@app.command()
@handles_faults
def chat(index_dir: IndexDir = None) -> None:
    """在终端里与机器人对话 / Talk to the bot in the terminal: its replies as plain text, its buttons
    as numbered actions (type the number), more / 上一页 / 全文 N / 目录 N / clear."""
    from reportqa.channels.cli.chat import CHAT_HELP, QUIT_WORDS, ChatSession

    settings = _settings()

    async def run() -> None:
        searcher = await _open_index(settings, index_dir)
        session = ChatSession(searcher, settings.page_size, ttl_seconds=settings.conversation_minutes * 60)
        typer.echo(CHAT_HELP)
        try:
            while True:
                try:
                    line = input("\n> ").strip()
                except (EOFError, KeyboardInterrupt):
                    typer.echo("")
                    break
                if not line:
                    continue
                if line.lower() in QUIT_WORDS:
                    break
                clipped = _clip(line, settings)
                if (note := _cut_note(line, settings)) is not None:
                    typer.echo(note)
                typer.echo(await session.turn(clipped))
        finally:
            await searcher.close()

    asyncio.run(run())


def metadata_lines(meta: ReportMeta) -> list[tuple[str, str]]:
    """Each metadata field with where it came from: ``unit 绍兴市市场监督管理局 ← opening 「…」 + place …``."""
    def said(field: str) -> str:
        found = meta.evidence.get(field, [])
        return f"  ← {' + '.join(found)}" if found else ""

    unit = meta.unit or "unknown"
    if meta.unit and meta.unit_written and normalise(meta.unit_written) != normalise(meta.unit):
        unit += f"（written {meta.unit_written}）"
    date = meta.date and (f"发布 {meta.date}" if meta.date_kind == "published" else meta.date)
    region = meta.region or ("全国" if meta.national else None)
    weighed = meta.evidence.get("candidates", [])
    lines = [("title", meta.title), ("unit", unit + said("unit")), ("weighed", "  ".join(weighed)),
             ("kind", meta.unit_kind),
             ("region", region and region + said("place")), ("year", meta.year and f"{meta.year}{said('year')}"),
             ("date", date and date + said("date")), ("addressee", meta.addressee), ("cc", meta.cc)]
    return [(label, str(value)) for label, value in lines if value]


@app.command()
@handles_faults
def inspect(
    file: Annotated[Path, typer.Argument(help="一份报告文件 / One report file.")],
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出 / Print as JSON.")] = False,
) -> None:
    """查看一份文件的解析结果 / Show one file as the indexer sees it: metadata with its evidence, warnings
    and every passage."""
    from reportqa.errors import UnreadableFile
    from reportqa.index.builder import parse_options
    from reportqa.ingest.pipeline import parse_report, read_overrides, source_name

    settings = _settings()
    options = parse_options(settings)
    reports_dir = file.parent
    override = read_overrides(reports_dir).get(source_name(file, reports_dir))
    try:
        report = parse_report(file, reports_dir, options, override)
    except UnreadableFile as exc:
        if as_json:
            typer.echo(json.dumps({"source": file.name, "error": str(exc)}, ensure_ascii=False))
        else:
            _err().print(f"[red]cannot read {file}:[/] {exc}", markup=True)
        raise typer.Exit(1) from exc
    meta = report.meta
    if as_json:
        typer.echo(json.dumps({
            "source": report.source,
            "sha256": report.sha256,
            "encoding": report.encoding,
            "meta": {"title": meta.title, "unit": meta.unit, "year": meta.year, "date": meta.date,
                     "region": meta.region, "addressee": meta.addressee, "cc": meta.cc,
                     "unit_written": meta.unit_written, "unit_kind": meta.unit_kind, "place_code": meta.place_code,
                     "locality": meta.locality, "national": meta.national, "place_exact": meta.place_exact,
                     "date_kind": meta.date_kind},
            "evidence": meta.evidence,
            "warnings": report.warnings,
            "removed": report.removed,
            "page": report.page_lines,  # a web page's metadata lines (索引号, 发布机构, 成文日期 …)
            "ocr": report.ocr,  # pages read by OCR and its confidence
            "passages": [{"ordinal": p.ordinal, "section": p.section, "text": p.text} for p in report.passages],
        }, ensure_ascii=False, indent=2))
        return
    console = _console()
    console.print(f"[bold]{report.source}[/]  ({report.encoding or file.suffix})", markup=True)
    for label, value in metadata_lines(meta):
        console.print(f"  {label:<9} {value}", markup=False, soft_wrap=True)
    for warning in report.warnings:
        console.print(f"  warning   {warning}", markup=False)
    for line in report.page_lines:
        console.print(f"  page      {line}", markup=False)
    if report.ocr and report.ocr.get("pages"):
        ocr = report.ocr
        console.print(f"  ocr       {len(ocr['pages'])} page(s), confidence mean {ocr['mean_confidence']}, "
                      f"lowest line {ocr['lowest_confidence']}", markup=False)
    for rule, count in report.removed.items():
        console.print(f"  removed   {rule} ×{count}", markup=False)
    console.print(f"  passages  {len(report.passages)}", markup=False)
    for passage in report.passages:
        console.print(f"\n[{passage.ordinal}] {passage.section}  ({len(passage.text)} chars)", markup=False,
                      style="bold")
        console.print(passage.text, markup=False)


@app.command()
@handles_faults
def check(
    index_dir: IndexDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出 / Print the verdict as JSON.")] = False,
) -> None:
    """检查索引 / Verify the served index: every file's size and checksum, its arrays' invariants, that its
    database is of the same build, and SQLite's integrity check. Exit 0 when sound, 4 when damaged."""
    target = index_dir or _settings().index_dir
    started = time.perf_counter()
    generation, problem = store.read_pointer(target)
    verdict: dict[str, object] = {"index_dir": str(target), "generation": generation.name if generation else None}
    if problem is None and generation is None:
        problem = f"no index in {target}"
        code = ExitCode.NO_INDEX
    else:
        code = ExitCode.INDEX_DAMAGED
    if problem is None and generation is not None:
        try:
            arrays, vocab, manifest = verified_load(generation, deep=True, integrity=True)
            verdict.update(reports=manifest["shape"]["reports"], passages=len(arrays["passage_ids"]),
                           terms=len(vocab), postings=len(arrays["post_docs"]), build_id=manifest["build_id"])
        except IndexDamaged as exc:
            problem = str(exc)
    verdict.update(ok=problem is None, problem=problem, seconds=round(time.perf_counter() - started, 2))
    if as_json:
        typer.echo(json.dumps(verdict, ensure_ascii=False))
    elif problem is None:
        from reportqa.present.catalog import say

        typer.echo(say("cli_check_ok", _lang(), **{k: verdict[k] for k in ("generation", "reports", "passages",
                                                                         "terms", "seconds")}))
    if problem is not None:
        if as_json:
            raise typer.Exit(code)
        fail(code, problem)


@app.command()
@handles_faults
def feedback(
    export: Annotated[Path, typer.Option("--export", help="写入的文件 / Write the votes to this file as score.py "
                                                        "JSONL.")],
    index_dir: IndexDir = None,
    only: Annotated[str | None, typer.Option("--only", help="up 或 down / up or down: one kind of vote only.")] = None,
) -> None:
    """导出 👍/👎 为测试问题 / The bot's 👍/👎 votes as score.py question lines (👍: the passages shown are the expected
    facts; 👎 wrong unit/year: the sources shown are excluded; other 👎: needs_facts)."""
    from reportqa.conversations.feedback_export import feedback_cases
    from reportqa.conversations.state import STATE_DB, BotState

    if only not in (None, "up", "down"):
        fail(ExitCode.USAGE, f"--only is up or down, not {only!r}")
    settings = _settings()
    target = index_dir or settings.index_dir
    db_path = settings.bot_state_db or target / STATE_DB
    if not db_path.is_file():
        fail(ExitCode.USAGE, f"no bot database at {db_path} (set REPORTQA_BOT_STATE_DB or --index-dir)")

    async def read() -> list:
        state = await BotState.open(db_path)
        try:
            return await state.feedback()
        finally:
            await state.close()

    cases = feedback_cases(asyncio.run(read()), only)
    export.parent.mkdir(parents=True, exist_ok=True)
    export.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases), encoding="utf-8")
    from reportqa.present.catalog import say

    up = sum(1 for c in cases if c["feedback"]["helpful"])
    typer.echo(say("cli_feedback", _lang(), n=len(cases), path=export, up=up, down=len(cases) - up,
                   needs=sum(1 for c in cases if c.get("needs_facts"))))


@app.command()
@handles_faults
def crawl(
    sources: Annotated[Path, typer.Option("--sources", help="SOURCES.toml：要抓取的网站栏目 / The sites' columns to "
                                                         "fetch ([[source]] name, start, allow).")],
    reports_dir: Annotated[Path, typer.Option("--reports-dir", help="报告文件夹（保存到 crawled/ 下）/ The reports "
                                                                 "folder (saved under crawled/<host>/).")],
    index_dir: IndexDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出摘要 / Print the summary as JSON.")] = False,
) -> None:
    """从网站抓取报告 / Fetch the reports from the units' own sites: each source's column pages, the articles
    they list and their attachments, politely (robots.txt, one request per host every 0.5 s, conditional
    requests); then index the folder when --index-dir is given (so /subscribe notices go out)."""
    from reportqa.crawl.crawler import Crawler
    from reportqa.crawl.sources import SourcesError, load_sources

    settings = _settings()
    try:
        listed = load_sources(sources)
    except SourcesError as exc:
        fail(ExitCode.USAGE, str(exc))
    if reports_dir.exists() and not reports_dir.is_dir():
        fail(ExitCode.USAGE, f"not a folder: {reports_dir}")
    reports_dir.mkdir(parents=True, exist_ok=True)
    summary = Crawler(reports_dir, settings).run(listed)
    if index_dir is not None:
        from reportqa.index.builder import build_index, summary_dict
        from reportqa.ingest.pipeline import has_report_files

        if has_report_files(reports_dir):
            summary.index = summary_dict(asyncio.run(build_index(reports_dir, index_dir, settings)))
        else:
            summary.index = {"skipped": f"no report files in {reports_dir} yet"}
    if as_json:
        typer.echo(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))
        return
    console = _console()
    console.print(f"{summary.sources} sources: {summary.requests} requests, {summary.fetched} fetched, "
                  f"{summary.not_modified} not modified (304), {len(summary.saved)} saved, "
                  f"{len(summary.skipped)} skipped", markup=False)
    for item in summary.saved:
        console.print(f"  {'replaced' if item['replaced'] else 'saved':<9} {item['file']}  ← {item['url']}",
                      markup=False)
    for item in summary.skipped:
        console.print(f"  skipped   {item['url']}: {item['reason']}", markup=False)
    if summary.index is not None:
        index = summary.index
        console.print(f"  index     {index.get('reports', 0)} reports, {index.get('passages', 0)} passages"
                      + (f" ({index['skipped']})" if isinstance(index.get("skipped"), str) else ""), markup=False)


def main() -> None:
    """The ``reportqa`` command."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
