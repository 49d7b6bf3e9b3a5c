"""The spans a Locust process ran load in: one per test start/stop.

A headless run has one. Locust's web UI can start a swarm, stop it and start another in
the same process, which perfstack keeps as one run (one testid); the record lists each
swarm, and the run's duration is the time load ran, without the idle time between them.

`start` and `end` are wall-clock times (where the run's samples lie in Prometheus); a
swarm's `duration` is measured on the monotonic clock, so a wall clock stepped during
the run does not change how long load ran.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Swarm:
    start: float
    requests_before: int  # the run's cumulative counts when the swarm started
    failures_before: int
    began: float = field(default_factory=time.monotonic)
    end: float | None = None
    seconds: float = 0.0  # monotonic, set when it stops
    stopping_after: float | None = None  # monotonic seconds until its stop began
    stopped_by: tuple[str, str] | None = None  # which of Locust's own ends (run_end.py)
    users: int = 0  # peak
    requests: int = 0
    failures: int = 0

    def to_json(self) -> dict[str, Any]:
        assert self.end is not None
        return {
            "start": self.start,
            "end": self.end,
            "duration": self.seconds,
            "users": self.users,
            "requests": self.requests,
            "failures": self.failures,
        }


class Swarms:
    def __init__(self) -> None:
        self.done: list[Swarm] = []
        self.current: Swarm | None = None

    def started(self, now: float, counts: tuple[int, int]) -> None:
        if self.current is None:
            self.current = Swarm(now, *counts)

    def saw_users(self, users: int) -> None:
        if self.current is not None:
            self.current.users = max(self.current.users, users)

    def stopping(self, origin: tuple[str, str] | None) -> None:
        """The running swarm's stop has begun (test_stopping); the first one says who
        stopped it (a stop may begin again when the first was cut short)."""
        swarm = self.current
        if swarm is not None and swarm.stopping_after is None:
            swarm.stopping_after = time.monotonic() - swarm.began
            swarm.stopped_by = origin

    def stopped(self, now: float, counts: tuple[int, int]) -> None:
        """Close the running swarm with the run's cumulative (requests, failures) now."""
        swarm, self.current = self.current, None
        if swarm is None:
            return
        swarm.end, swarm.seconds = now, time.monotonic() - swarm.began
        swarm.requests = counts[0] - swarm.requests_before
        swarm.failures = counts[1] - swarm.failures_before
        self.done.append(swarm)

    @property
    def load_seconds(self) -> float:
        return sum(swarm.seconds for swarm in self.done)

    @property
    def last_stopped_by(self) -> tuple[str, str] | None:
        return self.done[-1].stopped_by if self.done else None

    @property
    def load_before_stop(self) -> float:
        """Seconds of load before the last stop began: a locustfile's `runner.quit()` from
        a task can be cut short by Locust killing that task, and the test then only ends
        later (at --run-time), with no users left in between."""
        if not self.done:
            return 0.0
        last = self.done[-1]
        until = last.seconds if last.stopping_after is None else last.stopping_after
        return self.load_seconds - last.seconds + until

    def to_json(self) -> list[dict[str, Any]]:
        return [swarm.to_json() for swarm in self.done]
