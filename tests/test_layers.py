"""The house's order: each package imports only those below it (ARCHITECTURE.md), and the channels
import none of each other. Every import counts — at the top, inside a function, or for type checking
only — because each is a dependency someone must understand before changing the code it names."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "reportqa"

# bottom to top: a module may import its own rank or lower
LAYERS: tuple[tuple[str, ...], ...] = (
    ("settings", "errors", "interrupts", "faults"),
    ("domain",),
    ("bm25",),
    ("ingest",),
    ("crawl",),
    ("index",),
    ("retrieval",),
    ("answers",),
    ("present",),
    ("conversations",),
    ("channels",),
    ("command", "__main__", "launch"),
)
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
CHANNELS = ("cli", "telegram", "wecom", "dingtalk")


def _part(module: str) -> str:
    """The top-level part of ``reportqa.X…`` a module belongs to."""
    return module.split(".")[1] if module.count(".") >= 1 else ""


def _channel(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[1] == "channels" else None


def _imports(path: Path, module: str) -> list[tuple[int, str]]:
    """Every ``reportqa`` module a file imports, with the line (relative imports resolved)."""
    out: list[tuple[int, str]] = []
    package = module.rsplit(".", 1)[0] if path.name != "__init__.py" else module
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("reportqa")]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            if base.startswith("reportqa"):
                out.append((node.lineno, base))
                out += [(node.lineno, f"{base}.{alias.name}") for alias in node.names
                        if (SRC.parent / f"{base}.{alias.name}".replace(".", "/")).with_suffix(".py").exists()
                        or (SRC.parent / f"{base}.{alias.name}".replace(".", "/")).is_dir()]
    return out


def _modules() -> list[tuple[Path, str]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC.parent).with_suffix("")
        parts = list(relative.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out.append((path, ".".join(parts)))
    return out


def test_every_top_level_part_has_a_layer() -> None:
    parts = {_part(module) for _, module in _modules() if module != "reportqa"}
    assert parts <= set(RANK), sorted(parts - set(RANK))
    assert len([p for p in SRC.glob("*.py")]) <= 8  # at most eight modules directly in src/reportqa/


def test_imports_run_down_the_layers_and_channels_stay_apart() -> None:
    wrong = []
    for path, module in _modules():
        own = _part(module)
        if own not in RANK:
            continue
        for line, imported in _imports(path, module):
            other = _part(imported)
            if other not in RANK:
                continue
            where = f"{path.relative_to(SRC.parent)}:{line}"
            if RANK[other] > RANK[own]:
                wrong.append(f"{where}: {module} ({own}) imports {imported} ({other}), a layer above it")
            channel, their = _channel(module), _channel(imported)
            if channel and their and channel != their:
                wrong.append(f"{where}: channel {channel} imports channel {their}")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles() -> None:
    """No module reaches itself through imports (counting those inside functions)."""
    graph: dict[str, set[str]] = {}
    known = {module for _, module in _modules()}
    for path, module in _modules():
        graph[module] = {m for _, m in _imports(path, module) if m in known and m != module}
    cycles = []
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                if not _is_package_of(nxt, node):
                    cycles.append(" -> ".join([*trail[trail.index(nxt):], nxt]) if nxt in trail else f"{node} -> {nxt}")
            elif state.get(nxt) is None:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for module in sorted(graph):
        if state.get(module) is None:
            visit(module, [module])
    assert not cycles, "\n".join(cycles[:20])


def _is_package_of(package: str, module: str) -> bool:
    """A package's ``__init__`` that a module inside it is reached from: no cycle of code."""
    return module.startswith(package + ".") and (SRC.parent / package.replace(".", "/") / "__init__.py").exists()


ABOVE_THE_INDEX = ("answers", "present", "conversations")
# the index's storage and the ranking library: reached only through retrieval/ (builds' summaries,
# which present/ words, are not storage)
BENEATH_THE_SEAMS = ("reportqa.index.database", "reportqa.index.arrays", "reportqa.index.boilerplate",
                     "reportqa.index.checks", "reportqa.bm25")


def test_answers_read_through_the_retrieval_seams() -> None:
    """Above retrieval, nothing reaches into the index's database or a retriever's arrays: answers
    read passages through ``SearchIndex`` and rank through its ``Retriever``,
    so a second retriever is a class beside BM25's, not a change to every answer."""
    offenders = []
    for path, module in _modules():
        if _part(module) not in ABOVE_THE_INDEX:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(BENEATH_THE_SEAMS) and not (
                    node.module == "reportqa.index.database" and _part(module) == "conversations"):  # its own file
                offenders.append(f"{module} imports {node.module}")
            if isinstance(node, ast.Attribute) and node.attr == "postings":
                offenders.append(f"{module} reads .postings (line {node.lineno})")
    assert not offenders, "\n".join(offenders)


def test_both_postings_stores_are_retrievers() -> None:
    """BM25's postings and an overlaid index's are each a ``Retriever`` (what ``SearchIndex`` ranks
    with): every member the protocol names is there, on real instances."""
    from reportqa.retrieval.retriever import Retriever
    from tests.test_overlay import overlaid

    postings, _, _ = overlaid(seed=1, variant="plus", dead_reports=3, new_reports=2)
    for store in (postings, postings.base):
        assert isinstance(store, Retriever), type(store).__name__
        assert store.n_live <= store.n_docs and len(store.df) > 0
