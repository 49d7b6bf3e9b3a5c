from __future__ import annotations

import math
import random

import pytest

from loadgen.exact import HIGHEST_US, LatencyRecorder
from loadgen.schema import QUANTILES


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
