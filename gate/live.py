"""The live gate: objectives marked `abort_on_fail` judged during the run over a trailing
window; when one fails continuously for its `sustained` time the run should stop with
the gate's fail exit code (k6 can abort on a threshold but has no sustained window).

The run loop asks it on every tick (it queries Prometheus at most once a second):

    live = LiveGate.from_file(Path("rules.yaml"), prometheus_url, testid, scenario)
    abort, reason = live.should_abort()

A Prometheus hiccup never aborts a run (it is remembered in `last_error`); an empty or NaN
window (no traffic yet) resets the streak instead of counting toward it. Every series is
judged (a range condition breaks at either end); series labelled with another run's testid
are ignored (and noted in `last_error`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from gate.model import Objective, RuleSet
from gate.prometheus import PrometheusClient, PrometheusError
from gate.rules import load_rules
from gate.shorthands import SHORTHANDS, selector
from gate.thresholds import judge_value, worst_value
from gate.units import format_value, promql_duration
from gate.window import resolve


def live_expression(objective: Objective, sel: str | None = None) -> str:
    """The PromQL the live gate judges an objective by, placeholders unresolved: the
    `live_query`, else the shorthand's trailing-window form (its run form when it has none,
    with `$range` set to the live window), else the raw query. `sel` replaces the
    shorthand's selector (the generated alert rules match every run instead of one)."""
    if objective.live_query:
        return objective.live_query
    if objective.sli is not None:
        shorthand = SHORTHANDS[objective.sli]
        template = shorthand.live or shorthand.values[-1]
        return template(sel if sel is not None else selector(objective.request, objective.target))
    return str(objective.query)


@dataclass
class Streak:
    since: float | None = None
    value: float | None = None


class LiveGate:
    def __init__(
        self,
        rules: RuleSet,
        client: PrometheusClient,
        testid: str,
        scenario: str = "adhoc",
        clock: Callable[[], float] = time.time,
        min_interval: float = 1.0,
    ) -> None:
        self.rules, self.client, self.testid, self.scenario, self.clock = (
            rules,
            client,
            testid,
            scenario,
            clock,
        )
        self.objectives = [
            o
            for o in rules.objectives
            if o.abort_on_fail and o.passing is not None and o.applies_to(scenario)
        ]
        self.streaks = {o.name: Streak() for o in self.objectives}
        self.last_error: str | None = None
        self.min_interval = min_interval
        self.polls = 0
        self._last_poll: float | None = None
        self._verdict: tuple[bool, str] = (False, "")

    @classmethod
    def from_file(
        cls,
        path: Path,
        prometheus_url: str,
        testid: str,
        scenario: str = "adhoc",
        variables: Mapping[str, str] | None = None,
    ) -> LiveGate:
        """Raises PerfstackError (exit 2) for an invalid rule file: check before the load starts."""
        return cls(
            load_rules(path, variables),
            PrometheusClient(prometheus_url, timeout=2.0),
            testid,
            scenario,
        )

    @property
    def active(self) -> bool:
        return bool(self.objectives)

    def query(self, objective: Objective, now: float) -> str | None:
        window = objective.live_window
        values = {
            **self.rules.variables,
            "testid": self.testid,
            "scenario": self.scenario,
            "window": promql_duration(window),
            "range": promql_duration(window),
            "duration": promql_duration(window),
            "duration_seconds": f"{window:.3f}",
            "start": f"{now - window:.3f}",
            "end": f"{now:.3f}",
        }
        return resolve(live_expression(objective), values)

    def should_abort(self) -> tuple[bool, str]:
        """Safe to call on every tick of the run loop: Prometheus is asked at most once per
        `min_interval`; once it says abort, it keeps saying so."""
        now = self.clock()
        if self._verdict[0] or (
            self._last_poll is not None and now - self._last_poll < self.min_interval
        ):
            return self._verdict
        self._last_poll = now
        self.polls += 1
        self._verdict = self._judge(now)
        return self._verdict

    def _judge(self, now: float) -> tuple[bool, str]:
        for objective in self.objectives:
            streak = self.streaks[objective.name]
            try:
                series = self.client.instant(str(self.query(objective, now)), now)
            except PrometheusError as error:
                self.last_error = str(error)
                continue
            own = [s for s in series if s.labels.get("testid", self.testid) == self.testid]
            if len(own) < len(series):  # another run's data must neither stop nor clear this one
                self.last_error = (
                    f"{objective.name}: ignored {len(series) - len(own)} series of other runs "
                    '(select the run with testid="$testid")'
                )
            # NaN is no traffic; an infinity is a value the final gate FAILs, so it counts
            values = [s.value for s in own if not math.isnan(s.value)]
            if not values:
                self.streaks[objective.name] = Streak()
                continue
            assert objective.passing is not None
            worst = worst_value(objective.passing, None, values)
            if judge_value(objective.passing, None, worst) == "PASS":
                self.streaks[objective.name] = Streak()
                continue
            if streak.since is None:
                streak.since = now
            streak.value = worst
            if now - streak.since >= objective.sustained:
                return True, (
                    f"live gate: {objective.name} = {format_value(worst, objective.unit)} breaks "
                    f"'{objective.passing.text}' for {now - streak.since:.0f}s "
                    f"(sustained {objective.sustained:g}s)"
                )
        return False, ""

    def close(self) -> None:
        self.client.close()
