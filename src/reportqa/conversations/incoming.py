"""Uploads waiting to be added (``index/.incoming/<id>/``), each held by its bot while in progress.

An upload's folder is created only after its lock file (``<id>.lock``, flock) is held, and removed
before the lock is let go; a bot that starts removes only folders whose lock it can take — those a
bot that stopped mid-upload left — so a second bot on the same index never touches the uploads of a
first one still running.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

INCOMING_FOLDER = ".incoming"  # below the index folder


@contextlib.contextmanager
def upload_folder(index_dir: Path) -> Iterator[Path]:
    """A fresh folder for one upload, held (locked) until the block ends, then removed."""
    incoming = Path(index_dir) / INCOMING_FOLDER
    incoming.mkdir(parents=True, exist_ok=True)
    name = uuid.uuid4().hex[:12]
    lock_path = incoming / f"{name}.lock"
    with lock_path.open("a+") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        folder = incoming / name
        try:
            folder.mkdir()
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            lock_path.unlink(missing_ok=True)


def clear_stale(index_dir: Path) -> list[str]:
    """Remove what bots that stopped mid-upload left; leave what a running one holds. The names removed."""
    incoming = Path(index_dir) / INCOMING_FOLDER
    try:
        entries = sorted(os.scandir(incoming), key=lambda e: e.name)
    except OSError:
        return []
    removed = []
    for entry in entries:
        if entry.name.endswith(".lock"):
            continue
        lock_path = incoming / f"{entry.name}.lock"
        try:
            with lock_path.open("a+") as lock:
                try:
                    fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    continue  # a live upload
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)
                lock_path.unlink(missing_ok=True)
                removed.append(entry.name)
        except OSError:
            continue
    return removed
