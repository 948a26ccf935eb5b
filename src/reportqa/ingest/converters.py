"""Optional converters for Word files the built-in reader cannot read (Word 6/95, Microsoft Works
.wps): Debian's ``antiword`` and ``catdoc``, or LibreOffice, used only when installed.

They run as child processes of the parse worker (so under its memory limit), on a private copy of
the bytes in a temporary folder (never the library's path), each with a timeout that ends before
the file's own time budget, and their output is bounded like any reader's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time

from reportqa.ingest.docx_text import MAX_TEXT_CHARS

CONVERTER_HINT = "install antiword or LibreOffice to read it"
DEFAULT_SECONDS = 60.0


def _commands(path: str, folder: str) -> list[tuple[str, list[str], str | None]]:
    """(tool, command line, file it writes or None for standard output), in the order tried."""
    out: list[tuple[str, list[str], str | None]] = []
    if tool := shutil.which("antiword"):
        out.append(("antiword", [tool, "-m", "UTF-8.txt", "-w", "0", path], None))
    if tool := shutil.which("catdoc"):
        out.append(("catdoc", [tool, "-d", "utf-8", "-w", path], None))
    for name in ("soffice", "libreoffice"):
        if tool := shutil.which(name):
            out.append(("LibreOffice", [tool, "--headless", "--norestore", "--convert-to", "txt:Text (encoded):UTF8",
                                        "--outdir", folder, path], os.path.join(folder, "out", "document.txt")))
            break
    return out


def installed() -> bool:
    return any(shutil.which(name) for name in ("antiword", "catdoc", "soffice", "libreoffice"))


def convert_word(data: bytes, deadline: float | None) -> tuple[list[str], str] | None:
    """The text lines of a Word file by the first installed converter that reads it, and which one;
    None when none is installed or none could."""
    with tempfile.TemporaryDirectory(prefix="reportqa-convert-") as folder:
        source = os.path.join(folder, "document.doc")
        with open(source, "wb") as handle:
            handle.write(data)
        for name, command, written in _commands(source, folder):
            seconds = DEFAULT_SECONDS if deadline is None else min(DEFAULT_SECONDS, deadline - time.monotonic())
            if seconds < 1:
                return None
            if written is not None:  # LibreOffice writes beside --outdir, under the source's name
                command[command.index(folder)] = os.path.dirname(written)
            try:
                done = subprocess.run(command, capture_output=True, timeout=seconds, check=False,
                                      stdin=subprocess.DEVNULL, env={**os.environ, "HOME": folder}, cwd=folder)
            except (OSError, subprocess.SubprocessError):
                continue
            if done.returncode != 0:
                continue
            if written is None:
                output = done.stdout[: MAX_TEXT_CHARS * 4]
            else:
                try:
                    with open(written, "rb") as handle:
                        output = handle.read(MAX_TEXT_CHARS * 4)
                except OSError:
                    continue
            lines = [line.rstrip() for line in output.decode("utf-8", "replace").splitlines() if line.strip()]
            if lines:
                return lines, name
    return None
