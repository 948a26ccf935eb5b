"""Replies longer than one message: pieces sent in order, lines joined into messages under the limit."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message

from reportqa.present.render import TELEGRAM_LIMIT, esc, html_to_text, short, telegram_length


async def send_pieces(message: Message, pieces: list[str], last_markup: InlineKeyboardMarkup | None = None) -> None:
    for i, piece in enumerate(pieces):
        markup = last_markup if i == len(pieces) - 1 else None
        await message.reply_html(piece, disable_web_page_preview=True, do_quote=False, reply_markup=markup)


def chunk_lines(lines: list[str], limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Join lines into messages under the limit, breaking only between lines."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        if telegram_length(line) > limit - 1:  # never cut inside a tag or an entity: cut its text
            line = esc(short(html_to_text(line), limit - 2))
        if current and len(current) + 1 + len(line) > limit:
            chunks.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return chunks
