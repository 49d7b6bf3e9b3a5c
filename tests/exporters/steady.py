"""The steady run's state and load (used by conftest.py's session fixture)."""

from __future__ import annotations

import os
import random
import threading
from dataclasses import dataclass, field

import httpx

from tests.exporters.leak_rules import WatchedTarget
from tests.fixtures.demo_target import DemoTarget

STEADY_SECONDS = float(os.environ.get("PERFSTACK_STEADY_SECONDS", "300"))


@dataclass
class SteadyRun:
    target: DemoTarget
    watched: WatchedTarget
    started: float
    testid: str
    requests: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def load(self) -> None:
        """~25 requests/s of reads: JSON pages, cache hits and misses, /metrics; no writes,
        so nothing the target keeps grows (POST /api/items would be real growth)."""
        rng = random.Random(5)
        with httpx.Client(base_url=self.target.url, timeout=5) as client:
            while not self.stop.wait(0.04):
                path = rng.choice(
                    [
                        "/api/items?limit=100",
                        f"/api/items/{rng.randint(1, 300)}",
                        "/api/latency",
                        "/metrics",
                        "/api/flaky",
                    ]
                )
                try:
                    client.get(path)
                    self.requests += 1
                except httpx.HTTPError:
                    pass
