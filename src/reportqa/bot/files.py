"""📎: the report file itself (the .docx/.pdf/.txt as stored in the reports folder), with its
citation as the caption. Only while the file is still the one indexed (same SHA-256), within
Telegram's upload limit; after the first upload Telegram's file_id is kept (per content), so the
same report is sent again without uploading it."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from pathlib import Path

from telegram import CallbackQuery, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from reportqa.bot.services import Services
from reportqa.bot.texts import say
from reportqa.render import citation, esc, short, source_label
from reportqa.search import ReportInfo

log = logging.getLogger(__name__)
CAPTION_CHARS = 1024  # Telegram's caption limit (after entity parsing)


def report_path(reports_dir: Path, report: ReportInfo) -> Path | None:
    """Where the report's file is, never outside the reports folder (the source comes from the index)."""
    root = reports_dir.resolve()
    path = (root / report.source).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None


def file_caption(report: ReportInfo) -> str:
    caption = f"<b>{esc(citation(report))}</b>"
    if report.title:
        caption += f"\n{esc(short(report.title, 200))}"
    caption += f"\n📄 {esc(source_label(report))}"
    return caption  # every part is bounded: well under CAPTION_CHARS


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


async def send_report_file(svc: Services, query: CallbackQuery, message: Message, report: ReportInfo,
                           english: bool) -> None:
    path = report_path(svc.settings.reports_dir, report)
    if path is None:
        await query.answer(say("file_missing", english), show_alert=True)
        return
    limit = svc.settings.send_file_mb * 1024 * 1024
    if path.stat().st_size > limit:
        await query.answer(say("file_too_big", english, mb=svc.settings.send_file_mb), show_alert=True)
        return
    sha = await asyncio.to_thread(_sha256, path)
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
        with path.open("rb") as handle:
            sent = await message.reply_document(handle, filename=path.name, caption=caption,
                                                parse_mode=ParseMode.HTML, do_quote=group)
    except TelegramError as exc:
        log.warning("could not send %s: %s", report.source, exc)
        await message.reply_text(say("file_failed", english), do_quote=group)
        return
    if sent.document is not None:
        await svc.state.remember_file(sha, sent.document.file_id)
