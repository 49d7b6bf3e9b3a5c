"""The HTTP duration histogram, fed in batches: `loadgen_http_request_duration_seconds`
plus `loadgen_http_requests_total` (its count under a counter name, equal by construction).

The plugin appends each response time to a list and hands the lists over about once a
second. Sorting a batch (C code) and finding each bucket bound with a bisect costs a few
microseconds per *bucket* per batch, instead of a bisect and a lock per *request*.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from typing import Any

from perfstack.metrics.families import (
    Collector,
    CounterFamily,
    HistogramFamily,
    Sample,
    SeriesLabels,
    go_float,
)

DURATION = (
    "loadgen_http_request_duration_seconds",
    "HTTP request duration (response time) in seconds.",
)
REQUESTS = ("loadgen_http_requests", "HTTP requests completed, by status.")
LABELS = ("name", "method", "status")
CORRECTED = (
    "loadgen_http_request_corrected_duration_seconds",
    "HTTP request duration from the request's intended start (coordinated omission "
    "corrected), in seconds.",
)
CORRECTED_LABELS = ("name", "method")
# Response times (ms) are counted within [0, CEILING_MS]: a negative one (a custom client
# timing with a clock that stepped back) would make `_sum` fall, which rate() reads as a
# counter reset; the ceiling keeps a batch's sum finite (and converting it to us exact).
CEILING_MS = 1e12


class _Series:
    __slots__ = ("bucket_labels", "counts", "own_labels", "total", "untimed")

    def __init__(self, buckets: int) -> None:
        self.counts = [0] * buckets
        self.total = 0.0
        self.untimed = 0  # requests without a response time: counted, not observed
        # made at the first collect and kept, so a push builds no label dict per bucket:
        # one per bucket, and those of _count, _sum and the requests counter
        self.bucket_labels: list[SeriesLabels] = []
        self.own_labels: tuple[SeriesLabels, SeriesLabels, SeriesLabels] | None = None


class BatchHistogram(Collector):
    def __init__(
        self,
        buckets: Sequence[float],
        family: tuple[str, str] = DURATION,
        requests: tuple[str, str] | None = REQUESTS,
        labels: tuple[str, ...] = LABELS,
    ) -> None:
        """`requests`: the counter family sharing its count (None: the histogram alone)."""
        self._family, self._requests, self._labels = family, requests, labels
        bounds = sorted(float(b) for b in buckets if not math.isinf(float(b)))
        self._bounds_ms = [largest_ms_within(bound) for bound in bounds]
        self._le = [go_float(b) for b in (*bounds, math.inf)]
        self._series: dict[tuple[str, ...], _Series] = {}
        name = family[0]
        self._sample_names = (
            f"{name}_bucket",
            f"{name}_count",
            f"{name}_sum",
            f"{(requests or REQUESTS)[0]}_total",
        )

    def add_batch(self, key: tuple[str, ...], values_ms: list[float], untimed: int = 0) -> None:
        """Count `values_ms` (milliseconds, as Locust reports them; sorted and clamped to
        [0, CEILING_MS] in place), and `untimed` requests that had no response time in the
        request counter only."""
        if not values_ms and not untimed:
            return
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = _Series(len(self._le))
        series.untimed += untimed
        if not values_ms:
            return
        values_ms.sort()
        if values_ms[0] < 0.0 or values_ms[-1] > CEILING_MS:  # still sorted after clamping
            values_ms[:] = [min(max(value, 0.0), CEILING_MS) for value in values_ms]
        placed, total = 0, len(values_ms)
        counts = series.counts
        for index, bound in enumerate(self._bounds_ms):
            upto = bisect_right(values_ms, bound, placed)  # values <= bound: Prometheus `le`
            counts[index] += upto - placed
            placed = upto
            if placed == total:
                break
        counts[-1] += total - placed
        series.total += math.fsum(values_ms) / 1000.0

    def describe(self) -> Iterator[Any]:
        return iter(())  # names are declared in perfstack.metrics.schema / docs/metrics.md

    def collect(self) -> Iterator[Any]:
        if not self._series and self._requests is None:
            return  # never fed: no family at all (the corrected one in a plain run)
        histogram = HistogramFamily(*self._family, labels=self._labels)
        counter = CounterFamily(*(self._requests or REQUESTS), labels=self._labels)
        samples, counted = histogram.samples, counter.samples
        for key, series in list(self._series.items()):
            own_labels = series.own_labels or self._keep_labels(series, key)
            running = 0
            for labels, count in zip(series.bucket_labels, series.counts, strict=True):
                running += count
                samples.append(Sample(labels.key[0], labels, running))
            count_labels, sum_labels, requests_labels = own_labels
            samples.append(Sample(count_labels.key[0], count_labels, running))
            samples.append(Sample(sum_labels.key[0], sum_labels, series.total))
            total = running + series.untimed
            counted.append(Sample(requests_labels.key[0], requests_labels, total))
        yield histogram
        if self._requests is not None:
            yield counter

    def _keep_labels(
        self, series: _Series, key: tuple[str, ...]
    ) -> tuple[SeriesLabels, SeriesLabels, SeriesLabels]:
        labels = dict(zip(self._labels, key, strict=True))
        bucket, count, total, requests = self._sample_names
        series.bucket_labels = [SeriesLabels(bucket, {**labels, "le": le}) for le in self._le]
        series.own_labels = (
            SeriesLabels(count, labels),
            SeriesLabels(total, labels),
            SeriesLabels(requests, labels),
        )
        return series.own_labels


def largest_ms_within(bound: float) -> float:
    """The largest millisecond value v with v / 1000 <= `bound` (seconds): the bucket edge
    a value in milliseconds is compared with. `bound * 1000` can miss it by one float step
    (4.044 * 1000 is 4043.9999999999995, and 4044.0 ms is 4.044 s, inside `le="4.044"`)."""
    edge = bound * 1000.0
    while edge / 1000.0 > bound:
        edge = math.nextafter(edge, -math.inf)
    while math.nextafter(edge, math.inf) / 1000.0 <= bound:
        edge = math.nextafter(edge, math.inf)
    return edge
