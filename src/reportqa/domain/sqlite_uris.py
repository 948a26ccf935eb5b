"""The one way a SQLite file is opened read-only here (an index generation, the stored dictionary)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote


def read_only_uri(db_path: Path, *, immutable: bool = True) -> str:
    """A ``file:`` URI opening ``db_path`` read-only. ``immutable``: the file never changes once
    written (a published generation, a stored dictionary), so SQLite takes no lock and needs no
    ``-shm`` beside it: a file on a read-only mount opens. Without it, a file another process may
    still be writing is read with the usual locking."""
    uri = f"file:{quote(str(Path(db_path).absolute()))}?mode=ro"
    return uri + "&immutable=1" if immutable else uri
