"""The import graph of risk/ keeps the data flow readable: rooms in order, no cycles, faces on top.

Walks every module with `ast` (no import is executed) and fails on: an import cycle; library code importing
the Streamlit views or a command-line module; a private name imported across modules; terminology importing
anything but itself; equations importing anything but terminology; a function-local import that only exists to
dodge a cycle (a lazy import that defers a heavy dependency is allowed when no cycle hides behind it).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tests.paths import REPO

RISK = REPO / "risk"
# Modules at the top of risk/: only what every stage shares.
TOP_LEVEL = {"risk", "risk.audit", "risk.cli", "risk.errors", "risk.feedback", "risk.settings"}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    names: tuple[str, ...]
    local: bool  # inside a function (a lazy import)
    line: int


def module_name(path: Path) -> str:
    parts = path.relative_to(RISK.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(RISK.rglob("*.py"))}


def resolve(target: str, names: tuple[str, ...], known: set[str]) -> list[str]:
    """`from risk.x import y`: y may be a submodule (risk.x.y) or a name in risk.x."""
    out = []
    for n in names:
        sub = f"{target}.{n}"
        out.append(sub if sub in known else target)
    return sorted(set(out)) or [target]


@cache  # one walk of the source tree for the whole file (about 1.5 s a walk)
def edges() -> tuple[Edge, ...]:
    known = set(modules())
    found = []
    for name, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        local_lines = {id(node) for f in functions for node in ast.walk(f)}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if not node.module.startswith("risk"):
                    continue
                names = tuple(a.name for a in node.names)
                for target in resolve(node.module, names, known):
                    found.append(Edge(name, target, names, id(node) in local_lines, node.lineno))
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.startswith("risk"):
                        found.append(Edge(name, a.name, (), id(node) in local_lines, node.lineno))
    return tuple(found)


def graph() -> dict[str, set[str]]:
    g: dict[str, set[str]] = defaultdict(set)
    for e in edges():
        if e.source != e.target:
            g[e.source].add(e.target)
    return g


def reaches(g: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            todo.extend(g.get(node, ()))
    return False


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in g.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in list(g):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle() -> None:
    """Lazy imports count too: a cycle hidden inside a function is still a cycle."""
    assert cycles(graph()) == []


def test_no_function_local_import_dodges_a_cycle() -> None:
    g = graph()
    dodges = [f"{e.source}:{e.line} imports {e.target} lazily, and {e.target} leads back to {e.source}"
              for e in edges() if e.local and reaches(g, e.target, e.source)]
    assert dodges == []


def test_library_code_imports_no_view_and_no_command_line_module() -> None:
    bad = []
    for e in edges():
        is_face = e.source.startswith("risk.views") or e.source == "risk.cli" or e.source.endswith(".cli")
        if is_face:
            continue
        if e.target.startswith("risk.views") or e.target == "risk.cli" or e.target.endswith(".cli"):
            bad.append(f"{e.source}:{e.line} -> {e.target}")
    assert bad == []


def test_no_private_name_imported_across_modules() -> None:
    bad = [f"{e.source}:{e.line} imports {n} from {e.target}" for e in edges() for n in e.names
           if n.startswith("_") and n != "__version__"]
    assert bad == []


def test_terminology_is_a_leaf() -> None:
    bad = [f"{e.source}:{e.line} -> {e.target}" for e in edges()
           if e.source.startswith("risk.terminology") and not e.target.startswith("risk.terminology")]
    assert bad == []


def test_equations_import_only_terminology() -> None:
    bad = [f"{e.source}:{e.line} -> {e.target}" for e in edges() if e.source.startswith("risk.equations")
           and not e.target.startswith(("risk.equations", "risk.terminology"))]
    assert bad == []


def test_every_module_lives_in_a_room() -> None:
    """After features, nothing sits flat in risk/: each module is in the subpackage of its stage."""
    flat = sorted(m for m in modules() if m.count(".") <= 1 and m not in TOP_LEVEL and m not in {
        "risk." + p.name for p in RISK.iterdir() if p.is_dir() and (p / "__init__.py").is_file()})
    assert flat == []


def test_the_checks_see_real_imports() -> None:
    """Guard against a walker that finds nothing (every test above would pass vacuously)."""
    found = {(e.source, e.target) for e in edges()}
    assert ("risk.assess.assessment", "risk.assess.scores") in found
    assert ("risk.equations.score2", "risk.equations._common") in found
    assert cycles({"a": {"b"}, "b": {"a"}}) == [["a", "b"]]
    assert any(e.local for e in edges())  # the lazy fhirpy import of risk.fhir.open is seen as local
