"""A short, actionable next step for every objective that did not pass, by its kind.

The seeds' reports end with "recommendations"; these are the gate's. They point at the
place to look (a dashboard panel, a metric, a knob), never at a guess about the cause.
"""

from __future__ import annotations

from gate.verdicts import ObjectiveResult, Status

BY_KIND = {
    "latency": (
        "Latency over target: compare per-endpoint percentiles (dashboard 'HTTP latency by "
        "name') to find the slow request, then check the target's CPU and saturation."
    ),
    "errors": (
        "Errors over target: break failures down by error_type and name "
        "(loadgen_http_request_failures_total) and read the target's logs for that window."
    ),
    "throughput": (
        "Throughput below target: check generator saturation first (a saturated generator "
        "under-reports), then the target's latency; add users or workers if the target "
        "has headroom."
    ),
    "memory": (
        "Memory growth: run longer at constant load; a steady slope "
        "(exporter_target_resident_memory_bytes) that does not level off points to a leak."
    ),
    "cpu": "CPU over target: profile the target under the same load; compare with the baseline.",
    "websocket": (
        "WebSocket objective missed: look at loadgen_ws_connection_errors_total by phase and "
        "error_type and at unexpected disconnects; check the server's connection limit."
    ),
    "saturation": (
        "The load generator saturated: its numbers are not trustworthy. Add Locust workers "
        "(--workers) or lower the user count, then run again."
    ),
    "benchmark": (
        "Benchmark over target: compare its round histogram (pytest_benchmark_round_duration_"
        "seconds) with the baseline's to see whether every round slowed or a few outliers did; "
        "rerun it alone (pytest -k NAME --perfstack) to rule out a noisy machine."
    ),
    "other": "Objective missed: open the resolved query in Prometheus for the run's window.",
}

BY_STATUS = {
    Status.NO_DATA: (
        "No data: check that the run pushed metrics with this testid (perfstack status, the "
        "run record) and that the query's labels match; `perfstack gate lint` prints each query."
    ),
    Status.ERROR: (
        "Query error: run `perfstack gate lint RULES --prometheus URL` to see the resolved query "
        "and Prometheus' error; for connection errors check the Prometheus URL."
    ),
}


def recommend(result: ObjectiveResult) -> str:
    if result.status in (Status.PASS,):
        return ""
    if result.status in BY_STATUS:
        return BY_STATUS[result.status]
    text = BY_KIND.get(result.objective.kind, BY_KIND["other"])
    if result.baseline is not None and result.baseline.level not in ("none", ""):
        text = f"{result.baseline.level.capitalize()} regression against the baseline. {text}"
    return text
