"""The Makefile's pytest target, the suite's one command in CI (`make test`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def make_pytest(*pytest_args: str) -> subprocess.CompletedProcess[str]:
    """`make pytest` with this interpreter's pytest; `-o` keeps make from building a venv.
    Without the PYTEST_* variables this test runs under (an xdist worker's among them)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("PYTEST_")}
    return subprocess.run(
        [
            "make", "--no-print-directory", "-o", ".venv/.installed", "pytest",
            f"BIN={Path(sys.executable).parent}", "PYTEST_WORKERS=1",
            "PYTEST_ARGS=" + " ".join(["-p", "no:cacheprovider", *pytest_args]),
        ],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_a_run_that_collects_no_test_fails_the_target() -> None:
    # pytest exits 5 when nothing ran; CI must never read that as green
    result = make_pytest("tests/test_makefile.py", "-k", "no_test_has_this_name")
    assert "no tests ran" in result.stdout, result.stdout + result.stderr
    assert result.returncode != 0
    assert "Error 5" in result.stderr
    assert "--dist loadgroup" in result.stdout  # the command make echoed: the suite's way
