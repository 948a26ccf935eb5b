"""📎: the report file itself (the .docx/.pdf/.txt as stored in the reports folder), with its
citation as the caption. Only while the file is still the one indexed (same SHA-256) and a regular
file inside the reports folder (opened once through ``library_files``: its size, hash and upload all
read that descriptor), within Telegram's upload limit; after the first upload Telegram's file_id is
kept (per content), so the same report is sent again without uploading it."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
from pathlib import Path
from typing import BinaryIO

from telegram import CallbackQuery, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from reportqa.channels.telegram.services import Services
from reportqa.channels.telegram.texts import say
from reportqa.ingest.library_files import NotInLibrary, library_problem, open_in_library, real_root
from reportqa.present.render import citation, esc, short, source_label
from reportqa.retrieval.searcher import ReportInfo

log = logging.getLogger(__name__)
CAPTION_CHARS = 1024  # Telegram's caption limit (after entity parsing)


def open_report(reports_dir: Path, report: ReportInfo) -> BinaryIO | None:
    """The report's file, opened only when it is (still) a regular file inside the reports folder
    (``library_files``: checked at the open, read through that descriptor); None otherwise. The
    source comes from the index, never trusted as a path."""
    try:
        return open_in_library(Path(reports_dir) / report.source, reports_dir)
    except (NotInLibrary, OSError, ValueError):
        return None


def in_library(reports_dir: Path, report: ReportInfo) -> bool:
    """Whether the report's file is a regular file inside the reports folder now: 📄 and 🗂 show a
    report's indexed text only then (an index built before a link to a file outside was refused
    must not go on showing that file)."""
    return library_problem(Path(reports_dir) / report.source, real_root(reports_dir)) is None


def file_caption(report: ReportInfo) -> str:
    caption = f"<b>{esc(citation(report))}</b>"
    if report.title:
        caption += f"\n{esc(short(report.title, 200))}"
    caption += f"\n📄 {esc(source_label(report))}"
    return caption  # every part is bounded: well under CAPTION_CHARS


def _sha256(handle: BinaryIO) -> str:
    """The hash of an open file's bytes, read from its start; the file is left at its start."""
    handle.seek(0)
    digest = hashlib.file_digest(handle, "sha256").hexdigest()
    handle.seek(0)
    return digest


async def send_report_file(svc: Services, query: CallbackQuery, message: Message, report: ReportInfo,
                           english: bool) -> None:
    handle = await asyncio.to_thread(open_report, svc.settings.reports_dir, report)
    if handle is None:
        await query.answer(say("file_missing", english), show_alert=True)
        return
    with handle:
        await _send_open_file(svc, query, message, report, handle, english)


async def _send_open_file(svc: Services, query: CallbackQuery, message: Message, report: ReportInfo,
                          handle: BinaryIO, english: bool) -> None:
    """Size, hash and upload all read the one descriptor that was checked."""
    limit = svc.settings.send_file_mb * 1024 * 1024
    if os.fstat(handle.fileno()).st_size > limit:
        await query.answer(say("file_too_big", english, mb=svc.settings.send_file_mb), show_alert=True)
        return
    sha = await asyncio.to_thread(_sha256, handle)
    if report.sha256 and sha != report.sha256:
        await query.answer(say("file_changed", english), show_alert=True)
        return
    await query.answer()
    caption = file_caption(report)
    group = message.chat.type != "private"
    file_id = await svc.state.sent_file(sha)
    if file_id is not None:
        try:
            await message.reply_document(file_id, caption=caption, parse_mode=ParseMode.HTML, do_quote=group)
            return
        except BadRequest as exc:  # a file_id from another bot token, or expired: upload again
            log.info("cached file id for %s refused (%s); uploading", report.source, exc)
            await svc.state.remember_file(sha, None)
    try:
        sent = await message.reply_document(handle, filename=report.source.rpartition("/")[2], caption=caption,
                                            parse_mode=ParseMode.HTML, do_quote=group)
    except TelegramError as exc:
        log.warning("could not send %s: %s", report.source, exc)
        await message.reply_text(say("file_failed", english), do_quote=group)
        return
    if sent.document is not None:
        await svc.state.remember_file(sha, sent.document.file_id)
