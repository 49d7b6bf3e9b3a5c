"""The master's live totals, rewritten every second for `perfstack run`'s terminal view.

A file rather than a socket: the reader may start late or die without affecting the run,
and the last state survives for post-mortems next to the run record.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import gevent

from loadgen.locust.arrival_run import ArrivalRun
from loadgen.locust.in_flight import InFlight
from loadgen.locust.run_end import plan_of
from loadgen.locust.settings import PluginSettings
from perfstack.core.identity import RunIdentity
from perfstack.metrics.health import GeneratorHealth

INTERVAL_SECONDS = 1.0
RATE_WINDOW_SECONDS = 3  # whole seconds the live rate averages over
WORKER_REPORT_LAG_SECONDS = 3  # Locust's workers report every 3 s: their last seconds are partial

if TYPE_CHECKING:
    from locust.env import Environment  # importing locust patches the standard library


class LiveRun(Protocol):
    """What the view shows besides Locust's totals (PluginRun has it all)."""

    settings: PluginSettings
    role: str
    identity: RunIdentity | None
    start: float | None
    health: GeneratorHealth
    arrival: ArrivalRun | None

    def requests_in_flight(self) -> InFlight: ...


def recent_rate(per_second: dict[int, int], now: float, lag: int = 0) -> float:
    """Completions per second over the last RATE_WINDOW_SECONDS whole seconds before `now`
    (less `lag`). Locust's own `current_rps` ends its window at the last completed
    request, so it keeps showing the old rate while every request hangs; this one falls
    to 0 once nothing completes."""
    end = int(now) - lag  # the current second is still being counted
    return sum(per_second.get(t, 0) for t in range(end - RATE_WINDOW_SECONDS, end)) / float(
        RATE_WINDOW_SECONDS
    )


def live_snapshot(run: LiveRun, environment: Environment, now: float) -> dict[str, Any]:
    total = environment.stats.total
    p95_ms = total.get_current_response_time_percentile(0.95) if total.num_requests else None
    runner = environment.runner
    plan = plan_of(environment)
    flights = run.requests_in_flight()
    lag = WORKER_REPORT_LAG_SECONDS if run.role == "master" else 0
    return {
        "testid": run.identity.testid if run.identity else "",
        "scenario": run.identity.scenario if run.identity else "",
        "start": run.start,
        "now": now,
        "state": getattr(runner, "state", ""),
        "users": runner.user_count if runner is not None else 0,
        "workers": len(getattr(runner, "clients", {}) or {}) if run.role == "master" else 0,
        "requests": total.num_requests,
        "failures": total.num_failures,
        "rps": recent_rate(total.num_reqs_per_sec, now, lag),
        "in_flight": flights.count,
        "oldest_in_flight_seconds": flights.oldest_seconds,
        "p95_seconds": p95_ms / 1000.0 if p95_ms else None,
        "error_ratio": total.fail_ratio,
        "prometheus_url": run.settings.prometheus_url,
        "saturated": run.health.was_saturated or _fell_behind(getattr(run, "arrival", None)),
        # what the countdown follows: the planned length when known; a load shape that
        # states none decides alone when the run ends
        "planned_seconds": plan.seconds if plan is not None else None,
        "shape": plan.shape if plan is not None else None,
        **_arrival_fields(getattr(run, "arrival", None)),
    }


def _fell_behind(arrival: ArrivalRun | None) -> bool:
    return arrival is not None and arrival.any_behind()


def _arrival_fields(arrival: ArrivalRun | None) -> dict[str, Any]:
    if arrival is None:
        return {}
    scheduled, dropped = arrival.live_counts()
    return {"scheduled_iterations": scheduled, "dropped_iterations": dropped}


def write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(data), encoding="utf-8")
    os.replace(temporary, path)


class LiveStatusWriter:
    def __init__(self, path: Path, run: LiveRun, environment: Environment) -> None:
        self.path, self.run, self.environment = path, run, environment
        self._greenlet: gevent.Greenlet | None = None

    def start(self) -> LiveStatusWriter:
        self._greenlet = gevent.spawn(self._loop)
        return self

    def write_now(self) -> None:
        with contextlib.suppress(OSError):  # the view is a convenience: never stop the load
            write_json_atomically(self.path, live_snapshot(self.run, self.environment, time.time()))

    def _loop(self) -> None:
        while True:
            self.write_now()
            gevent.sleep(INTERVAL_SECONDS)

    def stop(self) -> None:
        if self._greenlet is not None:
            self._greenlet.kill(block=False)
        self.write_now()
