"""The rule file's model: objectives, their conditions and policies, baseline and score
settings. Built by `gate.rules.load_rules`; read by evaluation, reports and the live gate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from gate.thresholds import Comparison, Condition

NO_DATA_CHOICES = ("no_data", "fail", "warn", "pass")
MULTI_SERIES_CHOICES = ("fail", "worst", "error")
NO_BASELINE_CHOICES = ("fail", "no_data", "warn", "ignore")
AGGREGATES = ("mean", "median", "p90")
DEFAULT_LEVELS = {"minor": 0.10, "major": 0.25, "critical": 0.50}
RESERVED = ("testid", "scenario", "start", "end", "duration", "duration_seconds", "range", "window")

OBJECTIVE_KEYS = (
    "name",
    "description",
    "sli",
    "query",
    "request",
    "target",
    "benchmark",
    "kind",
    "unit",
    "pass",
    "warn",
    "relative",
    "weight",
    "key",
    "min_samples",
    "samples_query",
    "on_no_data",
    "on_multi_series",
    "on_no_baseline",
    "abort_on_fail",
    "sustained",
    "live_window",
    "live_query",
    "scenarios",
    "corrected",
)


@dataclass(frozen=True)
class RelativeCriterion:
    passing: Comparison
    warning: Comparison | None = None
    interval: float | None = None  # seconds per interval for latency confidence intervals
    confidence: float = 0.95


@dataclass(frozen=True)
class Objective:
    name: str
    line: int
    sli: str | None = None
    query: str | None = None
    request: str | None = None  # also a benchmark shorthand's `benchmark:` (its name label)
    target: str | None = None
    kind: str = "other"
    unit: str = ""
    passing: Condition | None = None
    warning: Condition | None = None
    relative: RelativeCriterion | None = None
    weight: float = 1.0
    key: bool = False
    min_samples: int = 1
    samples_query: str | None = None
    on_no_data: str = "no_data"
    on_multi_series: str = "fail"
    on_no_baseline: str = "fail"
    abort_on_fail: bool = False
    sustained: float = 0.0
    live_window: float = 10.0
    live_query: str | None = None
    scenarios: tuple[str, ...] = ()
    description: str = ""

    def applies_to(self, scenario: str) -> bool:
        return not self.scenarios or scenario in self.scenarios


@dataclass(frozen=True)
class BaselineSpec:
    file: str | None = None
    testid: str | None = None
    last: int | None = None
    aggregate: str = "median"


@dataclass(frozen=True)
class RuleSet:
    path: str
    name: str
    objectives: tuple[Objective, ...]
    variables: Mapping[str, str] = field(default_factory=dict)
    score_pass: float | None = None
    score_warn: float | None = None
    levels: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_LEVELS))
    baseline: BaselineSpec | None = None
