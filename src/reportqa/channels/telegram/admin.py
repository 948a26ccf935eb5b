"""Administrators change the library from the chat: send a report file, /reindex, /remove 文件.

The work is done by the command line (``reportqa add | remove | index --json``) in a child process,
so a rebuild never slows the bot's answers (jieba holds the interpreter lock while it tokenises), a
hostile file that crashes or exhausts a parser takes the child down and not the bot, and a build
can be stopped when it runs too long. The child writes the new index beside the served one; the
bot's ``IndexHolder`` switches to it on the next question. One change runs at a time.

Documents from anyone who is not an administrator are refused before anything is downloaded.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys

from telegram import Update
from telegram.constants import ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from reportqa.channels.telegram.handlers import admin_command
from reportqa.channels.telegram.services import allowed, is_admin, services, wants_english
from reportqa.channels.telegram.texts import say, warning_text
from reportqa.conversations.incoming import clear_stale, upload_folder
from reportqa.domain.lang import lang_of
from reportqa.index.library import safe_report_name, upload_limit_bytes
from reportqa.ingest.readers import SUPPORTED_SUFFIXES
from reportqa.present.catalog import reason_text
from reportqa.present.catalog import say as catalog_say
from reportqa.present.render import TELEGRAM_LIMIT, esc
from reportqa.settings import Settings

log = logging.getLogger(__name__)
LISTED = 10  # skipped files / candidates named in a reply


class LibraryJobs:
    """Runs library changes one at a time in a child process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.lock = asyncio.Lock()

    async def run(self, command: str, *args: str) -> dict:
        """``reportqa <command> --json <args>`` with this bot's settings; its JSON, or
        ``{"status": "failed", "reason": …}``. Pass user text as ``--opt=value`` or after ``--``."""
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("REPORTQA_")}, **self.settings.environment()}
        async with self.lock:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "reportqa", command, "--json", *args,
                env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )
            try:
                out, err = await asyncio.wait_for(process.communicate(), self.settings.build_timeout_s)
            except TimeoutError:
                process.kill()
                await process.wait()
                return {"status": "failed", "reason": f"took longer than {self.settings.build_timeout_s} s; stopped"}
        try:
            return json.loads(out.decode("utf-8"))
        except ValueError:
            tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit code {process.returncode}"]
            log.error("reportqa %s failed: %s", command, err.decode("utf-8", "replace")[-2000:])
            return {"status": "failed", "reason": tail[0][:300]}


def jobs(context: ContextTypes.DEFAULT_TYPE) -> LibraryJobs:
    bot_data = context.bot_data
    if "library_jobs" not in bot_data:
        bot_data["library_jobs"] = LibraryJobs(services(context).settings)
    return bot_data["library_jobs"]


# -- rendering -----------------------------------------------------------------------------------


def render_outcome_html(outcome: dict, english: bool) -> str:
    """The reply to an upload or a removal: what was understood, or why nothing changed, all of it in
    the administrator's language (the child's English reasons and warnings through the catalog)."""
    lang = lang_of(english)
    status = outcome.get("status", "failed")
    head = say(f"lib_{status}", english) if f"lib_{status}" in _STATUS_KEYS else say("lib_failed", english)
    lines = [f"<b>{esc(head)}</b>"]
    if outcome.get("source"):
        lines.append(f"📄 {esc(outcome['source'])}")
    if outcome.get("reason"):
        lines.append(esc(reason_text(str(outcome["reason"]), lang)))
    if status in {"added", "duplicate", "removed"}:
        unknown = catalog_say("lib_unknown", lang)
        for field in ("title", "unit", "region", "year", "date"):
            value = outcome.get(field)
            lines.append(f"{catalog_say(f'lib_label_{field}', lang)}：{esc(str(value)) if value else unknown}")
        lines.append(f"{catalog_say('lib_label_passages', lang)}：{int(outcome.get('passages') or 0)}")
        for warning in (outcome.get("warnings") or [])[:LISTED]:
            lines.append(f"⚠️ {esc(warning_text(warning, english))}")
    candidates = outcome.get("candidates") or []
    if candidates:
        lines.append(catalog_say("lib_did_you_mean", lang))
        lines += [f"• {esc(c)}" for c in candidates[:LISTED]]
    index = outcome.get("index")
    if index:
        lines.append(_index_line(index, english))
    return _fit("\n".join(lines))


def render_index_summary_html(summary: dict, english: bool) -> str:
    """The reply to /reindex."""
    lang = lang_of(english)
    if summary.get("status") == "failed":
        reason = reason_text(str(summary.get("reason") or ""), lang) if summary.get("reason") else ""
        return _fit(f"<b>{esc(say('lib_failed', english))}</b>\n{esc(reason)}")
    lines = [f"<b>{esc(say('reindexed', english))}</b>", _index_line(summary, english)]
    parsed, removed = summary.get("parsed") or [], summary.get("removed") or []
    lines.append(esc(catalog_say("lib_counts", lang, parsed=len(parsed), removed=len(removed),
                                 reused=summary.get("reused", 0))))
    skipped = summary.get("skipped") or []
    if skipped:
        lines.append(esc(catalog_say("lib_skipped", lang, n=len(skipped))))
        lines += [f"• {esc(s['source'])}: {esc(reason_text(s['reason'], lang))}" for s in skipped[:LISTED]]
        if len(skipped) > LISTED:
            lines.append(f"… +{len(skipped) - LISTED}")
    return _fit("\n".join(lines))


def _index_line(index: dict, english: bool) -> str:
    return esc(catalog_say("lib_index_line", lang_of(english), reports=index.get("reports", 0),
                           passages=index.get("passages", 0)))


def _fit(text: str) -> str:
    """Within Telegram's limit, cut at a line (every line is whole HTML)."""
    if len(text) <= TELEGRAM_LIMIT:
        return text
    kept: list[str] = []
    size = 0
    for line in text.split("\n"):
        if size + len(line) + 1 > TELEGRAM_LIMIT - 2:
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join([*kept, "…"])


_STATUS_KEYS = {f"lib_{s}" for s in ("added", "duplicate", "unreadable", "refused", "removed", "not_found",
                                     "ambiguous", "failed")}


# -- handlers ------------------------------------------------------------------------------------


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A file sent in a private chat: administrators add a report; anyone else is told no, and
    nothing is downloaded."""
    message = update.effective_message
    if message is None or message.document is None or message.chat.type != ChatType.PRIVATE:
        return
    english = wants_english(update)
    if not await allowed(update, context):
        return  # an outsider: the one refusal, nothing about uploads
    if not is_admin(update, context):
        await message.reply_text(say("upload_refused", english))
        return
    document = message.document
    settings = services(context).settings
    name = safe_report_name(document.file_name or "report")
    suffix = os.path.splitext(name)[1]
    if suffix not in SUPPORTED_SUFFIXES:
        await message.reply_text(say("upload_type", english, suffix=suffix or "?"))
        return
    limit = upload_limit_bytes(settings)
    if document.file_size is not None and document.file_size > limit:
        await message.reply_text(say("upload_size", english, mb=limit // 1048576))
        return
    await message.reply_text(say("upload_received", english, name=name))
    with upload_folder(settings.index_dir) as incoming:  # held: another bot starting never clears it
        try:
            staged = incoming / f"upload{suffix}"
            telegram_file = await context.bot.get_file(document.file_id)
            if telegram_file.file_size is not None and telegram_file.file_size > limit:
                await message.reply_text(say("upload_size", english, mb=limit // 1048576))
                return
            data = await telegram_file.download_as_bytearray()
            if len(data) > limit:
                await message.reply_text(say("upload_size", english, mb=limit // 1048576))
                return
            staged.write_bytes(bytes(data))
            outcome = await jobs(context).run("add", f"--name={document.file_name or name}", "--", str(staged))
            services(context).notifier.wake()
        except TelegramError as exc:
            log.warning("download of %s failed: %s", name, exc)
            await message.reply_text(say("upload_download_failed", english))
            return
    await message.reply_text(render_outcome_html(outcome, english), parse_mode=ParseMode.HTML)


async def cmd_reindex(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if (command := await admin_command(update, context)) is None:
        return
    message, english = command
    settings = services(context).settings
    await message.reply_text(say("reindexing", english))
    summary = await jobs(context).run("index", str(settings.reports_dir.resolve()), "--index-dir",
                                      str(settings.index_dir.resolve()))
    services(context).notifier.wake()
    await message.reply_text(render_index_summary_html(summary, english), parse_mode=ParseMode.HTML)


async def cmd_remove(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if (command := await admin_command(update, context)) is None:
        return
    message, english = command
    name = " ".join(context.args or []).strip()
    if not name:
        await message.reply_text(say("remove_usage", english))
        return
    outcome = await jobs(context).run("remove", "--", name[:200])
    await message.reply_text(render_outcome_html(outcome, english), parse_mode=ParseMode.HTML)


def clear_incoming(settings: Settings) -> None:
    """Downloads left by a bot that stopped mid-upload (never those a running bot holds)."""
    if removed := clear_stale(settings.index_dir):
        log.info("removed %d uploads left by a bot that stopped mid-upload", len(removed))
