"""The ``reportqa`` command's entry point (and ``python -m reportqa``): an interrupt at any moment ends
it with the one line every command prints for it, ``error: interrupted``, and exit code 130
(``interrupts.quiet_interrupts``: installed before the command line's heavy imports)."""

from __future__ import annotations

from reportqa.interrupts import quiet_interrupts


def main() -> None:
    """The ``reportqa`` command."""
    quiet_interrupts()
    from reportqa.channels.cli.commands import main as run_command

    run_command()
