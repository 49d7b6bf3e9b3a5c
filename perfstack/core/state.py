"""The local state directory: PID files, logs, Prometheus data, scrape targets, run records."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from perfstack.core.errors import PerfstackError

STATE_DIR_ENV = "PERFSTACK_STATE_DIR"
NOT_A_DIRECTORY = "expected a directory (or none yet), found a file"


def default_state_dir() -> Path:
    """`$PERFSTACK_STATE_DIR`, else `.perfstack/` under the working directory."""
    value = os.environ.get(STATE_DIR_ENV)
    if value and _is_file(Path(value)):
        raise PerfstackError(f"${STATE_DIR_ENV}={value}: {NOT_A_DIRECTORY}")
    return Path(value or Path.cwd() / ".perfstack")


def state_dir_argument(text: str) -> Path:
    """The argparse type of every `--state-dir`: a path that is not a file, so that a
    mistyped one is a usage error instead of a traceback when the first file is read."""
    path = Path(text)
    if _is_file(path):
        raise argparse.ArgumentTypeError(f"{text}: {NOT_A_DIRECTORY}")
    return path


def _is_file(path: Path) -> bool:
    return path.exists() and not path.is_dir()


def targets_dir(state_dir: Path) -> Path:
    """Prometheus file_sd files: a target writes `<name>.json` here to be scraped."""
    return state_dir / "targets"


def runs_dir(state_dir: Path) -> Path:
    """Run records (`<testid>.json`) written by the generators and read by the gate."""
    return state_dir / "runs"
