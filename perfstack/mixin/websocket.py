"""WebSocket: connections, connect time, round trips, message rates, errors, disconnects."""

from __future__ import annotations

from typing import Any

from perfstack.mixin import config as c
from perfstack.mixin import recording as r
from perfstack.mixin import thresholds as levels
from perfstack.mixin.dashboard import dashboard
from perfstack.mixin.panels import layout, or_zero, query, row, stat, sum_rate, timeseries

T = c.TESTID
RATE = "$__rate_interval"


def _quantiles(metric: str, legend: str) -> list[dict[str, Any]]:
    buckets = f"sum by (testid, le) (rate({metric}_bucket{{{T}}}[{RATE}]))"
    return [
        query(
            f"histogram_quantile({q}, {buckets})", f"{{{{testid}}}} {legend} p{int(float(q) * 100)}"
        )
        for q in r.QUANTILES
    ]


def _zero_when_quiet(expr: str, label: str | None = None) -> str:
    """Counters that only appear on the first error read 0 while the WebSocket run is on."""
    return or_zero(expr, f'max by (testid) (loadgen_run_info{{{T}, generator="ws"}})', label)


def build() -> dict[str, Any]:
    rows = [
        [
            (stat("Open connections", query(f"sum({r.WS_CONNECTIONS_OPEN}{{{T}}})")), 6),
            (stat("Messages sent/s", query(f"sum({r.WS_SENT_RATE}{{{T}}})"), unit="ops"), 6),
            (
                stat(
                    "RTT p95",
                    query(f'max({r.WS_RTT_QUANTILE}{{{T}, quantile="0.95"}})'),
                    unit="s",
                    level=levels.line("ws_rtt_p95", None),
                    description="Red from the ws_rtt_p95 pass level of the loaded rule files",
                ),
                6,
            ),
            (
                stat(
                    "Unexpected disconnects/s",
                    query(f"sum({r.WS_UNEXPECTED_DISCONNECTS_RATE}{{{T}}})"),
                    unit="ops",
                    red_at=c.WS_UNEXPECTED_DISCONNECTS_PER_SECOND_MAX,
                ),
                6,
            ),
        ],
        [(row("Connections"), 24)],
        [
            (
                timeseries(
                    "Open connections", [query(f"{r.WS_CONNECTIONS_OPEN}{{{T}}}", "{{testid}}")]
                ),
                8,
            ),
            (
                timeseries(
                    "Connects per second",
                    [
                        query(
                            sum_rate("loadgen_ws_connect_duration_seconds_count"),
                            "{{testid}}",
                        )
                    ],
                    unit="ops",
                ),
                8,
            ),
            (
                timeseries(
                    "Connect time",
                    _quantiles("loadgen_ws_connect_duration_seconds", "connect"),
                    unit="s",
                ),
                8,
            ),
        ],
        [(row("Messages"), 24)],
        [
            (
                timeseries(
                    "Round-trip time",
                    [query(f"{r.WS_RTT_QUANTILE}{{{T}}}", "{{testid}} p{{quantile}}")],
                    unit="s",
                    level=levels.line("ws_rtt_p95", None),
                    description="Dashed red line: the ws_rtt_p95 pass level of the loaded rule "
                    "files (the strictest); none without a rule file",
                ),
                12,
            ),
            (
                timeseries(
                    "Messages per second",
                    [
                        query(f"{r.WS_SENT_RATE}{{{T}}}", "{{testid}} out"),
                        query(f"{r.WS_RECEIVED_RATE}{{{T}}}", "{{testid}} in"),
                    ],
                    unit="ops",
                ),
                12,
            ),
        ],
        [(row("Errors"), 24)],
        [
            (
                timeseries(
                    "Connection errors by phase",
                    [
                        query(
                            _zero_when_quiet(
                                sum_rate("loadgen_ws_connection_errors_total", "testid, phase"),
                                "phase",
                            ),
                            "{{testid}} {{phase}}",
                        )
                    ],
                    unit="ops",
                    stacked=True,
                ),
                8,
            ),
            (
                timeseries(
                    "Disconnects",
                    [
                        query(
                            _zero_when_quiet(
                                sum_rate("loadgen_ws_disconnects_total", "testid, kind"),
                                "kind",
                            ),
                            "{{testid}} {{kind}}",
                        )
                    ],
                    unit="ops",
                    red_at=c.WS_UNEXPECTED_DISCONNECTS_PER_SECOND_MAX,
                ),
                8,
            ),
            (
                timeseries(
                    "Reply timeouts and reconnects",
                    [
                        query(
                            _zero_when_quiet(sum_rate("loadgen_ws_reply_timeouts_total")),
                            "{{testid}} reply timeouts",
                        ),
                        query(
                            _zero_when_quiet(sum_rate("loadgen_ws_reconnects_total")),
                            "{{testid}} reconnects",
                        ),
                    ],
                    unit="ops",
                ),
                8,
            ),
        ],
    ]
    return dashboard(
        uid=c.UID_WEBSOCKET,
        title="Perfstack / WebSocket",
        description="WebSocket load of the selected runs.",
        panels=layout(rows),
    )
