"""Replies longer than one message: pieces sent in order, lines joined into messages under the limit."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message

from reportqa.present.library_lines import chunk_lines

__all__ = ["chunk_lines", "send_pieces"]


async def send_pieces(message: Message, pieces: list[str], last_markup: InlineKeyboardMarkup | None = None) -> None:
    for i, piece in enumerate(pieces):
        markup = last_markup if i == len(pieces) - 1 else None
        await message.reply_html(piece, disable_web_page_preview=True, do_quote=False, reply_markup=markup)
