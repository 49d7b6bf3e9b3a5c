"""The plugin's part in an arrival-rate run, in one Locust process, and the run's summary.

A standalone process or a worker plays its share of the schedule (tickets.py); the master
(or standalone process) ends the run through the shape once the schedule is over
(ARRIVAL_CLOCK) and sums the workers' counts into the record's `extra.arrival`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gevent

from loadgen.arrival import HONESTY_TOLERANCE, HONESTY_WINDOW_SECONDS, worst_shortfall
from loadgen.locust.tickets import Scheduler, TicketCounts, TicketPool, arm_user_classes
from loadgen.scenarios import SCENARIO_ENV, Scenario

# a run whose users never all came up, or whose workers never said their schedule ended,
# still ends: the schedule's length plus this
NEVER_READY_SECONDS = 30.0
# the schedule starts once this process's users all wait for a ticket, or after this long
POOL_READY_TIMEOUT = 10.0


@dataclass
class ArrivalClock:
    """Read by the shape (in the master or standalone process): when the schedule
    started, and whether every process has played its share to the end."""

    epoch: float | None = None
    finished: bool = False


ARRIVAL_CLOCK = ArrivalClock()


def arrival_scenario() -> Scenario | None:
    """The scenario `perfstack run` handed over, when it has arrival stages."""
    payload = os.environ.get(SCENARIO_ENV)
    if not payload:
        return None
    scenario = Scenario.from_dict(json.loads(payload))
    return scenario if scenario.is_arrival else None


class ArrivalRun:
    def __init__(self, scenario: Scenario, user_classes: list[type], plays: bool) -> None:
        """`plays`: this process runs users (not a master)."""
        self.scenario = scenario
        self.schedule = scenario.arrival_schedule()
        self.pool = TicketPool()
        self.part, self.parts = 0, 1
        self.scheduler: Scheduler | None = None
        self.fell_behind = False  # sticky: some 10 s window started < 95% of its slots
        self.worker_counts: dict[str, dict[str, Any]] = {}  # master: instance -> final counts
        self.finished_parts: set[str] = set()  # master: workers whose share is played
        # master: client -> [scheduled, dropped, fell behind] from its last report
        self.worker_live: dict[str, list[int]] = {}
        if plays:
            arm_user_classes(user_classes, self.pool)

    @property
    def counts(self) -> TicketCounts:
        return self.pool.counts

    def start(self, users: Callable[[], int], on_finished: Callable[[], None]) -> None:
        """Users are spawned (spawning_complete): the schedule starts once they all wait
        for a ticket (a slot due before a user got there would be dropped for want of a
        user that is on its way), then `on_finished` when this share is played."""
        if self.scheduler is None:
            self.scheduler = Scheduler(self.schedule, self.part, self.parts, self.pool)
            gevent.spawn(self._start_when_ready, self.scheduler, users, on_finished)

    def _start_when_ready(
        self, scheduler: Scheduler, users: Callable[[], int], on_finished: Callable[[], None]
    ) -> None:
        deadline = time.monotonic() + POOL_READY_TIMEOUT
        while len(self.pool.waiting) < users() and time.monotonic() < deadline:
            gevent.sleep(0.005)
        scheduler.start(time.time())
        scheduler.join()
        on_finished()

    def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.stop()

    def behind(self) -> bool:
        """True while the last whole 10 s window started fewer than 95% of the slots due in
        it (GeneratorHealth's `behind`: the generator cannot keep the rate)."""
        epoch = self.pool.epoch
        if epoch is None:
            return False
        now_second = int(time.time() - epoch)
        window = int(HONESTY_WINDOW_SECONDS)
        if now_second < window:
            return False
        seconds = range(now_second - window, now_second)
        due = {s: self.counts.scheduled_by_second.get(s, 0) for s in seconds}
        short = worst_shortfall(due, self.counts.started_by_second) > HONESTY_TOLERANCE
        self.fell_behind = self.fell_behind or short
        return short

    def any_behind(self) -> bool:
        """This process, or (master) any worker, fell behind the schedule so far."""
        return self.fell_behind or any(v[2] for v in self.worker_live.values())

    def live_counts(self) -> tuple[int, int]:
        """(scheduled, dropped) so far: this process's, or on a master the workers' last."""
        if self.worker_live:
            return (
                sum(v[0] for v in self.worker_live.values()),
                sum(v[1] for v in self.worker_live.values()),
            )
        return self.counts.scheduled, self.counts.dropped

    def summary(self, own: bool) -> dict[str, Any]:
        """The record's `extra.arrival`: `own` with this process's counts (standalone),
        else the sum of the workers' final counts."""
        total = TicketCounts()
        if own:
            total.add(self.counts.to_json())
        for counts in self.worker_counts.values():
            total.add(counts)
        duration = self.schedule.duration
        shortfall = total.shortfall()
        saturated = shortfall > HONESTY_TOLERANCE or self.fell_behind
        saturated = saturated or any(c.get("fell_behind") for c in self.worker_counts.values())
        return {
            "requested_rate": self.schedule.total / duration if duration else 0.0,
            "achieved_rate": total.started / duration if duration else 0.0,
            "scheduled": total.scheduled,
            "planned": self.schedule.total,
            "started": total.started,
            "dropped": total.dropped,
            "dropped_ratio": total.dropped / total.scheduled if total.scheduled else 0.0,
            "worst_10s_shortfall": shortfall,
            "saturated": saturated,
            "max_start_lag_seconds": total.max_lag,
            "max_users": self.scenario.peak_users,
            "processes": max(1, len(self.worker_counts)),
            "epoch": self.pool.epoch if self.pool.epoch is not None else ARRIVAL_CLOCK.epoch,
        }
