"""Alert rules: during a run (live signals) and after a run (the verdict the gate pushes).

Names are CamelCase with the one prefix in config.ALERT_PREFIX; each rule carries
severity, summary, description and a runbook_url whose anchor is a heading of
docs/runbook.md (the tests check every anchor exists).
"""

from __future__ import annotations

from typing import Any

from perfstack.mixin import config as c
from perfstack.mixin import recording as r

LEAK_SUSPECTED = "target:exporter_target_resident_memory_bytes:leak_suspected"  # memory.yml
VERDICT_PUSHED = "gate_push_timestamp_seconds"  # gate/feedback.py


def newest_verdict(selector: str) -> str:
    """The series of `selector` over the verdict window, from the newest verdict of each run.

    A verdict is one pushed sample, so it is read with last_over_time over
    config.GATE_VERDICT_WINDOW rather than Prometheus's 5 min lookback. Every `gate check`
    pushes as its own instance (host:pid): only the instance whose push time is the run's
    newest counts, so a later verdict (a re-judged run that passed) replaces an earlier
    FAIL at the next evaluation instead of a window later. Verdicts without a push time
    (pushed by an older gate) all count: a FAIL is never dropped for lack of one.
    """
    window = c.GATE_VERDICT_WINDOW
    value = f"last_over_time({selector}[{window}])"
    pushed = f"last_over_time({VERDICT_PUSHED}[{window}])"
    newest = f"{pushed} == on (testid) group_left max by (testid) ({pushed})"
    return (
        f"({value} and on (testid, instance) ({newest})) or ({value} unless on (testid) {pushed})"
    )


def runbook_anchor(alertname: str) -> str:
    return alertname.lower()


def _alert(
    name: str, expr: str, for_: str, severity: str, summary: str, description: str, phase: str
) -> dict[str, Any]:
    alertname = c.ALERT_PREFIX + name
    return {
        "alert": alertname,
        "expr": expr,
        "for": for_,
        "labels": {"severity": severity, "phase": phase},
        "annotations": {
            "summary": summary,
            "description": description,
            "runbook_url": f"{c.RUNBOOK_BASE}#{runbook_anchor(alertname)}",
        },
    }


def during_run() -> list[dict[str, Any]]:
    sla_ms = int(c.LATENCY_SLA_SECONDS * 1000)
    q = c.LATENCY_SLA_QUANTILE
    return [
        _alert(
            "LatencySLABreached",
            f'{r.HTTP_DURATION_QUANTILE}{{quantile="{q}"}} > {c.LATENCY_SLA_SECONDS}',
            c.LATENCY_SLA_FOR,
            "warning",
            f"p{int(q * 100)} latency of run {{{{ $labels.testid }}}} above {sla_ms} ms",
            f"p{int(q * 100)} HTTP latency over the last {c.RULE_WINDOW} is "
            "{{ $value | humanizeDuration }}, above the SLA of "
            f"{sla_ms} ms for {c.LATENCY_SLA_FOR}.",
            "run",
        ),
        _alert(
            "HighErrorRatio",
            f"{r.HTTP_ERROR_RATIO} > {c.ERROR_RATIO_MAX}",
            c.ERROR_RATIO_FOR,
            "critical",
            "Run {{ $labels.testid }} fails {{ $value | humanizePercentage }} of requests",
            f"More than {c.ERROR_RATIO_MAX:.0%} of HTTP requests failed over the last "
            f"{c.RULE_WINDOW} for {c.ERROR_RATIO_FOR}: the results describe errors, not "
            "the service's normal latency.",
            "run",
        ),
        _alert(
            "WebSocketDisconnectStorm",
            f"{r.WS_UNEXPECTED_DISCONNECTS_RATE} > {c.WS_UNEXPECTED_DISCONNECTS_PER_SECOND_MAX}",
            c.WS_DISCONNECT_STORM_FOR,
            "warning",
            "WebSocket connections of run {{ $labels.testid }} drop unexpectedly",
            "{{ $value | humanize }} unexpected disconnects per second over the last "
            f"{c.RULE_WINDOW} (limit {c.WS_UNEXPECTED_DISCONNECTS_PER_SECOND_MAX}/s).",
            "run",
        ),
        _alert(
            "MemoryLeakSuspected",
            f"{LEAK_SUSPECTED} == 1",
            c.MEMORY_LEAK_FOR,
            "warning",
            "Memory of {{ $labels.target }} keeps growing in run {{ $labels.testid }}",
            "Resident memory of target {{ $labels.target }} grows steadily above the leak "
            "slope threshold (prometheus/rules/memory.yml) and has not dropped back.",
            "run",
        ),
        _alert(
            "GeneratorSaturated",
            "max by (testid, generator, instance) (loadgen_generator_saturated) == 1",
            c.GENERATOR_SATURATED_FOR,
            "warning",
            "Load generator {{ $labels.instance }} of run {{ $labels.testid }} is saturated",
            "The generator's CPU has been above 90% of a core, or an arrival-rate run fell "
            "more than 5% behind its schedule: the latency it measures includes its own "
            "queueing, so the run's results are unreliable.",
            "run",
        ),
        _alert(
            "DroppedIterations",
            f"{r.ITERATIONS_DROPPED_RATIO} > {c.DROPPED_ITERATIONS_RATIO_MAX}",
            c.DROPPED_ITERATIONS_FOR,
            "warning",
            "Run {{ $labels.testid }} drops {{ $value | humanizePercentage }} of its iterations",
            f"More than {c.DROPPED_ITERATIONS_RATIO_MAX:.0%} of the iterations due on the "
            f"arrival-rate schedule over the last {c.RULE_WINDOW} found no free user, for "
            f"{c.DROPPED_ITERATIONS_FOR}: the run sends less than the rate it was asked for "
            "(max_users too small, or the target too slow for the pool), and the default "
            "gate preset fails it.",
            "run",
        ),
        _alert(
            "MetricsStopped",
            # The age itself, not the recorded series: rule groups are evaluated independently,
            # and the alert must not read an age one evaluation old.
            f"({r.RUN_SILENCE_EXPR}) > {c.METRICS_SILENCE_SECONDS} unless on (testid, generator) "
            "(max by (testid, generator) (loadgen_run_end_timestamp_seconds) > 0)",
            "0s",
            "critical",
            "No metrics from {{ $labels.generator }} of run {{ $labels.testid }}",
            "The run has not ended but nothing arrived from its {{ $labels.generator }} for "
            "{{ $value | humanizeDuration }}: the generator died or cannot push.",
            "run",
        ),
    ]


_OVERALL_FAIL = 'gate_overall_status{status="FAIL"}'
_OVERALL_WARN = 'gate_overall_status{status="WARN"}'
_OVERALL_INCONCLUSIVE = 'gate_overall_status{status=~"NO_DATA|ERROR"}'
_OBJECTIVE_FAIL = 'gate_objective_status{status="FAIL"}'


def after_run() -> list[dict[str, Any]]:
    return [
        _alert(
            "GateFailed",
            f"max by (testid, scenario) ({newest_verdict(_OVERALL_FAIL)}) == 1",
            c.GATE_ALERT_FOR,
            "critical",
            "Gate failed for run {{ $labels.testid }}",
            "The gate's verdict for run {{ $labels.testid }} (scenario "
            "{{ $labels.scenario }}) is FAIL: at least one objective missed its threshold.",
            "verdict",
        ),
        _alert(
            "GateRegression",
            "max by (testid, scenario, objective) "
            f"({newest_verdict('gate_objective_relative_change_ratio')})"
            " and on (testid, objective) (max by (testid, objective) "
            f"({newest_verdict(_OBJECTIVE_FAIL)}) == 1)",
            c.GATE_ALERT_FOR,
            "critical",
            "Run {{ $labels.testid }} regressed on {{ $labels.objective }}",
            "Objective {{ $labels.objective }} failed against the baseline: it changed by "
            "{{ $value | humanizePercentage }}.",
            "verdict",
        ),
        _alert(
            "GateWarning",
            f"max by (testid, scenario) ({newest_verdict(_OVERALL_WARN)}) == 1",
            c.GATE_ALERT_FOR,
            "warning",
            "Gate warned for run {{ $labels.testid }}",
            "The gate's verdict is WARN: an objective is between its warn and fail levels.",
            "verdict",
        ),
        _alert(
            "GateInconclusive",
            f"max by (testid, scenario, status) ({newest_verdict(_OVERALL_INCONCLUSIVE)}) == 1",
            c.GATE_ALERT_FOR,
            "warning",
            "Gate could not judge run {{ $labels.testid }} ({{ $labels.status }})",
            "The gate found no data or a query error: the run is neither passed nor failed.",
            "verdict",
        ),
    ]


CHANGE_RATIO = "perfstack_regression_change_ratio"  # perfstack/history/cli.py


def regressions() -> list[dict[str, Any]]:
    """One rule per severity tier, all named RegressionDetected: the tier is the size of the
    change for the worse (abs: throughput regresses with a negative ratio)."""
    change = (
        f"max by (scenario, sli, name, run_before, run_after) (abs(last_over_time({CHANGE_RATIO}"
        f'{{direction="worse"}}[{c.REGRESSION_WINDOW}])))'
    )
    tiers = (
        ("minor", f"{change} >= {c.REGRESSION_MINOR} < {c.REGRESSION_MAJOR}"),
        ("major", f"{change} >= {c.REGRESSION_MAJOR} <= {c.REGRESSION_CRITICAL_ABOVE}"),
        ("critical", f"{change} > {c.REGRESSION_CRITICAL_ABOVE}"),
    )
    return [
        _alert(
            "RegressionDetected",
            expr,
            c.GATE_ALERT_FOR,
            severity,
            "{{ $labels.scenario }} regressed on {{ $labels.sli }} by {{ $value | "
            "humanizePercentage }}",
            "A change point in the run history of {{ $labels.scenario }}: {{ $labels.sli }}"
            "{{ if $labels.name }} of {{ $labels.name }}{{ end }} changed for the worse by "
            "{{ $value | humanizePercentage }} between run {{ $labels.run_before }} and run "
            "{{ $labels.run_after }} (perfstack regressions).",
            "history",
        )
        for severity, expr in tiers
    ]


def alert_groups() -> list[dict[str, Any]]:
    return [
        {"name": "perfstack-during-run", "rules": during_run()},
        {"name": "perfstack-verdict", "rules": after_run()},
        {"name": "perfstack-regressions", "rules": regressions()},
    ]
