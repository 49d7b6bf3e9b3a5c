"""Added latency, error ratio and stall, measured on a real target subprocess."""

from __future__ import annotations

import math
import statistics
import threading
import time
from collections.abc import Callable

import httpx
import pytest

from tests.fixtures.demo_target import DemoTarget
from tests.helpers import wait_until


def timings(client: httpx.Client, url: str, n: int) -> list[float]:
    result = []
    for _ in range(n):
        started = time.perf_counter()
        client.get(url).raise_for_status()
        result.append(time.perf_counter() - started)
    return result


def count_statuses(client: httpx.Client, url: str, n: int) -> dict[int, int]:
    counts: dict[int, int] = {}
    for _ in range(n):
        status = client.get(url).status_code
        counts[status] = counts.get(status, 0) + 1
    return counts


def binomial_bounds(n: int, p: float, sigmas: float = 5.0) -> tuple[float, float]:
    spread = sigmas * math.sqrt(n * p * (1 - p))
    return n * p - spread, n * p + spread


def test_added_latency_raises_api_latency_by_about_the_set_amount(
    demo_target_factory: Callable[..., DemoTarget],
) -> None:
    target = demo_target_factory()
    with httpx.Client(base_url=target.url, timeout=10) as client:
        baseline = timings(client, "/api/items", 15)
        target.set_knobs(latency_ms=150)
        delayed = timings(client, "/api/items", 15)
        health = timings(client, "/health", 15)
    assert min(delayed) >= 0.150  # never less than the added latency
    increase = statistics.median(delayed) - statistics.median(baseline)
    assert 0.150 * 0.9 <= increase <= 0.150 * 3, (baseline, delayed)
    # Only /api routes are delayed.
    assert statistics.median(health) < statistics.median(delayed) - 0.1


def test_latency_from_the_start_flag(demo_target_factory: Callable[..., DemoTarget]) -> None:
    target = demo_target_factory(latency_ms=120)
    assert target.get_knobs()["latency_ms"] == 120
    with httpx.Client(base_url=target.url, timeout=10) as client:
        assert min(timings(client, "/api/items", 5)) >= 0.120


def test_error_ratio_gives_about_that_share_of_500s(
    demo_target_factory: Callable[..., DemoTarget],
) -> None:
    target = demo_target_factory(error_ratio=0.3)
    with httpx.Client(base_url=target.url, timeout=10) as client:
        counts = count_statuses(client, "/api/items", 400)
        assert set(counts) == {200, 500}
        low, high = binomial_bounds(400, 0.3)
        assert low <= counts[500] <= high, counts
        assert count_statuses(client, "/health", 50) == {200: 50}  # not an /api route
        target.set_knobs(error_ratio=0)
        assert count_statuses(client, "/api/items", 100) == {200: 100}
        target.set_knobs(error_ratio=1)
        assert count_statuses(client, "/api/items", 50) == {500: 50}


def test_flaky_endpoint_follows_its_ratio(demo_target_factory: Callable[..., DemoTarget]) -> None:
    target = demo_target_factory(flaky_ratio=0.5)
    with httpx.Client(base_url=target.url, timeout=10) as client:
        counts = count_statuses(client, "/api/flaky", 300)
        low, high = binomial_bounds(300, 0.5)
        assert low <= counts[503] <= high and counts[503] + counts[200] == 300, counts
        target.set_knobs(flaky_ratio=0)
        assert count_statuses(client, "/api/flaky", 50) == {200: 50}


def test_latency_endpoint_follows_the_distribution(
    demo_target_factory: Callable[..., DemoTarget],
) -> None:
    target = demo_target_factory(latency_distribution="fixed:80")
    with httpx.Client(base_url=target.url, timeout=10) as client:
        started = time.perf_counter()
        body = client.get("/api/latency").json()
        assert time.perf_counter() - started >= 0.080
        assert body == {"slept_ms": 80.0, "distribution": "fixed:80"}
        target.set_knobs(latency_distribution="uniform:5:25")
        slept = [client.get("/api/latency").json()["slept_ms"] for _ in range(60)]
    assert all(5 <= s <= 25 for s in slept)
    assert statistics.fmean(slept) == pytest.approx(15, abs=3)  # sd of the mean ~0.75


def test_stall_times_requests_out_then_recovers(
    demo_target_factory: Callable[..., DemoTarget],
) -> None:
    target = demo_target_factory()
    snapshot = target.set_knobs(stall_seconds=4)  # outlasts three 0.3 s timeouts under load
    assert 0 < snapshot["stall_seconds"] <= 4
    for path in ("/health", "/api/items", "/metrics"):
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(target.url + path, timeout=0.3)
    assert target.get_knobs()["stall_seconds"] > 0  # admin keeps answering
    wait_until(lambda: target.get_knobs()["stall_seconds"] == 0, timeout=10)
    assert httpx.get(target.url + "/health", timeout=5).status_code == 200


def test_clearing_a_stall_releases_waiting_requests(
    demo_target_factory: Callable[..., DemoTarget],
) -> None:
    target = demo_target_factory()
    target.set_knobs(stall_seconds=60)
    answered: list[int] = []
    waiting = threading.Thread(
        target=lambda: answered.append(httpx.get(target.url + "/api/items", timeout=30).status_code)
    )
    waiting.start()
    time.sleep(0.5)
    assert answered == []  # held by the stall
    target.set_knobs(stall_seconds=0)
    waiting.join(timeout=10)
    assert answered == [200]


def test_stall_from_the_start_flag(demo_target_factory: Callable[..., DemoTarget]) -> None:
    # Long enough that a slow start on a loaded machine cannot outlast it; cleared below.
    target = demo_target_factory(stall_seconds=60)
    assert target.get_knobs()["stall_seconds"] > 30
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(target.url + "/health", timeout=0.3)
    target.set_knobs(stall_seconds=0)
    assert httpx.get(target.url + "/health", timeout=5).status_code == 200
