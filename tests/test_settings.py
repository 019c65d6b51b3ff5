"""The environment is read in one place (index.settings), and the README's « Settings »
table lists every variable read there."""

import ast
import re
from pathlib import Path

import pytest

from index.errors import SettingError
from index.settings import VARIABLES, Settings

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("index", "answer", "ingest", "ess")


def test_only_settings_reads_the_environment():
    readers = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == ROOT / "index" / "settings.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                # os.environ.get(...), os.environ[...], os.getenv(...)
                if (isinstance(node, ast.Attribute) and node.attr in ("get", "getenv")
                        and ast.unparse(node.value) in ("os.environ", "os")):
                    readers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
                elif (isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load)
                      and ast.unparse(node.value) == "os.environ"):
                    readers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert readers == []


def test_every_variable_named_in_the_code_is_a_setting():
    named = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            named |= set(re.findall(r"\bESS_[A-Z_]*[A-Z]\b", path.read_text(encoding="utf-8")))
    assert named - {v.name for v in VARIABLES} == set()


def test_the_readme_lists_every_setting():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Settings", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"`(ESS_[A-Z_]+)`", table))
    assert listed == {v.name for v in VARIABLES}


def test_a_snapshot_holds_only_the_project_variables():
    settings = Settings.from_env({"ESS_MODEL": "e5", "HOME": "/home/x", "ESS_INDEX": "/i"})
    assert dict(settings.values) == {"ESS_MODEL": "e5", "ESS_INDEX": "/i"}
    assert settings.index == Path("/i")
    assert Settings.from_env({"XDG_DATA_HOME": "/d"}).index == Path("/d/ess/index")
    assert Settings.from_env({"ESS_CACHE": "off"}).cache is None


def test_a_bad_value_stops_only_what_uses_it():
    settings = Settings.from_env({"ESS_DEVICE": "gpu", "ESS_MODEL": "e5"})
    assert settings.model == "e5"
    with pytest.raises(SettingError) as caught:
        _ = settings.device
    assert str(caught.value) == ("ESS_DEVICE vaut « gpu » : indiquez cpu, cuda, cuda:N "
                                 "(le N-ième GPU) ou mps")
