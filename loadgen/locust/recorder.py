"""The per-request hot path of the Locust plugin, and the exact histograms per name and method.

A request costs one dict lookup and one list append (plus a tuple append when it
failed). About once a second, before each push, `flush()` folds the pending lists into
the Prometheus histogram (a sort and a bisect per bucket, see batch_histogram), the
per-(name, method) HdrHistograms, the name cap and the error classification. Greenlets never
preempt each other inside flush() or on_request(), so the hand-over needs no lock.
Exact histograms travel between processes as deltas (`take_deltas` / `merge_deltas`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Any

from gevent import getcurrent

from loadgen.locust.classify import classify
from loadgen.locust.lag import ATTRIBUTE as LAG_ATTRIBUTE
from loadgen.locust.names import OVERFLOW_NAME, AgreedNames, NameGuard
from perfstack.core.record import PERCENTILE_KEYS
from perfstack.metrics.batch_histogram import CEILING_MS
from perfstack.metrics.exact import LatencyRecorder
from perfstack.metrics.families import Collector
from perfstack.metrics.registry import Registers
from perfstack.metrics.schema import NO_STATUS, OVERALL_NAME, HttpMetrics

RawKey = tuple[str, str, int | None]  # name as Locust gave it, method, status code


class MethodTotals:
    """Exact latency histogram and failure count of one request name under one method."""

    __slots__ = ("corrected", "failures", "latency", "untimed")

    def __init__(self) -> None:
        self.latency = LatencyRecorder()
        self.failures = 0
        self.untimed = 0  # requests Locust reported without a usable response time
        # from each request's intended start (loadgen/locust/lag.py); None when the run
        # knows no intended starts
        self.corrected: LatencyRecorder | None = None

    def corrected_recorder(self) -> LatencyRecorder:
        if self.corrected is None:
            self.corrected = LatencyRecorder()
        return self.corrected

    @property
    def requests(self) -> int:
        return self.latency.count + self.untimed


class NameTotals:
    """One request name, kept apart per method as Locust's own stats keep GET and PUT of a
    name apart; the name's figures over every method are merged from them on demand."""

    __slots__ = ("methods",)

    def __init__(self) -> None:
        self.methods: dict[str, MethodTotals] = {}

    def of(self, method: str) -> MethodTotals:
        totals = self.methods.get(method)
        if totals is None:
            totals = self.methods[method] = MethodTotals()
        return totals

    @property
    def requests(self) -> int:
        return sum(totals.requests for totals in self.methods.values())

    @property
    def failures(self) -> int:
        return sum(totals.failures for totals in self.methods.values())

    @property
    def latency(self) -> LatencyRecorder:
        merged = LatencyRecorder()
        for totals in self.methods.values():
            merged.merge(totals.latency)
        return merged

    @property
    def corrected(self) -> LatencyRecorder | None:
        return merged_or_none(t.corrected for t in self.methods.values())


def merged_or_none(parts: Iterable[LatencyRecorder | None]) -> LatencyRecorder | None:
    """The corrected latencies merged, None when no part had any (the run knew no intended
    starts)."""
    present = [part for part in parts if part is not None]
    if not present:
        return None
    merged = LatencyRecorder()
    for part in present:
        merged.merge(part)
    return merged


class _FlushFirst(Collector):
    """Registered before every other collector: each push sees all requests so far."""

    def __init__(self, recorder: RequestRecorder) -> None:
        self._recorder = recorder

    def describe(self) -> Iterator[Any]:
        return iter(())

    def collect(self) -> Iterator[Any]:
        self._recorder.flush()
        return iter(())


class RequestRecorder:
    def __init__(self, registry: Registers, max_names: int, agreed_names: bool = False) -> None:
        """`agreed_names`: a Locust worker's recorder, whose master decides which names are
        admitted (names.AgreedNames); requests with a name not yet decided wait in the
        pending lists."""
        registry.register(_FlushFirst(self))
        self.metrics = HttpMetrics(registry)
        self.histogram = self.metrics.duration
        self.guard: NameGuard | AgreedNames = (AgreedNames if agreed_names else NameGuard)(
            max_names, on_overflow=self.metrics.name_overflow.inc
        )
        self.totals: dict[str, NameTotals] = {}
        self.errors_by_type: dict[str, int] = {}
        self._pending: dict[RawKey, list[float]] = {}
        self._pending_failures: list[tuple[str, str, int | None, BaseException]] = []
        self._failure_children: dict[tuple[str, str, str], Any] = {}
        # set when the run knows intended starts (arrival stages, paced users): each
        # request then also records its corrected latency
        self.correcting = False
        self._pending_corrected: dict[RawKey, list[float]] = {}

    def on_request(
        self,
        request_type: str,
        name: str,
        response_time: float,
        response_length: int = 0,
        response: Any = None,
        context: Any = None,
        exception: BaseException | None = None,
        start_time: float | None = None,
        url: str | None = None,
        **_: Any,
    ) -> None:
        """A Locust `request` event listener (response_time in milliseconds).

        Every argument Locust passes is named so the call builds no `**` dict."""
        key = (name, request_type, getattr(response, "status_code", None))
        pending = self._pending.get(key)
        if pending is None:
            pending = self._pending[key] = []
        pending.append(response_time)
        if exception is not None:
            self._pending_failures.append((name, request_type, key[2], exception))
        if self.correcting:
            lag = getattr(getcurrent(), LAG_ATTRIBUTE, None)
            corrected = self._pending_corrected.get(key)
            if corrected is None:
                corrected = self._pending_corrected[key] = []
            corrected.append(
                response_time if lag is None or response_time is None else response_time + lag
            )

    def flush(self) -> None:
        pending, self._pending = self._pending, {}
        failures, self._pending_failures = self._pending_failures, []
        corrected, self._pending_corrected = self._pending_corrected, {}
        for raw_key, values in pending.items():
            name, method, status_code = raw_key
            name, method = as_text(name), as_text(method)
            label = self.guard.resolve(name, count=len(values))
            if label is None:  # the master has not answered about this name yet
                self._pending.setdefault(raw_key, []).extend(values)
                continue
            status = str(status_code) if status_code else NO_STATUS
            totals, untimed = self._totals(label).of(method), 0
            try:
                totals.latency.record_milliseconds(values)
            except (TypeError, ValueError, OverflowError):  # records nothing when it raises
                timed = usable_times(values)
                untimed = len(values) - len(timed)
                totals.latency.record_milliseconds(timed)
                totals.untimed += untimed
                values = timed
            self.histogram.add_batch((label, method, status), values, untimed)
        for failure in failures:
            name, method, status_code, exception = failure
            name, method = as_text(name), as_text(method)
            label = self.guard.resolve(name, count=0)  # counted with its request above
            if label is None:
                self._pending_failures.append(failure)
                continue
            self._totals(label).of(method).failures += 1
            error_type = classify(exception, as_status(status_code))
            self.errors_by_type[error_type] = self.errors_by_type.get(error_type, 0) + 1
            key = (label, method, error_type)
            counter = self._failure_children.get(key)
            if counter is None:
                counter = self._failure_children[key] = self.metrics.failures.labels(*key)
            counter.inc()
        for raw_key, values in corrected.items():
            name, method = as_text(raw_key[0]), as_text(raw_key[1])
            label = self.guard.resolve(name, count=0)  # counted with its request above
            if label is None:
                self._pending_corrected.setdefault(raw_key, []).extend(values)
                continue
            timed = usable_times(values)
            self._totals(label).of(method).corrected_recorder().record_milliseconds(timed)
            self.metrics.corrected.add_batch((label, method), timed)

    def _totals(self, label: str) -> NameTotals:
        totals = self.totals.get(label)
        if totals is None:
            totals = self.totals[label] = NameTotals()
        return totals

    # -- distributed: workers send what they recorded since the last report ------------------
    def take_deltas(self) -> dict[str, Any]:
        """Histograms, failures and error types since the last call; resets what it returns.
        Names the master has not answered about are decided here (AgreedNames), so every
        request is in the deltas."""
        self.decide_waiting_names()
        self.flush()
        taken, self.totals = self.totals, {}
        errors, self.errors_by_type = self.errors_by_type, {}
        names = {
            name: {
                method: [t.latency.encode(), t.failures, t.untimed]
                + ([t.corrected.encode()] if t.corrected is not None else [])
                for method, t in totals.methods.items()
            }
            for name, totals in taken.items()
        }
        return {"names": names, "errors": errors}

    def decide_waiting_names(self) -> None:
        """On a worker, decide alone the names the master has not answered about yet, so
        the next flush folds every request (the run is ending)."""
        if isinstance(self.guard, AgreedNames):
            self.flush()
            if self.guard.undecided:
                self.guard.decide_alone()

    def merge_deltas(self, deltas: dict[str, Any]) -> None:
        for error_type, count in deltas.get("errors", {}).items():
            self.errors_by_type[error_type] = self.errors_by_type.get(error_type, 0) + int(count)
        for name, methods in deltas.get("names", {}).items():
            decoded = {
                method: (LatencyRecorder.decode(values[0]), int(values[1]), int(values[2]))
                for method, values in methods.items()
            }
            corrected = {
                method: LatencyRecorder.decode(values[3])
                for method, values in methods.items()
                if len(values) > 3
            }
            # each worker caps the names it saw first; the master caps their union the
            # same way, so the record keeps at most cap + 1 names
            if name != OVERFLOW_NAME:
                count = sum(latency.count + untimed for latency, _, untimed in decoded.values())
                label = self.guard.resolve(name, count=count)
                name = OVERFLOW_NAME if label is None else label  # None only on a worker
            totals = self._totals(name)
            for method, (latency, failures, untimed) in decoded.items():
                into = totals.of(method)
                into.latency.merge(latency)
                into.failures += failures
                into.untimed += untimed
                if method in corrected:
                    into.corrected_recorder().merge(corrected[method])

    def counts(self) -> tuple[int, int]:
        """(requests, failures) recorded so far, over every name (a master: merged so far)."""
        self.flush()
        totals = self.totals.values()
        return sum(t.requests for t in totals), sum(t.failures for t in totals)

    # -- run end ---------------------------------------------------------------------------
    def overall(self) -> LatencyRecorder:
        self.flush()
        merged = LatencyRecorder()
        for totals in self.totals.values():
            for method in totals.methods.values():
                merged.merge(method.latency)
        return merged

    def overall_corrected(self) -> LatencyRecorder | None:
        self.flush()
        methods = (method for totals in self.totals.values() for method in totals.methods.values())
        return merged_or_none(method.corrected for method in methods)

    def summary(self) -> tuple[dict[str, dict[str, Any]], dict[str, float]]:
        """Per-name {requests, failures, percentiles, methods} (`methods`: the same figures
        per method) and overall percentiles, keyed p50..max."""
        overall = self.overall()
        names = {
            name: {
                **figures(totals.requests, totals.failures, totals.latency, totals.corrected),
                "methods": {
                    method: figures(t.requests, t.failures, t.latency, t.corrected)
                    for method, t in sorted(totals.methods.items())
                },
            }
            for name, totals in sorted(self.totals.items())
        }
        return names, keyed(overall.percentiles())

    def publish_run_quantiles(self) -> None:
        overall = self.overall()
        for name, totals in self.totals.items():
            latency = totals.latency
            if latency.count:
                self.metrics.publish_run_quantiles(name, latency.percentiles())
        if overall.count:
            self.metrics.publish_run_quantiles(OVERALL_NAME, overall.percentiles())
        for name, totals in self.totals.items():
            corrected = totals.corrected
            if corrected is not None and corrected.count:
                self.metrics.publish_run_quantiles(name, corrected.percentiles(), corrected=True)
        overall_corrected = self.overall_corrected()
        if overall_corrected is not None and overall_corrected.count:
            self.metrics.publish_run_quantiles(
                OVERALL_NAME, overall_corrected.percentiles(), corrected=True
            )


def figures(
    requests: int,
    failures: int,
    latency: LatencyRecorder,
    corrected: LatencyRecorder | None = None,
) -> dict[str, Any]:
    result = {
        "requests": requests,
        "failures": failures,
        "percentiles": keyed(latency.percentiles()),
        "histogram": latency.bins(),
    }
    if corrected is not None and corrected.count:
        result["corrected_percentiles"] = keyed(corrected.percentiles())
    return result


def keyed(percentiles: dict[float, float]) -> dict[str, float]:
    return {PERCENTILE_KEYS[q]: value for q, value in percentiles.items()}


def as_text(value: object) -> str:
    """A label value: Locust's clients give strings, but a custom client firing the request
    event may give a number or None, or a name with a lone surrogate (undecodable bytes),
    which no UTF-8 exposition (push, /metrics, the record) could encode."""
    text = value if type(value) is str else str(value)
    if text.isascii():
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def as_status(value: object) -> int | None:
    """The HTTP status to classify a failure by: Locust's clients give an int (0 when no
    response arrived), a custom client may give text, which compares with no number."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value or None
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def usable_times(values_ms: list[Any]) -> list[float]:
    """The finite numbers among `values_ms`, none above CEILING_MS. Locust accepts a request
    event without a response time (None; its report counts them apart), and a custom
    client can report NaN: such requests count as requests but are not observed as
    latencies."""
    return [
        min(v, CEILING_MS) for v in values_ms if isinstance(v, int | float) and math.isfinite(v)
    ]
