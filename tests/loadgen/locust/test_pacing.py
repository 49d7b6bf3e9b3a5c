"""Closed-model compensation (pacing_checks.py), in a pytest process of its own: Locust's
import monkey-patches with gevent, which must happen before ssl is imported, and the
suite's process has imported ssl long before."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CHECKS = Path(__file__).with_name("pacing_checks.py")
ROOT = Path(__file__).resolve().parents[3]


def test_pacing_checks_pass_in_a_process_of_their_own() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(CHECKS)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "4 passed" in done.stdout, done.stdout[-3000:]
