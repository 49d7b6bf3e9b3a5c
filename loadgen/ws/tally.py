"""The generator's own counts: plain integers and bucket arrays touched on the hot path.

Nothing here takes a lock or allocates per message; `loadgen.ws.metrics` exposes the
same numbers to Prometheus at collection time, so what Prometheus stores and what the
run record says come from one place and cannot disagree.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter

from perfstack.core.record import PERCENTILE_KEYS
from perfstack.metrics.exact import LatencyRecorder
from perfstack.metrics.schema import LATENCY_BUCKETS, QUANTILE_LABELS, SESSION_BUCKETS


class Timings:
    """Cumulative buckets for Prometheus plus an HDR histogram for exact run percentiles."""

    __slots__ = ("_cache", "_exact", "bounds", "counts", "total")

    def __init__(self, bounds: tuple[float, ...], exact: bool = True) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)  # last slot: above every bound (+Inf only)
        self.total = 0.0
        self._exact = LatencyRecorder() if exact else None
        self._cache: tuple[int, dict[float, float], float] | None = None

    def observe(self, seconds: float) -> None:
        self.counts[bisect_left(self.bounds, seconds)] += 1
        self.total += seconds
        if self._exact is not None:
            self._exact.record(seconds)

    @property
    def count(self) -> int:
        return sum(self.counts)

    def cumulative(self) -> list[tuple[str, int]]:
        buckets, running = [], 0
        for bound, count in zip(self.bounds, self.counts, strict=False):
            running += count
            buckets.append((repr(bound), running))
        buckets.append(("+Inf", running + self.counts[-1]))
        return buckets

    def _exact_values(self) -> tuple[dict[float, float], float]:
        """HDR quantiles (computed once per count: each one scans the counts) and the mean.

        The mean comes from our own exact sum: HdrHistogram's walks every recorded value.
        """
        if self._exact is None or self._exact.count == 0:
            return {}, 0.0
        count = self._exact.count
        if self._cache is None or self._cache[0] != count:
            self._cache = (count, self._exact.percentiles(), self.total / count)
        return self._cache[1], self._cache[2]

    def quantiles(self) -> dict[str, float]:
        """{"0.5": seconds, ..., "1": max} for the `quantile` label; empty before any value."""
        return {QUANTILE_LABELS[q]: v for q, v in self._exact_values()[0].items()}

    def percentiles(self) -> dict[str, float]:
        """Run-record form: p50, p90, p95, p99, max and mean in seconds (3 significant digits)."""
        values, mean = self._exact_values()
        if not values:
            return {}
        result = {PERCENTILE_KEYS[q]: v for q, v in values.items()}
        result["mean"] = mean
        return result


class WsTally:
    def __init__(self) -> None:
        self.connect = Timings(LATENCY_BUCKETS)
        self.rtt = Timings(LATENCY_BUCKETS)
        self.session = Timings(SESSION_BUCKETS, exact=False)
        self.messages_sent = 0
        self.messages_received = 0
        self.bytes_sent = 0
        self.bytes_received = 0
        self.connect_attempts = 0
        self.connect_abandoned = 0  # still connecting when the run stopped
        self.connections_open = 0
        self.peak_open = 0
        self.sessions = 0
        self.reconnects = 0
        self.reply_timeouts = 0
        self.unmatched = 0
        self.disconnects_expected = 0
        self.disconnects_unexpected = 0
        self.errors: Counter[tuple[str, str]] = Counter()
        self.close_codes: Counter[int] = Counter()

    def opened(self, connect_seconds: float) -> None:
        self.connect.observe(connect_seconds)
        self.sessions += 1
        self.connections_open += 1
        if self.connections_open > self.peak_open:
            self.peak_open = self.connections_open

    def closed(self, unexpected: bool, session_seconds: float) -> None:
        self.connections_open -= 1
        self.session.observe(session_seconds)
        if unexpected:
            self.disconnects_unexpected += 1
        else:
            self.disconnects_expected += 1

    def error(self, phase: str, error_type: str) -> None:
        self.errors[(phase, error_type)] += 1

    @property
    def connect_errors(self) -> int:
        return sum(n for (phase, _), n in self.errors.items() if phase == "connect")

    def errors_by_phase(self) -> dict[str, dict[str, int]]:
        nested: dict[str, dict[str, int]] = {}
        for (phase, error_type), count in sorted(self.errors.items()):
            nested.setdefault(phase, {})[error_type] = count
        return nested
