"""``python -m reportqa``: the ``reportqa`` command (``command.main``: quiet on an interrupt from its first line)."""

from reportqa.command import main

if __name__ == "__main__":
    main()
