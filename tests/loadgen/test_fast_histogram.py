from __future__ import annotations

import random
import threading

from prometheus_client import CollectorRegistry, Histogram, generate_latest

from loadgen.fast_histogram import FastHistogram


def _samples(registry: CollectorRegistry, prefix: str) -> dict[tuple[str, str], float]:
    out = {}
    for family in registry.collect():
        for sample in family.samples:
            if sample.name.startswith(prefix) and not sample.name.endswith("_created"):
                out[(sample.name.removeprefix(prefix), sample.labels.get("le", ""))] = sample.value
    return out


def test_same_series_and_values_as_prometheus_client_histogram() -> None:
    buckets = (0.01, 0.1, 1.0)
    reference_registry, fast_registry = CollectorRegistry(), CollectorRegistry()
    reference = Histogram("lat_seconds", "d", ["n"], buckets=buckets, registry=reference_registry)
    fast = FastHistogram("lat_seconds", "d", ["n"], buckets, fast_registry)
    rng = random.Random(3)
    values = [0.01, 0.1, 1.0, 0.0, 5.0] + [rng.uniform(0, 2) for _ in range(1000)]
    for value in values:  # includes values exactly on a bound: `le` is inclusive
        reference.labels("a").observe(value)
        fast.labels(n="a").observe(value)
    assert _samples(fast_registry, "lat_seconds") == _samples(reference_registry, "lat_seconds")


def test_count_counter_equals_histogram_count_and_threads_lose_nothing() -> None:
    registry = CollectorRegistry()
    fast = FastHistogram(
        "req_seconds", "d", ["n"], (0.5,), registry, count_counter=("req", "requests")
    )
    child = fast.labels("x")

    def hammer() -> None:
        for _ in range(50_000):
            child.observe(0.25)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert registry.get_sample_value("req_seconds_count", {"n": "x"}) == 200_000
    assert registry.get_sample_value("req_total", {"n": "x"}) == 200_000
    assert registry.get_sample_value("req_seconds_bucket", {"n": "x", "le": "0.5"}) == 200_000
    assert "# TYPE req_total counter" in generate_latest(registry).decode()
    fast.remove("x")
    assert registry.get_sample_value("req_total", {"n": "x"}) is None
