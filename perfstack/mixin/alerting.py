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
            "The generator's CPU has been above 90% of a core: the latency it measures "
            "includes its own queueing, so the run's results are unreliable.",
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


def after_run() -> list[dict[str, Any]]:
    return [
        _alert(
            "GateFailed",
            'max by (testid, scenario) (gate_overall_status{status="FAIL"}) == 1',
            c.GATE_ALERT_FOR,
            "critical",
            "Gate failed for run {{ $labels.testid }}",
            "The gate's verdict for run {{ $labels.testid }} (scenario "
            "{{ $labels.scenario }}) is FAIL: at least one objective missed its threshold.",
            "verdict",
        ),
        _alert(
            "GateRegression",
            "max by (testid, scenario, objective) (gate_objective_relative_change_ratio)"
            " and on (testid, objective) (max by (testid, objective) "
            '(gate_objective_status{status="FAIL"}) == 1)',
            c.GATE_ALERT_FOR,
            "critical",
            "Run {{ $labels.testid }} regressed on {{ $labels.objective }}",
            "Objective {{ $labels.objective }} failed against the baseline: it changed by "
            "{{ $value | humanizePercentage }}.",
            "verdict",
        ),
        _alert(
            "GateWarning",
            'max by (testid, scenario) (gate_overall_status{status="WARN"}) == 1',
            c.GATE_ALERT_FOR,
            "warning",
            "Gate warned for run {{ $labels.testid }}",
            "The gate's verdict is WARN: an objective is between its warn and fail levels.",
            "verdict",
        ),
        _alert(
            "GateInconclusive",
            'max by (testid, scenario, status) (gate_overall_status{status=~"NO_DATA|ERROR"}) == 1',
            c.GATE_ALERT_FOR,
            "warning",
            "Gate could not judge run {{ $labels.testid }} ({{ $labels.status }})",
            "The gate found no data or a query error: the run is neither passed nor failed.",
            "verdict",
        ),
    ]


def alert_groups() -> list[dict[str, Any]]:
    return [
        {"name": "perfstack-during-run", "rules": during_run()},
        {"name": "perfstack-verdict", "rules": after_run()},
    ]
