from __future__ import annotations

import math

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.utils import floatToGoString

from perfstack.metrics.families import (
    Collector,
    CounterFamily,
    GaugeFamily,
    HistogramFamily,
    go_float,
)
from perfstack.metrics.schema import LATENCY_BUCKETS, SESSION_BUCKETS


def _as_tuples(family: object) -> list[tuple[str, dict[str, str], float]]:
    return [(s.name, s.labels, s.value) for s in family.samples]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "value",
    [
        0.0,
        0.0001,
        0.00001,
        0.5,
        1.05,
        60.0,
        999999.0,
        1e6,
        1234567.0,
        1.5e9,
        -2.5,
        *LATENCY_BUCKETS,
    ],
)
def test_go_float_matches_prometheus_client(value: float) -> None:
    assert go_float(value) == floatToGoString(value)


def test_go_float_special_values_and_large_exponents() -> None:
    assert (go_float(math.inf), go_float(-math.inf), go_float(math.nan)) == ("+Inf", "-Inf", "NaN")
    assert go_float(1.5e12) == "1.5e+12"  # prometheus_client writes e+012 here
    assert go_float(-3e7) == "-3e+07"
    assert go_float(1e20) == "1e+20"
    assert [float(go_float(b)) for b in SESSION_BUCKETS] == list(SESSION_BUCKETS)


def test_counter_and_gauge_families_match_prometheus_client() -> None:
    ours, theirs = (
        CounterFamily("req_total", "h", labels=["a"]),
        CounterMetricFamily("req_total", "h", labels=["a"]),
    )
    for family in (ours, theirs):
        family.add_metric(["x"], 3)
        family.add_metric(["y"], 0)
    assert (ours.name, ours.type) == (theirs.name, theirs.type) == ("req", "counter")
    assert _as_tuples(ours) == _as_tuples(theirs)
    assert _as_tuples(CounterFamily("c", "h", 2.0)) == _as_tuples(
        CounterMetricFamily("c", "h", 2.0)
    )
    assert _as_tuples(GaugeFamily("g", "h", 7.5)) == _as_tuples(GaugeMetricFamily("g", "h", 7.5))


def test_histogram_family_matches_prometheus_client_in_order() -> None:
    buckets = [("0.1", 2.0), ("1.0", 5.0), ("+Inf", 6.0)]
    ours = HistogramFamily("lat_seconds", "h", labels=["n"])
    theirs = HistogramMetricFamily("lat_seconds", "h", labels=["n"])
    ours.add_metric(["a"], buckets, 3.25)
    theirs.add_metric(["a"], buckets, 3.25)
    assert _as_tuples(ours) == _as_tuples(theirs)
    assert _as_tuples(ours)[-2:] == [
        ("lat_seconds_count", {"n": "a"}, 6.0),
        ("lat_seconds_sum", {"n": "a"}, 3.25),
    ]


def test_wrong_label_count_is_refused() -> None:
    with pytest.raises(ValueError, match="expected labels"):
        GaugeFamily("g", "h", labels=["a", "b"]).add_metric(["only-one"], 1)


def test_prometheus_client_exposes_our_families_as_its_own() -> None:
    class Ours(Collector):
        def collect(self):  # type: ignore[no-untyped-def]
            counter = CounterFamily("jobs", "Jobs done.", labels=["kind"])
            counter.add_metric(["a"], 4)
            yield counter
            histogram = HistogramFamily("lat_seconds", "Latency.")
            histogram.add_metric([], [("0.5", 1.0), ("+Inf", 2.0)], 0.9)
            yield histogram

    class Theirs:
        def collect(self):  # type: ignore[no-untyped-def]
            counter = CounterMetricFamily("jobs", "Jobs done.", labels=["kind"])
            counter.add_metric(["a"], 4)
            yield counter
            histogram = HistogramMetricFamily("lat_seconds", "Latency.")
            histogram.add_metric([], [("0.5", 1.0), ("+Inf", 2.0)], 0.9)
            yield histogram

    ours, theirs = CollectorRegistry(), CollectorRegistry()
    ours.register(Ours())
    theirs.register(Theirs())
    assert generate_latest(ours) == generate_latest(theirs)
    assert b'jobs_total{kind="a"} 4.0' in generate_latest(ours)
