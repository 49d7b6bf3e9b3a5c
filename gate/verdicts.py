"""What the gate says about each objective and about the run, and the exit code that follows.

Five verdicts are kept apart: PASS, WARN, FAIL, NO_DATA (nothing or too little to judge)
and ERROR (Prometheus rejected the query or could not be reached, or the answer cannot be
used: several series where one was expected, series of another run, warnings). Only PASS
and WARN count toward a passing gate; an ERROR never exits 0.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field

from gate.model import Objective
from gate.prometheus import Series
from perfstack.core.errors import ExitCode


class Status(enum.StrEnum):
    PASS = "PASS"
    WARN = "WARN"
    FAIL = "FAIL"
    NO_DATA = "NO_DATA"
    ERROR = "ERROR"


CREDIT = {Status.PASS: 1.0, Status.WARN: 0.5}
_COMBINE_ORDER = (Status.ERROR, Status.FAIL, Status.NO_DATA, Status.WARN, Status.PASS)


def worst(*statuses: Status) -> Status:
    for status in _COMBINE_ORDER:
        if status in statuses:
            return status
    return Status.PASS


@dataclass
class BaselineComparison:
    source: str
    value: float | None = None
    change: float | None = None  # current / baseline - 1
    ci: tuple[float, float] | None = None
    level: str = "none"  # none | minor | major | critical (in the direction that is worse)
    status: Status = Status.PASS
    method: str = "point"  # point | bootstrap
    criterion: str = ""
    reason: str = ""

    def change_text(self, separator: str = " ", with_level: bool = False) -> str:
        """The change as reports print it: `+12.0%`, its interval, and the regression level."""
        parts = [] if self.change is None else [f"{self.change:+.1%}"]
        if self.ci is not None:
            parts.append(f"[{self.ci[0]:+.1%}, {self.ci[1]:+.1%}]")
        if with_level and self.level != "none":
            parts.append(self.level)
        return separator.join(parts)


@dataclass(frozen=True)
class Skipped:
    """An objective not judged for this run, and why: it is for other scenarios, or it
    reads data of a generator the run did not have. Never a pass, never counted."""

    name: str
    kind: str
    reason: str


@dataclass
class ObjectiveResult:
    objective: Objective
    status: Status
    value: float | None
    query: str
    evaluated_at: float
    source: str = "prometheus"  # prometheus | run record
    series: list[Series] = field(default_factory=list)
    samples: int | None = None
    reason: str = ""
    baseline: BaselineComparison | None = None
    intervals: list[float] = field(default_factory=list)
    error_kind: str | None = None  # query | unavailable
    elapsed: float = 0.0

    @property
    def threshold_text(self) -> str:
        return "; ".join(part for part in self.threshold_lines if part)

    @property
    def threshold_lines(self) -> tuple[str, str]:
        """The absolute criteria (`pass < 1s; warn < 2s`) and the relative one (`vs baseline
        <= +10%`), either empty when the objective has none."""
        absolute = []
        if self.objective.passing is not None:
            absolute.append(f"pass {self.objective.passing.text}")
        if self.objective.warning is not None:
            absolute.append(f"warn {self.objective.warning.text}")
        relative = self.objective.relative
        against = "" if relative is None else f"vs baseline {relative.passing.text}"
        return "; ".join(absolute), against


@dataclass
class GateResult:
    rules_path: str
    rules_name: str
    testid: str
    scenario: str
    start: float
    end: float | None
    evaluated_at: float
    objectives: list[ObjectiveResult]
    status: Status
    score: float
    score_pass: float | None
    score_warn: float | None
    baseline_source: str | None = None
    skipped: list[Skipped] = field(default_factory=list)
    reason: str = ""

    def exit_code(self, strict: bool = False) -> ExitCode:
        kinds = {r.error_kind for r in self.objectives if r.status is Status.ERROR}
        if "unavailable" in kinds:
            return ExitCode.PROMETHEUS_UNAVAILABLE
        if kinds or self.status is Status.ERROR:
            # a rejected query, several series where one was expected (on_multi_series:
            # error), series of another run, a NaN score: the rules need fixing. Never 0.
            return ExitCode.USAGE
        if self.status is Status.FAIL:
            return ExitCode.GATE_FAIL
        if self.status is Status.NO_DATA:
            return ExitCode.NO_DATA
        if self.status is Status.WARN and strict:
            return ExitCode.GATE_FAIL
        return ExitCode.OK


def overall(
    results: list[ObjectiveResult], score_pass: float | None, score_warn: float | None
) -> tuple[Status, float, str]:
    """The gate's verdict, its score (0..1, weighted PASS=1 WARN=0.5) and why."""
    total = sum(r.objective.weight for r in results)
    score = (
        sum(r.objective.weight * CREDIT.get(r.status, 0.0) for r in results) / total
        if total
        else 0.0
    )
    statuses = [r.status for r in results]
    if not results:
        return Status.NO_DATA, 0.0, "no objective applies to this run"
    if Status.ERROR in statuses:
        return Status.ERROR, score, "an objective could not be evaluated"
    if math.isnan(score):
        # every `score <` comparison below would be false and read as a pass
        return Status.ERROR, score, "the score is NaN: check the objectives' weights"
    failed_keys = [
        r.objective.name
        for r in results
        if r.objective.key and r.status is not Status.PASS and r.status is not Status.WARN
    ]
    if failed_keys:
        return Status.FAIL, score, f"key objective(s) not met: {', '.join(failed_keys)}"
    if score_pass is not None:
        if score < (score_warn if score_warn is not None else score_pass):
            return Status.FAIL, score, f"score {score:.0%} below {(score_warn or score_pass):.0%}"
        if Status.NO_DATA in statuses:
            return Status.NO_DATA, score, "some objectives had no data"
        if score < score_pass:
            return Status.WARN, score, f"score {score:.0%} below the pass score {score_pass:.0%}"
        return (
            (Status.WARN if Status.WARN in statuses else Status.PASS),
            score,
            f"score {score:.0%}",
        )
    if Status.FAIL in statuses:
        return Status.FAIL, score, "objective(s) failed"
    if Status.NO_DATA in statuses:
        return Status.NO_DATA, score, "some objectives had no data"
    if Status.WARN in statuses:
        return Status.WARN, score, "objective(s) in the warning band"
    return Status.PASS, score, "all objectives passed"
