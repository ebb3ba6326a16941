"""Every package imported by ``src/gongzhi`` is a declared runtime dependency.

``make run`` installs the project without extras; a module that imports a package
only the ``dev`` extra brings breaks every new user's first command.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "gongzhi"


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared_runtime() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = set()
    for requirement in project["dependencies"]:
        names.add(_normalise(re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement).group(0)))
    return names


def imported_top_level() -> dict[str, set[str]]:
    """Top-level module name -> the files importing it (absolute imports only)."""
    found: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_imported_package_is_a_runtime_dependency():
    declared = declared_runtime()
    distributions = importlib.metadata.packages_distributions()
    undeclared = []
    for module, files in sorted(imported_top_level().items()):
        if module in sys.stdlib_module_names or module in ("gongzhi", "__future__"):
            continue
        dists = {_normalise(d) for d in distributions.get(module, [])}
        assert dists, f"{module} (imported by {sorted(files)[0]}) belongs to no installed distribution"
        if not dists & declared:
            undeclared.append(f"{module} ({', '.join(sorted(dists))}) imported by {', '.join(sorted(files))}")
    assert not undeclared, "imported but not in [project.dependencies]:\n" + "\n".join(undeclared)


def test_one_http_client():
    modules = imported_top_level()
    assert not ({"requests", "httpx"} <= modules.keys()), "use one HTTP client: requests or httpx, not both"


def test_the_check_sees_imports_inside_functions(tmp_path):
    # The scan must not miss an import hidden in a function body (the rfc8785 case).
    assert "rfc8785" in imported_top_level()
