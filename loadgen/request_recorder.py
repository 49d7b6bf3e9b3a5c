"""The per-request hot path of the Locust plugin, and the per-name exact histograms.

One request costs: a name-guard set lookup, a dict lookup for the pre-bound histogram
child of (name, method, status), one observe, one HdrHistogram record. Failures add an
error classification and a counter increment (rarer, so a prometheus_client counter).
Exact histograms travel between processes as deltas (`take_deltas` / `merge_deltas`).
"""

from __future__ import annotations

from typing import Any

from loadgen.errors_classify import classify
from loadgen.exact import LatencyRecorder
from loadgen.names import NameGuard
from loadgen.schema import NO_STATUS, OVERALL_NAME, HttpMetrics
from loadgen.schema import QUANTILES as QUANTILES

PERCENTILE_KEYS = {0.5: "p50", 0.9: "p90", 0.95: "p95", 0.99: "p99", 1.0: "max"}


class NameTotals:
    """Exact latency histogram and failure count of one request name."""

    __slots__ = ("failures", "latency")

    def __init__(self) -> None:
        self.latency = LatencyRecorder()
        self.failures = 0


class RequestRecorder:
    def __init__(self, metrics: HttpMetrics, guard: NameGuard) -> None:
        self.metrics = metrics
        self.guard = guard
        self.totals: dict[str, NameTotals] = {}
        self.errors_by_type: dict[str, int] = {}
        self._children: dict[tuple[str, str, str], Any] = {}
        self._failure_children: dict[tuple[str, str, str], Any] = {}

    def on_request(
        self,
        request_type: str,
        name: str,
        response_time: float,
        response: Any = None,
        exception: BaseException | None = None,
        **_: Any,
    ) -> None:
        """A Locust `request` event listener (response_time in milliseconds)."""
        seconds = response_time / 1000.0
        status_code = getattr(response, "status_code", None) or None
        status = str(status_code) if status_code else NO_STATUS
        label_name = self.guard.resolve(name)
        key = (label_name, request_type, status)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self.metrics.child(label_name, request_type, status)
        child.observe(seconds)
        totals = self.totals.get(label_name)
        if totals is None:
            totals = self.totals[label_name] = NameTotals()
        totals.latency.record(seconds)
        if exception is not None:
            totals.failures += 1
            self._count_failure(label_name, request_type, classify(exception, status_code))

    def _count_failure(self, label_name: str, method: str, error_type: str) -> None:
        self.errors_by_type[error_type] = self.errors_by_type.get(error_type, 0) + 1
        key = (label_name, method, error_type)
        counter = self._failure_children.get(key)
        if counter is None:
            counter = self._failure_children[key] = self.metrics.failures.labels(*key)
        counter.inc()

    # -- distributed: workers send what they recorded since the last report ------------------
    def take_deltas(self) -> dict[str, Any]:
        """Histograms, failures and error types since the last call; resets what it returns."""
        taken, self.totals = self.totals, {}
        errors, self.errors_by_type = self.errors_by_type, {}
        names = {name: [t.latency.encode(), t.failures] for name, t in taken.items()}
        return {"names": names, "errors": errors}

    def merge_deltas(self, deltas: dict[str, Any]) -> None:
        for error_type, count in deltas.get("errors", {}).items():
            self.errors_by_type[error_type] = self.errors_by_type.get(error_type, 0) + int(count)
        for name, (encoded, failures) in deltas.get("names", {}).items():
            totals = self.totals.get(name)
            if totals is None:
                totals = self.totals[name] = NameTotals()
            totals.latency.merge(LatencyRecorder.decode(encoded))
            totals.failures += int(failures)

    # -- run end ---------------------------------------------------------------------------
    def overall(self) -> LatencyRecorder:
        merged = LatencyRecorder()
        for totals in self.totals.values():
            merged.merge(totals.latency)
        return merged

    def summary(self) -> tuple[dict[str, dict[str, Any]], dict[str, float]]:
        """Per-name {requests, failures, percentiles} and overall percentiles, keyed p50..max."""
        names = {
            name: {
                "requests": totals.latency.count,
                "failures": totals.failures,
                "percentiles": keyed(totals.latency.percentiles()),
            }
            for name, totals in sorted(self.totals.items())
        }
        return names, keyed(self.overall().percentiles())

    def publish_run_quantiles(self) -> None:
        for name, totals in self.totals.items():
            if totals.latency.count:
                self.metrics.publish_run_quantiles(name, totals.latency.percentiles())
        overall = self.overall()
        if overall.count:
            self.metrics.publish_run_quantiles(OVERALL_NAME, overall.percentiles())


def keyed(percentiles: dict[float, float]) -> dict[str, float]:
    return {PERCENTILE_KEYS[q]: value for q, value in percentiles.items()}
