"""Pushes the gate's verdict back into Prometheus (remote write, generator="gate"), so alert
rules can notify on regressions and dashboards can show verdict history.

Metric names are listed in docs/metrics.md, "Gate verdicts". A push that fails is
reported on stderr but never changes the verdict or the exit code.
"""

from __future__ import annotations

import math
import time

from prometheus_client import CollectorRegistry, Gauge

from gate.verdicts import GateResult, Status
from perfstack.core.identity import RunIdentity
from perfstack.push.config import PushConfig
from perfstack.push.pusher import RemoteWritePusher


def verdict_registry(result: GateResult) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=True)
    value = Gauge(
        "gate_objective_value",
        "Measured value of each objective.",
        ["objective"],
        registry=registry,
    )
    threshold = Gauge(
        "gate_objective_threshold",
        "Absolute thresholds of each objective.",
        ["objective", "level"],
        registry=registry,
    )
    status = Gauge(
        "gate_objective_status",
        "1 for the objective's verdict, 0 for the others.",
        ["objective", "status"],
        registry=registry,
    )
    change = Gauge(
        "gate_objective_relative_change_ratio",
        "Relative change against the baseline.",
        ["objective"],
        registry=registry,
    )
    overall = Gauge(
        "gate_overall_status",
        "1 for the gate's verdict, 0 for the others.",
        ["status"],
        registry=registry,
    )
    Gauge("gate_score_ratio", "Weighted score of the gate, 0..1.", registry=registry).set(
        result.score
    )
    Gauge(
        "gate_evaluation_timestamp_seconds",
        "Time the run was judged at (its end).",
        registry=registry,
    ).set(result.evaluated_at)
    # Every gate check pushes as its own instance; the verdict alerts take the run's verdict
    # from the instance with the newest push time, so a re-judged run replaces its old verdict.
    Gauge(
        "gate_push_timestamp_seconds",
        "Time the verdict was pushed at: the newest push of a run is its verdict.",
        registry=registry,
    ).set(time.time())
    for entry in result.objectives:
        name = entry.objective.name
        if entry.value is not None:
            value.labels(name).set(entry.value)
        for level, condition in (
            ("pass", entry.objective.passing),
            ("warn", entry.objective.warning),
        ):
            limit = getattr(condition, "limit", None)
            if limit is not None and math.isfinite(limit):
                threshold.labels(name, level).set(limit)
        for candidate in Status:
            status.labels(name, str(candidate)).set(1.0 if entry.status is candidate else 0.0)
        if entry.baseline is not None and entry.baseline.change is not None:
            change.labels(name).set(entry.baseline.change)
    for candidate in Status:
        overall.labels(str(candidate)).set(1.0 if result.status is candidate else 0.0)
    return registry


def push_verdict(result: GateResult, remote_write_url: str, timeout: float = 5.0) -> bool:
    identity = RunIdentity.create(result.scenario, "gate", testid=result.testid)
    config = PushConfig(
        remote_write_url, labels=identity.labels(), timeout=timeout, self_metrics=False
    )
    pusher = RemoteWritePusher(verdict_registry(result), config)
    try:
        return pusher.flush(timeout)
    finally:
        pusher.stop(stale=False, timeout=timeout)
