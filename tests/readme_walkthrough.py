"""The README's setup walkthrough, run as written (issue 32): every ```console block's `$ ` lines are
commands, run in order in one shell in a fresh copy of the repository with its virtual environment
activated, and the lines under each command are what it must print (``…`` stands for anything).

    python -m tests.readme_walkthrough            # in a scratch copy of this checkout; exit 1 on a mismatch

A command ending in ``<<'EOF'`` takes the lines up to ``EOF`` as its input. Commands in ```sh blocks
(installing, sudo, systemctl, the bot itself) are shown, not run: the CI script, tests/test_admin_setup.py
and the bot's own tests cover them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_BLOCK = re.compile(r"^```console\n(.*?)^```", re.MULTILINE | re.DOTALL)
_HEREDOC = re.compile(r"<<'?(\w+)'?\s*$")


@dataclass
class Step:
    command: str
    expected: list[str] = field(default_factory=list)  # lines the output must hold, in order (… = anything)


@dataclass
class Ran:
    step: Step
    output: str
    code: int

    @property
    def problem(self) -> str | None:
        if self.code != 0:
            return f"exit code {self.code}"
        position = 0
        for line in self.step.expected:
            for fragment in (f.strip() for f in line.split("…")):
                if not fragment:
                    continue
                found = self.output.find(fragment, position)
                if found < 0:
                    return f"no {fragment!r} in the output (in order)"
                position = found + len(fragment)
        return None


def walkthrough_steps(readme: str) -> list[Step]:
    """The commands of the README's ```console blocks, with the output shown under each."""
    steps: list[Step] = []
    for block in _BLOCK.findall(readme):
        lines = block.splitlines()
        i = 0
        while i < len(lines):
            line = lines[i]
            if line.startswith("$ "):
                command = line[2:]
                heredoc = _HEREDOC.search(command)
                if heredoc:
                    end = lines.index(heredoc.group(1), i + 1)
                    command = "\n".join([command, *lines[i + 1 : end + 1]])
                    i = end
                steps.append(Step(command))
            elif steps and line.strip():
                steps[-1].expected.append(line)
            i += 1
    return steps


def fresh_copy(target: Path) -> Path:
    """The repository's tracked files (what a clone has) copied to ``target``, with this checkout's
    virtual environment linked in as ``.venv`` (what `python3 -m venv .venv && pip install` made)."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in (n for n in listed.decode().split("\0") if n):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    (target / ".venv").symlink_to(ROOT / ".venv")
    return target


def run_steps(steps: list[Step], clone: Path, timeout: float = 300) -> list[Ran]:
    """All steps in one bash, in order, from the copy's folder (a `source`/`cd` holds for the next)."""
    marker = "@@reportqa-step@@"
    script = ["exec 2>&1", "set -o pipefail"]
    for n, step in enumerate(steps):
        script += [f"echo '{marker} {n}'", step.command, f"echo '{marker} rc' $?"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REPORTQA_", "VIRTUAL_ENV"))}
    env.update(HOME=str(clone.parent), LANG="C.UTF-8", PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run(["bash", "-c", "\n".join(script)], cwd=clone, env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)
    text = done.stdout + done.stderr
    ran: list[Ran] = []
    for n, step in enumerate(steps):
        match = re.search(rf"^{marker} {n}\n(.*?)^{marker} rc (\d+)$", done.stdout, re.MULTILINE | re.DOTALL)
        if match is None:
            ran.append(Ran(step, text[-2000:], -1))
            break
        ran.append(Ran(step, match.group(1), int(match.group(2))))
    return ran


def main() -> int:
    steps = walkthrough_steps((ROOT / "README.md").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="reportqa-readme-") as tmp:
        ran = run_steps(steps, fresh_copy(Path(tmp) / "reportqa"))
    failed = 0
    for result in ran:
        print(f"$ {result.step.command}\n{result.output.rstrip()}")
        if result.problem:
            failed += 1
            print(f"!! {result.problem}", file=sys.stderr)
    print(f"{len(ran)} of {len(steps)} steps run, {failed} failed", file=sys.stderr)
    return 1 if failed or len(ran) < len(steps) else 0


if __name__ == "__main__":
    raise SystemExit(main())
