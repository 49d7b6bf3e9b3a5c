"""The benchmark families: a sparse stretch of one bucket ladder that still holds every
round, chunks of consecutive rounds, and a cap that turns benchmarks away rather than
merging them."""

from __future__ import annotations

import math
import random

import pytest

from perfstack.metrics.benchmarks import (
    ROUND_BUCKETS,
    BenchmarkMetrics,
    BenchmarkResult,
    chunks,
    round_buckets,
)
from perfstack.metrics.registry import Registry


def result(name: str, data: list[float]) -> BenchmarkResult:
    mean = sum(data) / len(data)
    return BenchmarkResult(
        name=name, fullname=f"t.py::{name}", group="", min=min(data), max=max(data),
        mean=mean, stddev=0.0, median=sorted(data)[len(data) // 2], iqr=0.0, ops=1 / mean,
        rounds=len(data), iterations=1, data=tuple(data),
    )  # fmt: skip


def test_round_buckets_cover_every_round_from_a_bound_below_the_fastest() -> None:
    rng = random.Random(7)
    data = [rng.lognormvariate(math.log(0.002), 0.3) for _ in range(500)]
    pairs = round_buckets(data)
    bounds = [float(le) for le, _ in pairs[:-1]]
    assert pairs[0][1] == 0 and bounds[0] < min(data)  # the lowest bucket's lower edge is known
    assert bounds[-1] >= max(data) and pairs[-2][1] == len(data) == pairs[-1][1]
    assert set(bounds) <= set(ROUND_BUCKETS) and len(bounds) < 60  # a stretch, not ~470
    for le, count in pairs[:-1]:
        assert count == sum(1 for value in data if value <= float(le))


def test_a_round_equal_to_a_bound_is_counted_in_it() -> None:
    bound = ROUND_BUCKETS[200]
    pairs = dict(round_buckets([bound, bound]))
    assert pairs[repr(bound)] == 2


@pytest.mark.parametrize(
    ("rounds", "sizes"), [(3, [1, 1, 1]), (61, [3] + [2] * 29), (30, [1] * 30)]
)
def test_chunks_are_consecutive_and_even(rounds: int, sizes: list[int]) -> None:
    data = [float(i) for i in range(rounds)]
    parts = chunks(data)
    assert [len(p) for p in parts] == sizes
    assert [v for part in parts for v in part] == data


def test_collected_families_carry_the_results_unchanged() -> None:
    registry = Registry()
    metrics = BenchmarkMetrics()
    registry.register(metrics)
    metrics.add(result("a", [0.001, 0.003, 0.002]))
    labels = {"name": "a", "fullname": "t.py::a", "group": ""}
    assert registry.get_sample_value("pytest_benchmark_mean_seconds", labels) == 0.002
    assert registry.get_sample_value("pytest_benchmark_rounds", labels) == 3
    assert registry.get_sample_value("pytest_benchmark_round_duration_seconds_count", labels) == 3
    assert (
        registry.get_sample_value(
            "pytest_benchmark_chunk_median_seconds", {**labels, "chunk": "01"}
        )
        == 0.003
    )


def test_the_cap_turns_new_benchmarks_away_and_counts_them() -> None:
    metrics = BenchmarkMetrics(max_benchmarks=2)
    assert metrics.add(result("a", [1.0])) and metrics.add(result("b", [1.0]))
    assert not metrics.add(result("c", [1.0]))
    assert metrics.add(result("a", [2.0]))  # a rerun of a kept one replaces it
    assert metrics.overflow == 1 and [r.mean for r in metrics.results] == [2.0, 1.0]
