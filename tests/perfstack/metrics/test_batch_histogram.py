"""The batch-fed duration histogram: bucket edges and the request counter."""

from __future__ import annotations

import math

import pytest
from prometheus_client import CollectorRegistry

from perfstack.metrics.batch_histogram import CEILING_MS, BatchHistogram, largest_ms_within
from perfstack.metrics.families import CounterFamily, HistogramFamily
from perfstack.metrics.schema import LATENCY_BUCKETS

KEY = ("/a", "GET", "200")
LABELS = {"name": "/a", "method": "GET", "status": "200"}


def histogram_with(values_ms: list[float], untimed: int = 0) -> CollectorRegistry:
    registry = CollectorRegistry()
    histogram = BatchHistogram(LATENCY_BUCKETS)
    registry.register(histogram)
    histogram.add_batch(KEY, list(values_ms), untimed)
    return registry


def bucket(registry: CollectorRegistry, le: str) -> float | None:
    return registry.get_sample_value(
        "loadgen_http_request_duration_seconds_bucket", {**LABELS, "le": le}
    )


@pytest.mark.parametrize("bound", [b for b in LATENCY_BUCKETS if not math.isinf(b)])
def test_a_value_on_a_bound_counts_in_that_bucket_as_its_seconds_would(bound: float) -> None:
    edge = largest_ms_within(bound)
    assert edge / 1000.0 <= bound < math.nextafter(edge, math.inf) / 1000.0


def test_4044_ms_is_inside_le_4_044() -> None:
    assert 4.044 * 1000.0 < 4044.0  # the naive edge would put it one bucket up
    registry = histogram_with([4044.0])
    assert bucket(registry, "4.044") == 1
    below = max(b for b in LATENCY_BUCKETS if b < 4.044)
    assert bucket(registry, repr(below)) == 0


def test_untimed_requests_count_as_requests_only() -> None:
    registry = histogram_with([5.0, 7.0], untimed=3)
    assert registry.get_sample_value("loadgen_http_requests_total", LABELS) == 5
    assert registry.get_sample_value("loadgen_http_request_duration_seconds_count", LABELS) == 2
    only_untimed = histogram_with([], untimed=2)
    assert only_untimed.get_sample_value("loadgen_http_requests_total", LABELS) == 2
    assert only_untimed.get_sample_value("loadgen_http_request_duration_seconds_count", LABELS) == 0


def test_a_negative_time_counts_as_zero_so_the_sum_never_falls() -> None:
    registry = histogram_with([4.0, -3000.0, 6.0])
    assert bucket(registry, "0.0001") == 1  # the negative one, as 0 s
    assert registry.get_sample_value(
        "loadgen_http_request_duration_seconds_sum", LABELS
    ) == pytest.approx(0.010)
    assert registry.get_sample_value("loadgen_http_requests_total", LABELS) == 3


def test_times_beyond_the_ceiling_count_at_it_and_keep_the_sum_finite() -> None:
    registry = histogram_with([1e300] + [1e305] * 2000 + [5.0])
    total = registry.get_sample_value("loadgen_http_request_duration_seconds_sum", LABELS)
    assert total == pytest.approx((2001 * CEILING_MS + 5.0) / 1000.0)
    assert bucket(registry, "+Inf") == 2002
    assert bucket(registry, "0.005197") == 1


def test_each_collect_gives_the_samples_a_histogram_family_would_with_labels_kept() -> None:
    histogram = BatchHistogram((0.001, 0.01))
    histogram.add_batch(KEY, [0.5, 2.0, 30.0])
    first = [list(family.samples) for family in histogram.collect()]
    histogram.add_batch(KEY, [5.0], untimed=2)
    second = [list(family.samples) for family in histogram.collect()]
    expected = HistogramFamily(
        "loadgen_http_request_duration_seconds", "", labels=("name", "method", "status")
    )
    expected.add_metric(KEY, [("0.001", 1), ("0.01", 3), ("+Inf", 4)], 0.0375)
    counted = CounterFamily("loadgen_http_requests", "", labels=("name", "method", "status"))
    counted.add_metric(KEY, 6)
    assert [(s.name, s.labels, s.value) for s in second[0]] == [
        (s.name, s.labels, s.value) for s in expected.samples
    ]
    assert [(s.name, s.labels, s.value) for s in second[1]] == [
        (s.name, s.labels, s.value) for s in counted.samples
    ]
    # the label objects are made once per series and kept, each carrying its series' key
    for before, after in zip(first[0] + first[1], second[0] + second[1], strict=True):
        assert after.labels is before.labels
        assert after.labels.key == (after.name, tuple(after.labels.items()))
