"""Every package our code imports is declared in pyproject.toml: production code in the
dependencies, tests and benches in those plus the `test` extra. A package that arrives only
as another's dependency (gevent with Locust) can vanish with that package's next release."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = ("perfstack", "loadgen", "exporters", "gate", "demo", "examples")
TESTING = ("tests", "bench")
# code that only ever runs inside pytest (the plugin, the example suites): it may
# also import the `pytest` extra (pytest, pytest-benchmark)
IN_PYTEST = ("perfstack/pytest_plugin", "examples/benchmarks", "examples/ci")
# code that says which extra to install when its import fails: the `history` extra (Otava)
IN_HISTORY_EXTRA = ("perfstack/history/detect.py",)
OURS = {"perfstack", "loadgen", "exporters", "gate", "demo", "tests", "bench"}


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(extra: str = "test") -> tuple[set[str], set[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

    def names(requirements: list[str]) -> set[str]:
        return {normalized(re.match(r"[A-Za-z0-9_.-]+", r)[0]) for r in requirements}

    return names(project["dependencies"]), names(project["optional-dependencies"][extra])


def python_files(where: Path) -> list[Path]:
    return [where] if where.is_file() else list(where.rglob("*.py"))


def imported_top_level(folders: tuple[str, ...], skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Third-party top-level module -> one file importing it (files under `skip` aside)."""
    local = {path.stem for folder in folders for path in python_files(ROOT / folder)}
    skipped = tuple(ROOT / folder for folder in skip)
    found: dict[str, str] = {}
    for folder in folders:
        for path in sorted(python_files(ROOT / folder)):
            if any(path.is_relative_to(other) for other in skipped):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    top = module.split(".")[0]
                    if top in sys.stdlib_module_names or top in OURS or top in local:
                        continue
                    if top != "__future__":
                        found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def undeclared(
    folders: tuple[str, ...], allowed: set[str], skip: tuple[str, ...] = ()
) -> list[str]:
    distributions = packages_distributions()
    missing = []
    for module, where in sorted(imported_top_level(folders, skip).items()):
        names = {normalized(d) for d in distributions.get(module, [module])}
        if not names & allowed:
            missing.append(f"{module} (imported by {where}, from {sorted(names)})")
    return missing


def test_production_imports_are_dependencies():
    runtime, _ = declared()
    assert undeclared(PRODUCTION, runtime, skip=IN_PYTEST + IN_HISTORY_EXTRA) == []


def test_the_change_point_detectors_imports_are_dependencies_or_the_history_extra():
    runtime, history_extra = declared("history")
    assert undeclared(IN_HISTORY_EXTRA, runtime | history_extra) == []
    assert "otava" in imported_top_level(IN_HISTORY_EXTRA)  # the scan does look there


def test_the_pytest_plugins_imports_are_dependencies_or_the_pytest_extra():
    runtime, pytest_extra = declared("pytest")
    assert undeclared(IN_PYTEST, runtime | pytest_extra) == []
    assert "pytest" in imported_top_level(IN_PYTEST)  # the scan does look there


def test_test_and_bench_imports_are_dependencies_or_test_extras():
    runtime, test_extra = declared()
    assert undeclared(TESTING, runtime | test_extra) == []


@pytest.mark.parametrize("module", ["gevent", "hdrh", "yaml", "markdown_it"])
def test_the_scan_sees_imports_under_other_distribution_names(module):
    assert module in imported_top_level(PRODUCTION + TESTING)
