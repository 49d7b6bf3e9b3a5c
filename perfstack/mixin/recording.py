"""Recording rules (`level:metric:operation`) shared by dashboards, the gate and the alerts.

Every rule aggregates the generator instances of a run away (`sum by (testid)`): a run
with four Locust workers is one run. Rates that would be empty when nothing happened
(no failures, no disconnects) fall back to 0 for runs that are sending traffic, so "no
errors" reads 0 and "no run" stays empty.
"""

from __future__ import annotations

from typing import Any

from perfstack.mixin.config import RULE_WINDOW

W = RULE_WINDOW
QUANTILES = ("0.5", "0.95", "0.99")

HTTP_REQUESTS_RATE = f"testid:loadgen_http_requests:rate{W}"
HTTP_FAILURES_RATE = f"testid:loadgen_http_request_failures:rate{W}"
HTTP_ERROR_RATIO = f"testid:loadgen_http_request_failures:ratio_rate{W}"
HTTP_DURATION_BUCKETS = f"testid_le:loadgen_http_request_duration_seconds_bucket:rate{W}"
HTTP_DURATION_QUANTILE = (
    f"testid_quantile:loadgen_http_request_duration_seconds:histogram_quantile{W}"
)

# Open model (docs/http-load.md): iterations of arrival-rate runs, and latency from each
# request's intended start (arrival-rate runs and users paced by constant_pacing /
# constant_throughput). Only such runs have these series, so a closed run's panels stay empty.
ITERATIONS_SCHEDULED_RATE = f"testid:loadgen_scheduled_iterations:rate{W}"
ITERATIONS_DROPPED_RATE = f"testid:loadgen_dropped_iterations:rate{W}"
ITERATIONS_DROPPED_RATIO = f"testid:loadgen_dropped_iterations:ratio_rate{W}"
HTTP_CORRECTED_BUCKETS = f"testid_le:loadgen_http_request_corrected_duration_seconds_bucket:rate{W}"
HTTP_CORRECTED_QUANTILE = (
    f"testid_quantile:loadgen_http_request_corrected_duration_seconds:histogram_quantile{W}"
)

WS_CONNECTIONS_OPEN = "testid:loadgen_ws_connections_open:sum"
WS_SENT_RATE = f"testid:loadgen_ws_messages_sent:rate{W}"
WS_RECEIVED_RATE = f"testid:loadgen_ws_messages_received:rate{W}"
WS_UNEXPECTED_DISCONNECTS_RATE = f"testid:loadgen_ws_unexpected_disconnects:rate{W}"
WS_RTT_BUCKETS = f"testid_le:loadgen_ws_message_rtt_seconds_bucket:rate{W}"
WS_RTT_QUANTILE = f"testid_quantile:loadgen_ws_message_rtt_seconds:histogram_quantile{W}"

RUN_SILENCE = "testid_generator:loadgen_run_info:age_seconds"
RUN_SILENCE_EXPR = "time() - max by (testid, generator) (timestamp(loadgen_run_info))"

HTTP_TRAFFIC = f"sum by (testid) (rate(loadgen_http_requests_total[{W}]))"


HTTP_BUCKET_SERIES = "loadgen_http_request_duration_seconds_bucket"
CORRECTED_BUCKET_SERIES = "loadgen_http_request_corrected_duration_seconds_bucket"
UNEXPECTED_DISCONNECTS = 'loadgen_ws_disconnects_total{kind="unexpected"}'


def _rate(series: str) -> str:
    return f"rate({series}[{W}])"


def _quantile_rules(record: str, buckets: str) -> list[dict[str, Any]]:
    return [
        {"record": record, "expr": f"histogram_quantile({q}, {buckets})", "labels": {"quantile": q}}
        for q in QUANTILES
    ]


def recording_groups() -> list[dict[str, Any]]:
    http = [
        {"record": HTTP_REQUESTS_RATE, "expr": HTTP_TRAFFIC},
        {
            "record": HTTP_FAILURES_RATE,
            "expr": f"sum by (testid) (rate(loadgen_http_request_failures_total[{W}]))"
            f" or 0 * {HTTP_TRAFFIC}",
        },
        {
            "record": HTTP_ERROR_RATIO,
            "expr": f"{HTTP_FAILURES_RATE} / {HTTP_REQUESTS_RATE} > -1",
        },  # drops NaN of 0/0
        {
            "record": HTTP_DURATION_BUCKETS,
            "expr": f"sum by (testid, le) ({_rate(HTTP_BUCKET_SERIES)})",
        },
        # Corrected latency is evaluated in this group, right after the observed buckets,
        # not in the open-model group: every group evaluates at its own offset within the
        # interval and stamps its results with it, so from two groups a panel compares the
        # observed estimate of one moment with the corrected one of up to an interval
        # later or earlier, and early in a run (a few requests, the estimate moving fast)
        # the corrected read far below the observed (issue 26, docs/http-load.md). Cost
        # per open-model or paced run: 220 bucket rates (one per `le`) and 3 quantiles; a
        # closed run without pacing adds none (its source series do not exist).
        {
            "record": HTTP_CORRECTED_BUCKETS,
            "expr": f"sum by (testid, le) ({_rate(CORRECTED_BUCKET_SERIES)})",
        },
        *_quantile_rules(HTTP_DURATION_QUANTILE, HTTP_DURATION_BUCKETS),
        *_quantile_rules(HTTP_CORRECTED_QUANTILE, HTTP_CORRECTED_BUCKETS),
    ]
    # Cost per arrival-rate run: 3 iteration series.
    open_model = [
        {
            "record": ITERATIONS_SCHEDULED_RATE,
            "expr": f"sum by (testid) ({_rate('loadgen_scheduled_iterations_total')})",
        },
        {
            # the dropped counter is exported from the run's start (0), beside the scheduled
            "record": ITERATIONS_DROPPED_RATE,
            "expr": f"sum by (testid) ({_rate('loadgen_dropped_iterations_total')})",
        },
        {
            "record": ITERATIONS_DROPPED_RATIO,
            "expr": f"{ITERATIONS_DROPPED_RATE} / {ITERATIONS_SCHEDULED_RATE} > -1",
        },  # drops NaN of 0/0
    ]
    ws_open = "sum by (testid) (loadgen_ws_connections_open)"
    websocket = [
        {"record": WS_CONNECTIONS_OPEN, "expr": ws_open},
        {
            "record": WS_SENT_RATE,
            "expr": f"sum by (testid) (rate(loadgen_ws_messages_sent_total[{W}]))",
        },
        {
            "record": WS_RECEIVED_RATE,
            "expr": f"sum by (testid) (rate(loadgen_ws_messages_received_total[{W}]))",
        },
        {
            "record": WS_UNEXPECTED_DISCONNECTS_RATE,
            "expr": f"sum by (testid) ({_rate(UNEXPECTED_DISCONNECTS)}) or 0 * {ws_open}",
        },
        {
            "record": WS_RTT_BUCKETS,
            "expr": f"sum by (testid, le) (rate(loadgen_ws_message_rtt_seconds_bucket[{W}]))",
        },
        *_quantile_rules(WS_RTT_QUANTILE, WS_RTT_BUCKETS),
    ]
    run = [
        # Seconds since a generator last pushed anything for the run: remote write has no
        # scrape to fail, so silence is the only sign that a generator or the pipeline died.
        {
            "record": RUN_SILENCE,
            "expr": RUN_SILENCE_EXPR,
        },
    ]
    return [
        {"name": "perfstack-http", "rules": http},
        {"name": "perfstack-open-model", "rules": open_model},
        {"name": "perfstack-websocket", "rules": websocket},
        {"name": "perfstack-run", "rules": run},
    ]
