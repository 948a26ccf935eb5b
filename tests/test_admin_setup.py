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
