"""One perfstack run per pytest session: its testid, suite, where it pushes and what it
records. Created by the plugin only when `--perfstack` is given; fixtures and hooks find it
with `current_session(config)`.

Imports stay light (no pusher, no HTTP client): the plugin imports this module in every
pytest run, with or without `--perfstack`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from perfstack.metrics.registry import Registry

if TYPE_CHECKING:
    from perfstack.metrics.benchmarks import BenchmarkMetrics
    from perfstack.push.pusher import RemoteWritePusher

GENERATOR = "pytest"


@dataclass
class PytestSession:
    testid: str
    suite: str
    prometheus_url: str
    state_dir: Path
    # identity labels every series of the session carries: testid, scenario (= suite), suite,
    # generator ("pytest"), instance; the pusher adds them, metric definitions stay free of them
    labels: dict[str, str]
    remote_write_url: str = ""
    start: float = field(default_factory=time.time)
    # collectors registered here are pushed with the session's labels (perfstack.metrics)
    registry: Registry = field(default_factory=Registry)
    pusher: RemoteWritePusher | None = None
    # pytest-benchmark results of this session, registered in `registry` (lifecycle.py)
    benchmarks: BenchmarkMetrics | None = None
    # joined into the run record's `extra` at the end of the session
    extra: dict[str, Any] = field(default_factory=dict)

    def push(self, timeout: float = 10.0) -> bool:
        """Snapshot the registry and send it now; True when everything was sent."""
        if self.pusher is None:
            return False
        return self.pusher.flush(timeout)


SESSION_KEY = pytest.StashKey[PytestSession]()


def current_session(config: pytest.Config) -> PytestSession | None:
    """The session's perfstack run, or None when `--perfstack` was not given."""
    return config.stash.get(SESSION_KEY, None)
