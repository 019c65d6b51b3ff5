"""The house's layers, bottom up: `index` (reading an index: storage, vectors, BM25,
search, related passages, themes), `answer` (units, the answer, the gate, their models)
and `ingest` (building an index) on it, and the front ends (`ess`: the engine, the
command line, the API, the page) on top. No folder imports one above it, and no module
imports, even lazily inside a function, one that leads back to itself."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("index", "answer", "ingest", "ess")
ABOVE = {"index": {"answer", "ingest", "ess", "app", "training"},
         "answer": {"ingest", "ess", "app", "training"},
         "ingest": {"answer", "ess", "app", "training"}}


def imports(path: Path) -> set[str]:
    """The dotted names a module imports, lazily inside functions as well (`from a.b
    import c` gives a.b and a.b.c: c may be a module)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def imported(path: Path) -> set[str]:
    """The top-level packages a module imports."""
    return {name.split(".")[0] for name in imports(path)}


def modules() -> dict[str, Path]:
    """Every module of the project's packages, by dotted name."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def graph() -> dict[str, set[str]]:
    """Module -> the project's modules it imports (a package's __init__ not counted as
    the modules under it)."""
    known = modules()
    return {name: {n for n in imports(path) if n in known and n != name}
            for name, path in known.items()}


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return out


@pytest.mark.parametrize("package", sorted(ABOVE))
def test_a_layer_imports_nothing_above_it(package):
    wrong = {str(path.relative_to(ROOT)): sorted(imported(path) & ABOVE[package])
             for path in sorted((ROOT / package).rglob("*.py"))}
    assert {path: names for path, names in wrong.items() if names} == {}


def test_no_module_imports_its_way_back_to_itself():
    assert circles(graph()) == []


def test_the_checks_see_lazy_imports_and_circles(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from ingest.read import read_text\n", encoding="utf-8")
    assert imported(module) == {"ingest"}
    assert "ingest.read.read_text" in imports(module)
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []
