"""The metric schema of docs/metrics.md: names, help, labels, buckets, and factories.

Generators only call the factories (`HttpMetrics(registry)`, `RunMetrics(registry)`,
`perfstack.metrics.health.GeneratorHealth(registry)`; the WebSocket families are served by
loadgen.ws.metrics with the buckets and quantile labels defined here); run identity labels
(testid, scenario, generator, instance) are added by the pusher, not here.

Latency buckets are geometric with ratio <= 1.05 from 1 ms to 30 s. histogram_quantile
interpolates linearly inside a bucket, so its estimate and the exact quantile lie in the
same bucket (lo, lo*r]: the relative error is below r - 1 = 5% whatever the distribution,
including point masses (a fixed-latency endpoint) where the estimate sits at lo + q(hi-lo).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

from perfstack.core.record import PERCENTILE_KEYS
from perfstack.metrics.batch_histogram import CORRECTED, CORRECTED_LABELS, BatchHistogram
from perfstack.metrics.families import Collector, CounterFamily
from perfstack.metrics.labelled import Counter, Gauge
from perfstack.metrics.registry import Registers

QUANTILES = tuple(PERCENTILE_KEYS)  # the quantiles every run publishes exactly
QUANTILE_LABELS = {q: ("1" if q == 1.0 else str(q)) for q in QUANTILES}
ERROR_TYPES = (
    "connection_refused",
    "connection_reset",
    "timeout",
    "dns",
    "http_4xx",
    "http_5xx",
    "tls",
    "in_flight_at_stop",
    "other",
)
OVERALL_NAME = "_overall_"
OTHER_NAME = "_other_"
NO_STATUS = "none"


def _floor_significant(value: float, digits: int) -> float:
    exponent = math.floor(math.log10(value)) - (digits - 1)
    mantissa = math.floor(value / 10.0**exponent + 1e-9)
    return float(f"{mantissa}e{exponent}")


def geometric_buckets(low: float, high: float, max_ratio: float) -> tuple[float, ...]:
    """Bounds from `low` up to the first one >= `high`, neighbours at most `max_ratio`
    apart, rounded down to 4 significant digits so `le` labels stay readable."""
    if not (0 < low < high and max_ratio > 1.001):
        raise ValueError("need 0 < low < high and max_ratio > 1.001")
    bounds = [_floor_significant(low, 4)]
    while bounds[-1] < high:
        bounds.append(_floor_significant(bounds[-1] * max_ratio, 4))
    return tuple(bounds)


# Sub-millisecond requests are counted but not resolved finely (loopback only).
# Starts just below 1 ms so that 1 ms itself sits in a bucket no wider than 5%.
LATENCY_BUCKETS = (0.0001, 0.00025, 0.0005, *geometric_buckets(0.00095, 30.0, 1.05), 60.0)
SESSION_BUCKETS = geometric_buckets(0.01, 3600.0, 1.25)  # WebSocket session lifetimes


class HttpMetrics:
    """HTTP request metrics. The duration histogram (which also serves
    loadgen_http_requests_total) is fed in batches by loadgen.locust.recorder."""

    def __init__(self, registry: Registers, buckets: tuple[float, ...] = LATENCY_BUCKETS) -> None:
        self.duration = BatchHistogram(buckets)
        registry.register(self.duration)
        # fed only when the run knows intended starts (arrival stages, paced users): a
        # second family, not a label, so every existing sum by (le) stays as it was
        self.corrected = BatchHistogram(buckets, CORRECTED, None, CORRECTED_LABELS)
        registry.register(self.corrected)
        self.failures = Counter(
            "loadgen_http_request_failures",
            "HTTP requests that failed, by error type.",
            ("name", "method", "error_type"),
            registry=registry,
        )
        self.users_active = Gauge(
            "loadgen_users_active", "Users running.", ("user_class",), registry=registry
        )
        self.run_quantiles = Gauge(
            "loadgen_http_request_duration_run_seconds",
            "Exact request duration quantiles over the whole run (published at run end).",
            ("name", "quantile"),
            registry=registry,
        )
        self.name_overflow = Counter(
            "loadgen_name_overflow",
            "Requests whose name was recorded as _other_ because the name cap was reached.",
            registry=registry,
        )

        self.corrected_run_quantiles = Gauge(
            "loadgen_http_request_corrected_duration_run_seconds",
            "Exact corrected request duration quantiles over the whole run (published at run end).",
            ("name", "quantile"),
            registry=registry,
        )

    def publish_run_quantiles(
        self, name: str, quantiles: dict[float, float], corrected: bool = False
    ) -> None:
        gauge = self.corrected_run_quantiles if corrected else self.run_quantiles
        for q, seconds in quantiles.items():
            gauge.labels(name, QUANTILE_LABELS[q]).set(seconds)


class ArrivalMetrics(Collector):
    """Arrival-rate runs: iterations due on the schedule so far and those dropped (no user
    free at the intended start), read from `counts()` -> (scheduled, dropped) at each
    collection. Only a process playing a schedule registers it."""

    def __init__(self, registry: Registers, counts: Callable[[], tuple[int, int]]) -> None:
        self._counts = counts
        registry.register(self)

    def describe(self) -> Iterator[Any]:
        return iter(())

    def collect(self) -> Iterator[Any]:
        scheduled, dropped = self._counts()
        yield CounterFamily(
            "loadgen_scheduled_iterations",
            "Iterations due on the arrival-rate schedule so far.",
            scheduled,
        )
        yield CounterFamily(
            "loadgen_dropped_iterations",
            "Iterations not started: no user was free at their intended start.",
            dropped,
        )


class RunMetrics:
    """Run identity: `loadgen_run_info` (= 1) and start/end timestamps."""

    def __init__(self, registry: Registers) -> None:
        self.info = Gauge(
            "loadgen_run_info",
            "Always 1; labels describe the run (testid, scenario, generator come from the pusher).",
            ("target", "user_classes"),
            registry=registry,
        )
        self.start = Gauge(
            "loadgen_run_start_timestamp_seconds", "Run start, Unix time.", registry=registry
        )
        self.end = Gauge(
            "loadgen_run_end_timestamp_seconds", "Run end, Unix time.", registry=registry
        )

    def started(self, target: str, user_classes: str, at: float) -> None:
        self.info.labels(target, user_classes).set(1)
        self.start.set(at)

    def ended(self, at: float) -> None:
        self.end.set(at)
