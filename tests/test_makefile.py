"""The Makefile's pytest target, the suite's one command in CI (`make test`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# what the outer pytest (an xdist worker among them) sets for itself
OUTER_RUN_VARIABLES = ("PYTEST_XDIST_", "PYTEST_CURRENT_TEST")
ROOT = Path(__file__).resolve().parents[1]


def make_pytest(*pytest_args: str) -> subprocess.CompletedProcess[str]:
    """`make pytest` with this interpreter's pytest; `-o` keeps make from building a venv.
    Without the variables of the pytest run this test is part of."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(OUTER_RUN_VARIABLES)}
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
    assert "--dist loadgroup --no-loadscope-reorder" in result.stdout  # as make echoed it
