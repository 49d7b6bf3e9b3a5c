"""The local state directory: PID files, logs, Prometheus data, scrape targets, run records."""

from __future__ import annotations

import os
from pathlib import Path

STATE_DIR_ENV = "PERFSTACK_STATE_DIR"


def default_state_dir() -> Path:
    """`$PERFSTACK_STATE_DIR`, else `.perfstack/` under the working directory."""
    return Path(os.environ.get(STATE_DIR_ENV) or Path.cwd() / ".perfstack")


def targets_dir(state_dir: Path) -> Path:
    """Prometheus file_sd files: a target writes `<name>.json` here to be scraped."""
    return state_dir / "targets"


def runs_dir(state_dir: Path) -> Path:
    """Run records (`<testid>.json`) written by the generators and read by the gate."""
    return state_dir / "runs"
