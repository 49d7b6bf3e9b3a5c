"""A locustfile holding the Locust load shape that plays a perfstack scenario.

`perfstack run --scenario` adds this file to Locust's `-f` list and passes the scenario
(already validated and scaled) as JSON in `PERFSTACK_SCENARIO_JSON`.
"""

from __future__ import annotations

import json
import os

from locust import LoadTestShape

import loadgen.locust.plugin  # noqa: F401  (the plugin rides along with the shape)
from loadgen.locust.arrival_run import ARRIVAL_CLOCK, NEVER_READY_SECONDS
from loadgen.scenarios import SCENARIO_ENV, Scenario


class PerfstackScenarioShape(LoadTestShape):
    def __init__(self) -> None:
        super().__init__()
        payload = os.environ.get(SCENARIO_ENV)
        self.scenario = Scenario.from_dict(json.loads(payload)) if payload else None

    @property
    def planned_seconds(self) -> float | None:
        """Read by the plugin (loadgen/locust/run_end.py): the live view's countdown, and
        whether the run ended before its planned end."""
        return self.scenario.duration if self.scenario is not None else None

    def tick(self) -> tuple[int, float] | None:
        if self.scenario is None:
            return None
        if self.scenario.is_arrival:
            return self._arrival_tick()
        return self.scenario.target_at(self.get_run_time())

    def _arrival_tick(self) -> tuple[int, float] | None:
        """The pool of users, from the start until the schedule (which starts once they are
        all up, loadgen/locust/arrival_run.py) is over."""
        assert self.scenario is not None
        pool = (self.scenario.peak_users, self.scenario.stages[0].spawn_rate)
        if ARRIVAL_CLOCK.finished:
            return None
        return pool if self.get_run_time() < self.scenario.duration + NEVER_READY_SECONDS else None
