"""Every input from Telegram parsed with bounds: ids, numbers, lengths.

Telegram's own limits are far inside these (a message's text is at most 4,096 characters, ids fit in
52 bits), so only something pretending to be Telegram, or a forged webhook request, meets them; its
update is dropped with a log line before any handler reads it, instead of reaching SQLite (which
stores integers below 2**63 and raised ``OverflowError``) or a parser with a gigabyte of text.
"""

from __future__ import annotations

import logging
import re

from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from reportqa.present.actions import MAX_ID  # SQLite's largest integer: the one bound on ids

log = logging.getLogger(__name__)

MAX_FIELD_CHARS = 65_536  # any one text of an update: 16 messages (a 10,000-character question is told it was cut)
MAX_UPDATE_VALUES = 20_000  # values in one update (entities, photo sizes, buttons, …)
_NUMBER = re.compile(r"[0-9]{1,19}", re.ASCII)


def bounded_id(text: str) -> int | None:
    """A number typed or sent as an id (``/unsubscribe 3``, ``#3``): ASCII digits, at most ``MAX_ID``;
    None for anything else (``²``, ``١٢``, 10**30, ``-1``, ``3.0``)."""
    text = text.strip().lstrip("#＃")
    if not _NUMBER.fullmatch(text):
        return None
    number = int(text)
    return number if number <= MAX_ID else None


def update_problem(data: object) -> str | None:
    """What puts an update (as ``Update.to_dict()``) outside the bounds, or None."""
    stack = [data]
    seen = 0
    while stack:
        value = stack.pop()
        seen += 1
        if seen > MAX_UPDATE_VALUES:
            return f"more than {MAX_UPDATE_VALUES:,} values"
        if isinstance(value, bool) or value is None or isinstance(value, float):
            continue
        if isinstance(value, int):
            if not -MAX_ID <= value <= MAX_ID:
                return f"a number out of range ({str(value)[:30]}…)"
        elif isinstance(value, str):
            if len(value) > MAX_FIELD_CHARS:
                return f"a text of {len(value):,} characters"
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
    return None


async def screen_update(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs before every handler (group -1): an update outside the bounds goes no further."""
    if not isinstance(update, Update):
        return
    try:
        problem = update_problem(update.to_dict())
    except Exception as exc:  # an object PTB itself cannot turn back into data
        problem = f"cannot be read back ({type(exc).__name__})"
    if problem is not None:
        log.warning("dropping update %s: %s", update.update_id, problem)
        raise ApplicationHandlerStop
