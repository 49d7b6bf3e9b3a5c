"""Inner pytest sessions for the plugin's tests: a real pytest (with pytest-benchmark) in a
subprocess, so each has its own plugins, options and exit code, as a user's run would."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

from tests.helpers import XDIST_VARIABLES, outside_xdist

REPO = Path(__file__).resolve().parents[3]


def plugin_args() -> list[str]:
    """`-p` the plugin unless its entry point is installed (CI installs the checkout; a venv
    holding another checkout has none), since pytest refuses it registered twice."""
    installed = any(
        ep.name == "perfstack" and ep.value == "perfstack.pytest_plugin.plugin"
        for ep in entry_points(group="pytest11")
    )
    return [] if installed else ["-p", "perfstack.pytest_plugin.plugin"]


@dataclass
class Inner:
    returncode: int
    stdout: str
    stderr: str


def run_pytest(
    cwd: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> Inner:
    environ = {
        **outside_xdist(),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        **(env or {}),
    }
    for name in ("PERFSTACK_PROMETHEUS_URL", "PERFSTACK_STATE_DIR"):
        if env is None or name not in env:
            environ.pop(name, None)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            *plugin_args(),
            "-p",
            "no:cacheprovider",
            "-q",
            *args,
        ],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Inner(done.returncode, done.stdout, done.stderr)


def run_pytest_here(cwd: Path, *args: str, env: dict[str, str]) -> int:
    """The same session in this process (`pytest.main`): a second or less cheaper than a
    subprocess where a test needs many short sessions. `env` is set for the session only."""
    import pytest

    saved_env = {name: os.environ.get(name) for name in (*env, *XDIST_VARIABLES)}
    saved_cwd = Path.cwd()
    for name in XDIST_VARIABLES:
        os.environ.pop(name, None)
    os.environ.update(env)
    os.chdir(cwd)
    try:
        return int(
            pytest.main(
                [*plugin_args(), "-p", "no:cacheprovider", "-q", "--rootdir", str(cwd), *args]
            )
        )
    finally:
        os.chdir(saved_cwd)
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
