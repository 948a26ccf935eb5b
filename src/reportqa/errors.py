"""The domain's expected failures, defined once so that every layer (and ``faults.py``, which maps them
to exit codes) can name them without importing the code that raises them."""

from __future__ import annotations


class IndexMissing(Exception):
    """No index in the folder yet."""


class IndexDamaged(Exception):
    """A generation that fails its checks; ``str(exc)`` says what is wrong and what to do."""


class UnreadableFile(Exception):
    """A file that cannot be turned into text; ``str(exc)`` is the reason."""
