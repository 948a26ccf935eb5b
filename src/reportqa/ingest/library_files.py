"""The reports folder is the library, and nothing outside it is ever read.

A report file is read only when it is a regular file whose real path is inside the reports folder.
A link is followed only to a file inside the folder; a link to anything outside (``leak.txt →
/etc/passwd``), a device, a socket or a named pipe is skipped with the reason. The check is made when
the folder is scanned (``library_problem``) and again when the file is opened (``open_in_library``),
because a file may be replaced between the two: the open walks the checked path from the reports
folder one name at a time without following any link (a name swapped for a link since the check
fails to open), checks what it opened, and hands back that descriptor. Every reader reads its bytes
through it (``readers.read_document``), never by the path again.

A hard link cannot be told from the file it links (both are the same file); the kernel's
``protected_hardlinks`` (on by default) keeps a user from hard-linking files they cannot read.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import BinaryIO

OUTSIDE = "link to a file outside the reports folder"
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
# a pipe opened to be read blocks until someone writes: opened non-blocking, then refused by its kind
_FILE_FLAGS = _OPEN_FLAGS | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
_FOLDER_FLAGS = _OPEN_FLAGS | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_DIRECTORY", 0)


class NotInLibrary(Exception):
    """A file that is not a regular file inside the reports folder; ``str(exc)`` is the reason."""


def kind_of(mode: int) -> str:
    """What a non-regular file is, in words for the skipped list."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a file"


def real_root(reports_dir: str | os.PathLike[str]) -> str:
    """The reports folder's own real path (the folder itself may be reached through a link)."""
    return os.path.realpath(reports_dir)


def is_inside(real_path: str, root: str) -> bool:
    """Whether a real path is the folder ``root`` or below it (``root`` real too)."""
    return real_path == root or real_path.startswith(root.rstrip(os.sep) + os.sep)


def library_problem(path: str | os.PathLike[str], root: str) -> str | None:
    """Why ``path`` is not a report file of the library whose real path is ``root``, or None. For the
    scan: it reads no content."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    if stat.S_ISLNK(info.st_mode):
        try:
            real = os.path.realpath(path, strict=True)
        except OSError as exc:
            return "symlink loop" if exc.errno == errno.ELOOP else "broken link"
        if not is_inside(real, root):
            return OUTSIDE
        try:
            info = os.stat(real)
        except OSError as exc:
            return f"cannot read: {exc.strerror or exc}"
    if not stat.S_ISREG(info.st_mode):
        return f"not a regular file ({kind_of(info.st_mode)})"
    return None


def open_in_library(path: str | os.PathLike[str], root: str | os.PathLike[str]) -> BinaryIO:
    """``path`` opened for reading, checked to be a regular file inside ``root`` at the moment it was
    opened; raises ``NotInLibrary`` with the reason (``OSError`` for a file that cannot be read)."""
    root_real = real_root(root)
    try:
        real = os.path.realpath(path, strict=True)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotInLibrary("symlink loop") from exc
        raise
    if not is_inside(real, root_real):
        raise NotInLibrary(OUTSIDE)
    names = os.path.relpath(real, root_real).split(os.sep)
    folder = os.open(root_real, _OPEN_FLAGS | getattr(os, "O_DIRECTORY", 0))
    try:
        for name in names[:-1]:
            try:
                inner = os.open(name, _FOLDER_FLAGS, dir_fd=folder)
            except OSError as exc:
                raise _changed(exc) from exc
            os.close(folder)
            folder = inner
        try:
            fd = os.open(names[-1], _FILE_FLAGS, dir_fd=folder)
        except OSError as exc:
            raise _changed(exc) from exc
    finally:
        os.close(folder)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotInLibrary(f"not a regular file ({kind_of(info.st_mode)})")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _changed(exc: OSError) -> Exception:
    """An open that a name swapped for a link (or a socket) since the check made fail."""
    if exc.errno in (errno.ELOOP, errno.ENOTDIR, getattr(errno, "EMLINK", errno.ELOOP)):
        return NotInLibrary("the file was replaced by a link while it was opened")
    if exc.errno == errno.ENXIO:
        return NotInLibrary("not a regular file (a socket)")
    return exc
