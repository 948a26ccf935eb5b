"""Expected faults → one line for a person and a distinct exit code (the command line's contract).

Everything here is a fault of the surroundings, not a bug: no index yet, a damaged index, a full
disk, a folder that cannot be written. Each gets an exit code of its own, so a cron job or the bot
can tell them apart, and a message that says what to do; a traceback is for ``--debug`` only. An
exception that is none of these is a bug and is shown as one.
"""

from __future__ import annotations

import errno
import sqlite3
from dataclasses import dataclass
from enum import IntEnum

from reportqa.errors import IndexDamaged, IndexMissing


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1  # the command ran and its outcome is a refusal (add: unreadable or duplicate)
    USAGE = 2  # a bad argument or input file
    NO_INDEX = 3
    INDEX_DAMAGED = 4
    DISK_FULL = 5
    NOT_WRITABLE = 6  # a read-only folder, or permission denied
    IO_ERROR = 7  # any other failure to read or write a file
    INTERRUPTED = 130


@dataclass(frozen=True)
class Fault:
    code: ExitCode
    message: str


_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_NOT_WRITABLE = {errno.EROFS, errno.EACCES, errno.EPERM}


def _where(exc: OSError) -> str:
    name = exc.filename
    return f" ({name})" if name else ""


def fault_of(exc: BaseException) -> Fault | None:
    """The expected fault ``exc`` is, or None for a bug."""
    if isinstance(exc, IndexMissing):
        return Fault(ExitCode.NO_INDEX, str(exc))
    if isinstance(exc, IndexDamaged):
        return Fault(ExitCode.INDEX_DAMAGED, str(exc))
    if isinstance(exc, KeyboardInterrupt):
        return Fault(ExitCode.INTERRUPTED, "interrupted")
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc)
        if exc.errno in _FULL:
            what = "no space left to write" if exc.errno != errno.EFBIG else "a file size limit stopped writing"
            return Fault(ExitCode.DISK_FULL, f"{what}{_where(exc)}: {reason}; the served index is unchanged")
        if exc.errno in _NOT_WRITABLE:
            return Fault(ExitCode.NOT_WRITABLE, f"cannot write{_where(exc)}: {reason}")
        return Fault(ExitCode.IO_ERROR, f"{reason}{_where(exc)}")
    if isinstance(exc, sqlite3.Error):
        text = str(exc)
        lowered = text.lower()
        if "full" in lowered:
            return Fault(ExitCode.DISK_FULL, f"no space left to write the index: {text}; the served index is "
                                             "unchanged")
        if "readonly" in lowered or "read-only" in lowered or "unable to open" in lowered:
            return Fault(ExitCode.NOT_WRITABLE, f"cannot write the index: {text}")
        if "malformed" in lowered or "not a database" in lowered:
            return Fault(ExitCode.INDEX_DAMAGED, f"the index database is damaged: {text}. Run `reportqa index "
                                                 "REPORTS_DIR` to rebuild it")
        if "disk i/o" in lowered:
            return Fault(ExitCode.IO_ERROR, f"the disk failed a read or write: {text}")
    return None

