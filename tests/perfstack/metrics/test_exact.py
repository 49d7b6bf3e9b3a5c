from __future__ import annotations

import math
import random
from collections import Counter

import pytest

from perfstack.metrics.exact import BIN_BOUNDS_US, HIGHEST_US, LatencyRecorder, nearest_rank
from perfstack.metrics.schema import QUANTILES


def _exact(q: float, ordered: list[float]) -> float:
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _samples() -> dict[str, list[float]]:
    rng = random.Random(42)
    n = 100_000
    return {
        "lognormal": [rng.lognormvariate(math.log(0.05), 1.0) for _ in range(n)],
        "exponential": [rng.expovariate(1 / 0.2) + 0.0005 for _ in range(n)],
        "uniform 1ms..30s": [rng.uniform(0.001, 30) for _ in range(n)],
        "bimodal": [rng.gauss(0.01, 0.001) if rng.random() < 0.9 else 3.0 for _ in range(n)],
    }


@pytest.mark.parametrize("name", list(_samples()))
def test_percentiles_within_1_percent_of_exact_over_100k_samples(name: str) -> None:
    values = _samples()[name]
    recorder = LatencyRecorder()
    for value in values:
        recorder.record(value)
    ordered = sorted(values)
    assert recorder.count == len(values)
    result = recorder.percentiles()
    assert set(result) == set(QUANTILES)
    for q, seconds in result.items():
        assert seconds == pytest.approx(_exact(q, ordered), rel=0.01), q


def test_merged_workers_equal_one_recorder_and_survive_encoding() -> None:
    rng = random.Random(1)
    values = [rng.lognormvariate(math.log(0.1), 0.7) for _ in range(30_000)]
    whole = LatencyRecorder()
    workers = [LatencyRecorder() for _ in range(3)]
    for i, value in enumerate(values):
        whole.record(value)
        workers[i % 3].record(value)
    merged = LatencyRecorder()
    for worker in workers:
        encoded = worker.encode()
        assert isinstance(encoded, str) and len(encoded) < 50_000
        merged.merge(LatencyRecorder.decode(encoded))
    assert merged.count == whole.count == 30_000
    assert merged.percentiles() == whole.percentiles()


def test_empty_recorder_has_no_percentiles_and_extremes_are_clamped() -> None:
    recorder = LatencyRecorder()
    assert recorder.percentiles() == {} and recorder.count == 0
    recorder.record(0.0)
    recorder.record(7200.0)
    assert recorder.clamped == 1 and recorder.count == 2
    assert recorder.percentile(1.0) == pytest.approx(HIGHEST_US / 1e6, rel=0.001)
    assert LatencyRecorder.decode(recorder.encode()).clamped == 1


def test_inline_recording_equals_hdrhistogram_record_value() -> None:
    from hdrh.histogram import HdrHistogram

    rng = random.Random(9)
    micros = [1, 2, 1023, 1024, 2047, 2048, 4095, 4096, 52_300, HIGHEST_US]
    micros += [int(rng.lognormvariate(10, 3)) % HIGHEST_US + 1 for _ in range(20_000)]
    reference = HdrHistogram(1, HIGHEST_US, 3)
    recorder = LatencyRecorder()
    for value in micros:
        reference.record_value(value)
        recorder.record(value / 1_000_000)
    assert recorder.count == reference.get_total_count()
    assert recorder.encode() == "0:" + reference.encode().decode("ascii")
    ordered = sorted(micros)
    for q in (0.5, 0.99):
        nearest = ordered[math.ceil(q * len(ordered)) - 1]
        assert recorder.percentile(q) == reference.get_highest_equivalent_value(nearest) / 1e6
    assert recorder.percentile(1.0) == reference.get_max_value() / 1e6


def test_a_decoded_recorder_keeps_recording() -> None:
    first = LatencyRecorder()
    first.record(0.5)
    copy = LatencyRecorder.decode(first.encode())
    copy.record(1.5)
    copy.merge(first)
    assert copy.count == 3
    assert copy.percentile(1.0) == pytest.approx(1.5, rel=0.001)
    assert copy.percentile(0.5) == pytest.approx(0.5, rel=0.001)


def test_batch_in_milliseconds_equals_hdrhistogram_record_value() -> None:
    from hdrh.histogram import HdrHistogram

    rng = random.Random(5)
    values_ms = [0.0, 0.0004, 1.0235, 2.047, 7_200_000.0, 7_200_000.0]
    values_ms += [rng.lognormvariate(0.5, 1.5) for _ in range(20_000)]
    values_ms += [1.5] * 300  # repeated values are counted once per occurrence
    reference = HdrHistogram(1, HIGHEST_US, 3)
    for value in values_ms:
        reference.record_value(min(HIGHEST_US, max(1, int(value * 1000.0 + 0.5))))
    recorder = LatencyRecorder()
    recorder.record_milliseconds(values_ms[:10_000])
    recorder.record_milliseconds([])
    recorder.record_milliseconds(values_ms[10_000:])
    assert recorder.count == len(values_ms)
    assert recorder.clamped == 2
    assert recorder.encode() == "2:" + reference.encode().decode("ascii")
    assert recorder.percentile(1.0) == reference.get_max_value() / 1e6
    assert recorder.percentile(0.0) == reference.get_min_value() / 1e6 == 0.000001
    one_by_one = LatencyRecorder()
    for value in values_ms:
        one_by_one.record(value / 1000.0)
    assert one_by_one.percentiles() == recorder.percentiles()


@pytest.mark.parametrize(
    ("values_ms", "expected_ms"),
    [
        # 11 slow requests of 1,070 (1.03%): p99 is a slow one (hdrh's rounded rank: fast)
        ([100.0] * 1059 + [1000.0] * 11, {0.5: 100.0, 0.9: 100.0, 0.99: 1000.0}),
        ([100.0] * 59 + [2000.0], {0.5: 100.0, 0.99: 2000.0, 1.0: 2000.0}),
        ([10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0], {0.5: 40.0, 0.9: 70.0, 0.0: 10.0}),
        ([float(ms) for ms in range(1, 101)], {0.5: 50.0, 0.9: 90.0, 0.95: 95.0, 0.99: 99.0}),
        ([5.0], {0.5: 5.0, 0.99: 5.0, 1.0: 5.0}),
    ],
)
def test_percentiles_are_the_nearest_rank_of_few_requests(
    values_ms: list[float], expected_ms: dict[float, float]
) -> None:
    recorder = LatencyRecorder()
    recorder.record_milliseconds(values_ms)
    result = recorder.percentiles(list(expected_ms))
    ordered = sorted(values_ms)
    for q, ms in expected_ms.items():
        assert _exact(q, ordered) == ms  # the test's own expectation is the exact one
        assert result[q] == pytest.approx(ms / 1000.0, rel=0.001), q


@pytest.mark.parametrize(("quantile", "count", "rank"), [
    (0.07, 100, 7), (0.29, 100, 29), (0.95, 20, 19), (0.99, 1070, 1060), (0.5, 1, 1),
    (0.001, 10, 1), (0.9, 11, 10),
])  # fmt: skip
def test_the_rank_is_the_ceiling_of_the_whole_number_the_product_stands_for(
    quantile: float, count: int, rank: int
) -> None:
    assert nearest_rank(quantile, count) == rank


def test_an_empty_recorder_has_no_single_percentile_either() -> None:
    with pytest.raises(ValueError, match="no latency recorded"):
        LatencyRecorder().percentile(0.5)


def test_bins_count_every_value_in_the_first_bin_bounding_it() -> None:
    recorder = LatencyRecorder()
    # 1 ms sits on a bound (its own bin); 1.1 ms in the next (1.25 ms); 4 h clamps to 1 h
    for seconds, times in ((0.001, 3), (0.0011, 2), (0.0012, 1), (0.7, 4), (4 * 3600, 1)):
        for _ in range(times):
            recorder.record(seconds)
    assert recorder.bins() == [[0.001, 3], [0.00125, 3], [0.8, 4], [3600.0, 1]]
    assert sum(count for _, count in recorder.bins()) == recorder.count == 11
    assert LatencyRecorder().bins() == []


def test_bins_agree_with_the_nearest_rank_percentiles() -> None:
    rng = random.Random(7)
    recorder = LatencyRecorder()
    for _ in range(5000):
        recorder.record(rng.lognormvariate(-4.5, 0.8))
    bins = recorder.bins()
    # the same, value by value: each non-empty slot's highest equivalent value, binned
    h, by_bin = recorder._sync(), Counter[float]()
    for index, times in enumerate(recorder._counts):
        if times:
            value = h.get_highest_equivalent_value(h.get_value_from_index(index))
            by_bin[next(b for b in BIN_BOUNDS_US if b >= value) / 1_000_000] += times
    assert bins == sorted([bound, count] for bound, count in by_bin.items())
    below = 0
    for quantile, seconds in recorder.percentiles().items():
        # the percentile's bin holds the rank: fewer values before it, at least as many with it
        at = next(i for i, (bound, _) in enumerate(bins) if bound >= seconds)
        below = sum(count for _, count in bins[:at])
        assert below < nearest_rank(quantile, 5000) <= below + bins[at][1], quantile
