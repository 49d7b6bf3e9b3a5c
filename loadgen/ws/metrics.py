"""The WebSocket metrics of docs/metrics.md, read from a WsTally when Prometheus collects.

Buckets and quantile labels are those of perfstack.metrics.schema, served by a custom
collector instead of prometheus_client Counter/Histogram objects: the hot path then
only bumps integers (no lock per message: ~5 metric updates per message round trip), and
the pushed values are exactly the generator's own counts. Run-level exact percentiles
appear as `_run_seconds` gauges once `publish_run_percentiles()` is called at run end.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from loadgen.ws.tally import Timings, WsTally


class WsCollector(Collector):
    def __init__(self, tally: WsTally) -> None:
        self.tally = tally
        self._run_percentiles: dict[str, dict[str, float]] = {}

    def publish_run_percentiles(self) -> None:
        self._run_percentiles = {
            "connect_duration": self.tally.connect.quantiles(),
            "message_rtt": self.tally.rtt.quantiles(),
        }

    def collect(self) -> Iterator[Metric]:
        t = self.tally
        yield _histogram(
            "loadgen_ws_connect_duration_seconds", "WebSocket connect + handshake time", t.connect
        )
        yield _histogram("loadgen_ws_message_rtt_seconds", "Send to matching reply", t.rtt)
        yield _histogram("loadgen_ws_session_duration_seconds", "Connection lifetime", t.session)
        yield _counter("loadgen_ws_messages_sent", "Messages sent", t.messages_sent)
        yield _counter("loadgen_ws_messages_received", "Messages received", t.messages_received)
        yield _counter("loadgen_ws_bytes_sent", "Payload bytes sent", t.bytes_sent)
        yield _counter("loadgen_ws_bytes_received", "Payload bytes received", t.bytes_received)
        yield _counter("loadgen_ws_sessions", "Connections established", t.sessions)
        yield _counter(
            "loadgen_ws_reconnects", "Connections re-established after a loss", t.reconnects
        )
        yield _counter(
            "loadgen_ws_reply_timeouts", "Messages whose reply never came in time", t.reply_timeouts
        )
        yield _counter(
            "loadgen_ws_unmatched_replies", "Replies matching no pending message", t.unmatched
        )
        open_gauge = GaugeMetricFamily("loadgen_ws_connections_open", "Open WebSocket connections")
        open_gauge.add_metric([], t.connections_open)
        yield open_gauge
        disconnects = CounterMetricFamily(
            "loadgen_ws_disconnects", "Connections ended, by whether we asked", labels=["kind"]
        )
        disconnects.add_metric(["expected"], t.disconnects_expected)
        disconnects.add_metric(["unexpected"], t.disconnects_unexpected)
        yield disconnects
        errors = CounterMetricFamily(
            "loadgen_ws_connection_errors",
            "Errors by phase and type",
            labels=["phase", "error_type"],
        )
        for (phase, error_type), count in sorted(t.errors.items()):
            errors.add_metric([phase, error_type], count)
        yield errors
        for name, values in self._run_percentiles.items():
            gauge = GaugeMetricFamily(
                f"loadgen_ws_{name}_run_seconds",
                "Exact percentile over the whole run",
                labels=["quantile"],
            )
            for quantile, seconds in values.items():
                gauge.add_metric([quantile], seconds)
            yield gauge


def _counter(name: str, documentation: str, value: int) -> CounterMetricFamily:
    family = CounterMetricFamily(name, documentation)
    family.add_metric([], value)
    return family


def _histogram(name: str, documentation: str, timings: Timings) -> HistogramMetricFamily:
    family = HistogramMetricFamily(name, documentation)
    buckets = timings.cumulative()
    family.add_metric([], buckets, sum_value=timings.total)
    return family
