"""The house's layers: `index` (reading an index) imports nothing above it, `ingest`
(building one) only `index`, and the front ends (`ess`, `app.py`) sit on top."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ABOVE = {"index": {"ingest", "ess", "app"}, "ingest": {"ess", "app"}}


def imported(path: Path) -> set[str]:
    """The top-level packages a module imports, lazily inside functions as well."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(ABOVE))
def test_a_layer_imports_nothing_above_it(package):
    wrong = {str(path.relative_to(ROOT)): sorted(imported(path) & ABOVE[package])
             for path in sorted((ROOT / package).rglob("*.py"))}
    assert {path: names for path, names in wrong.items() if names} == {}


def test_the_check_sees_lazy_imports(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from ingest.read import read_text\n", encoding="utf-8")
    assert imported(module) == {"ingest"}
