"""The entry point is declared, the markers exist in every session, and without
`--perfstack` the plugin neither imports the push pipeline nor writes anything."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import pytest

from perfstack.pytest_plugin.plugin import MARKERS
from tests.perfstack.pytest_plugin.inner import REPO, run_pytest


def test_the_pytest11_entry_point_is_declared() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["pytest11"]["perfstack"] == "perfstack.pytest_plugin.plugin"
    assert "pytest-benchmark>=4" in project["optional-dependencies"]["pytest"]


def test_strict_markers_suites_pass_without_perfstack_and_nothing_is_written(tmp_path) -> None:
    assert set(MARKERS) == {
        "performance", "load_test", "websocket_test", "memory_test", "slow", "regression"
    }  # fmt: skip
    decorators = "".join(f"@pytest.mark.{name}\n" for name in MARKERS)
    (tmp_path / "test_marked.py").write_text(
        f"import pytest\n\n{decorators}def test_marked():\n    pass\n"
    )
    inner = run_pytest(tmp_path, "--strict-markers", "-m", "performance and regression")
    assert inner.returncode == 0, inner.stdout + inner.stderr
    assert "1 passed" in inner.stdout
    assert not (tmp_path / ".perfstack").exists()
    # the control: a marker nobody registered fails the same session under --strict-markers
    (tmp_path / "test_marked.py").unlink()
    (tmp_path / "test_unknown.py").write_text(
        "import pytest\n\n@pytest.mark.nonexistent_marker_x\ndef test_unknown():\n    pass\n"
    )
    unknown = run_pytest(tmp_path, "--strict-markers")
    assert unknown.returncode == pytest.ExitCode.INTERRUPTED, unknown.stdout
    assert "'nonexistent_marker_x' not found in `markers`" in unknown.stdout


def test_without_perfstack_the_plugin_imports_nothing_heavy() -> None:
    heavy = ("prometheus_client", "locust", "httpx", "gevent", "perfstack.push.pusher")
    code = (
        "import sys, perfstack.pytest_plugin.plugin\n"
        f"print([m for m in {heavy!r} if m in sys.modules])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert done.stdout.strip() == "[]"


def test_the_options_are_in_pytests_help(tmp_path) -> None:
    inner = run_pytest(tmp_path, "--help")
    for option in (
        "--perfstack ",
        "--perfstack-prometheus-url",
        "--perfstack-testid",
        "--perfstack-suite",
        "--perfstack-state-dir",
    ):
        assert option in inner.stdout, option
