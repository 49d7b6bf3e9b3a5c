from __future__ import annotations

import threading

import prometheus_client
import pytest

from perfstack.metrics.labelled import Counter, Gauge
from perfstack.metrics.registry import Registry


def _series(registry: object) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in registry.collect()  # type: ignore[attr-defined]
        for s in family.samples
        if not s.name.endswith("_created")
    }


def test_same_series_as_prometheus_client_counter_and_gauge() -> None:
    ours, theirs = Registry(), prometheus_client.CollectorRegistry()
    for module, registry in ((None, ours), (prometheus_client, theirs)):
        counter_class = Counter if module is None else module.Counter
        gauge_class = Gauge if module is None else module.Gauge
        failures = counter_class("fails_total", "h", ("name", "kind"), registry=registry)
        failures.labels("home", "timeout").inc()
        failures.labels(name="home", kind="timeout").inc(2)
        failures.labels("cart", 500).inc(0.5)  # label values become strings
        overflow = counter_class("overflow", "h", registry=registry)
        overflow.inc(4)
        users = gauge_class("users", "h", ("user_class",), registry=registry)
        users.labels("Light").set(7)
        users.labels("Light").dec(2)
        users.labels("Heavy").inc()
        end = gauge_class("end_seconds", "h", registry=registry)
        end.set(1700000000.5)
    assert _series(ours) == _series(theirs)
    assert _series(ours)[("fails_total", (("kind", "timeout"), ("name", "home")))] == 3.0


def test_label_mistakes_are_refused() -> None:
    counter = Counter("c", "h", ("a", "b"))
    with pytest.raises(ValueError, match="expected labels"):
        counter.labels("only-one")
    with pytest.raises(ValueError, match="expected labels"):
        Counter("plain", "h").labels("x")
    with pytest.raises(ValueError, match="only go up"):
        counter.labels("x", "y").inc(-1)


def test_removed_children_leave_the_family() -> None:
    registry = Registry()
    gauge = Gauge("g", "h", ("k",), registry=registry)
    gauge.labels("a").set(1)
    gauge.labels("b").set(2)
    gauge.remove("a")
    assert _series(registry) == {("g", (("k", "b"),)): 2.0}


def test_threads_incrementing_one_child_lose_nothing() -> None:
    counter = Counter("c", "h", ("k",))

    def hammer() -> None:
        for _ in range(20000):
            counter.labels("x").inc()

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counter.labels("x").value == 80000.0
