"""Prometheus file_sd registration: `<state>/targets/<name>.json` while the target runs.

The local Prometheus (`perfstack up`) watches that directory, so a running target is
scraped without any reload; the file is removed on a clean exit.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from perfstack.core.state import default_state_dir, targets_dir

WILDCARD_HOSTS = {"0.0.0.0", "::", ""}


def registration_dir(explicit: str | None) -> Path | None:
    """Where to register: the given state dir, else the default one if it exists, else none."""
    if explicit:
        return targets_dir(Path(explicit))
    state = default_state_dir()
    return targets_dir(state) if state.is_dir() else None


def file_sd_entries(name: str, host: str, port: int) -> list[dict[str, object]]:
    address = "127.0.0.1" if host in WILDCARD_HOSTS else host
    return [{"targets": [f"{address}:{port}"], "labels": {"service": name}}]


class Registration:
    def __init__(self, directory: Path, name: str, host: str, port: int) -> None:
        self.path = directory / f"{name}.json"
        self.content = json.dumps(file_sd_entries(name, host, port), indent=2) + "\n"

    def write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: Prometheus must never read a half-written file.
        partial = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        partial.write_text(self.content)
        partial.replace(self.path)

    def remove(self) -> None:
        """Remove the file unless another target has since registered under the same name."""
        try:
            if self.path.read_text() == self.content:
                self.path.unlink()
        except FileNotFoundError:
            pass
