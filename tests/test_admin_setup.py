"""An administrator's first day (issue 32): the README's setup, the deploy/ files, and nothing the
project runs writing over what the repository commits."""

from __future__ import annotations

import ast
from pathlib import Path

from benchmarks import scale

ROOT = Path(__file__).resolve().parent.parent
OUTPUT_OPTIONS = {"--out", "--output", "--results", "--write-results"}


def test_benchmarks_write_only_where_a_run_asks() -> None:
    """`python -m benchmarks.scale` as the README shows it prints its tables; benchmarks/RESULTS.md
    (committed) is written only when named with --out. No benchmark's output option has a default."""
    assert scale.parse_args([]).out is None
    assert scale.parse_args(["--out", "x.md"]).out == Path("x.md")
    for module in sorted((ROOT / "benchmarks").glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "add_argument"):
                continue
            names = {a.value for a in node.args if isinstance(a, ast.Constant)}
            if names & OUTPUT_OPTIONS:
                default = next((k.value for k in node.keywords if k.arg == "default"), None)
                assert default is None or (isinstance(default, ast.Constant) and default.value is None), (
                    f"{module.name}: {sorted(names)} writes somewhere by default")


# -- the README an administrator follows ---------------------------------------------------------

README = (ROOT / "README.md").read_text(encoding="utf-8")


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    import re

    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_the_readme_has_a_contents_list_whose_links_all_land() -> None:
    import re

    contents = README[README.index("## Contents"):README.index("## Quick start")]
    links = re.findall(r"\]\(#([^)]+)\)", contents)
    headings = {anchor(h) for h in re.findall(r"^#{2,4} (.+)$", README, re.MULTILINE)}
    assert len(links) >= 15 and not [link for link in links if link not in headings]
    for step in ("BotFather", "Find the ids", "allowlist", "service", "Backups", "Upgrading", "metadata.csv"):
        assert step in contents, step


def test_the_quick_start_is_unchanged_and_says_how_to_activate_the_venv() -> None:
    quick = README[README.index("## Quick start"):README.index("## Setting it up")]
    assert ('    python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/reportqa ask '
            '"哪些单位在2021年开展了执法培训"\n') in quick
    assert "    python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/pytest\n" in quick
    assert "source .venv/bin/activate" in quick
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python3 -m venv .venv && .venv/bin/pip install -e '.[test]'" in ci and ci.rstrip().endswith(".venv/bin/pytest")
    assert "reportqa add" in ci and "reportqa remove" in ci  # the suite runs after the library commands


def test_the_readmes_walkthrough_runs_as_written_from_a_fresh_copy(tmp_path: Path) -> None:
    """Every ```console command of the setup, in order, in a fresh copy of the repository with the venv
    activated: it exits 0 and prints what the README shows under it."""
    from tests.readme_walkthrough import fresh_copy, run_steps, walkthrough_steps

    steps = walkthrough_steps(README)
    commands = [s.command.split("\n")[0] for s in steps]
    assert commands[0] == "source .venv/bin/activate"
    for needed in ("reportqa index data/reports", "reportqa add ", "reportqa remove ", "reportqa check",
                   "tar -czf backup/index.tar.gz", "backup(sqlite3.connect('backup/bot.sqlite3'))"):
        assert any(needed in c for c in commands), needed
    clone = fresh_copy(tmp_path / "reportqa")
    ran = run_steps(steps, clone)
    assert len(ran) == len(steps)
    problems = [(r.step.command[:80], r.problem, r.output[-600:]) for r in ran if r.problem]
    assert not problems, problems
    assert (clone / "data" / "reports" / ".removed").is_dir() and not (clone / "data" / "reports" / "uploads").exists()
    assert (clone / "backup" / "bot.sqlite3").is_file()


def test_the_botfather_command_list_is_the_bots_own_menu() -> None:
    from reportqa.channels.telegram.texts import COMMANDS

    block = README.split("paste\n\n```text\n", 1)[1].split("```", 1)[0]
    pasted = [tuple(line.split(" - ", 1)) for line in block.strip().splitlines()]
    assert pasted == [(c.command, c.description) for c in COMMANDS["zh"]]


# -- deploy/: the service and the nightly re-index ---------------------------------------------------


def unit_file(name: str) -> dict[str, dict[str, list[str]]]:
    """A systemd unit file: section → key → values (a key may repeat; comments and blank lines skipped)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for raw in (ROOT / "deploy" / name).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None and "=" in line, f"{name}: {raw!r}"
        key, value = line.split("=", 1)
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def test_the_deploy_units_parse_and_fit_the_repository() -> None:
    import re
    import shutil
    import subprocess

    bot, index, timer = (unit_file(n) for n in ("reportqa-bot.service", "reportqa-index.service",
                                                "reportqa-index.timer"))
    for unit in (bot, index):
        service = unit["Service"]
        home = service["WorkingDirectory"][0]
        assert service["User"] == ["reportqa"] and service["EnvironmentFile"] == [f"{home}/.env"]
        program = service["ExecStart"][0].split()[0]
        assert program.startswith(f"{home}/.venv/bin/")
        assert all(path.startswith(f"{home}/data") for path in service["ReadWritePaths"])  # README: data/ in the clone
    assert bot["Service"]["ExecStart"] == ["/opt/reportqa/.venv/bin/python bot.py"] and (ROOT / "bot.py").is_file()
    assert bot["Service"]["Restart"] == ["on-failure"] and bot["Install"]["WantedBy"] == ["multi-user.target"]
    assert bot["Service"]["RestartPreventExitStatus"] == ["2"]  # app.main: 2 = no token, fixed only by a person
    command = index["Service"]["ExecStart"][0].split()
    assert command[0].endswith("/reportqa") and command[1:] == ["index", "${REPORTQA_REPORTS_DIR}"]
    assert index["Service"]["Type"] == ["oneshot"] and "Install" not in index  # started by its timer
    scripts = __import__("tomllib").loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert "reportqa" in scripts
    assert timer["Timer"]["Unit"] == ["reportqa-index.service"] and timer["Install"]["WantedBy"] == ["timers.target"]
    assert timer["Timer"]["Persistent"] == ["true"]
    calendar = timer["Timer"]["OnCalendar"][0]
    assert re.fullmatch(r"\*-\*-\* \d\d:\d\d:\d\d", calendar)
    if shutil.which("systemd-analyze"):  # systemd's own reading of the schedule, where it is installed
        checked = subprocess.run(["systemd-analyze", "calendar", calendar], capture_output=True, text=True)
        assert checked.returncode == 0 and "Next elapse" in checked.stdout, checked.stdout + checked.stderr
    for name in ("reportqa-bot.service", "reportqa-index.service", "reportqa-index.timer"):
        assert f"deploy/{name}" in README  # the README installs every file deploy/ holds
    units = {p.name for p in (ROOT / "deploy").glob("reportqa-*")}
    assert {"reportqa-bot.service", "reportqa-index.service", "reportqa-index.timer"} <= units
    assert all(f"deploy/{name}" in README for name in units)  # the crawl's units too
