from __future__ import annotations

import pytest

from perfstack.metrics.families import Collector, GaugeFamily
from perfstack.metrics.labelled import Counter, Gauge
from perfstack.metrics.registry import Registry


class Fixed(Collector):
    def __init__(self, name: str, value: float) -> None:
        self.name, self.value = name, value

    def collect(self):  # type: ignore[no-untyped-def]
        yield GaugeFamily(self.name, "fixed", self.value)


def test_collects_in_registration_order_and_forgets_unregistered() -> None:
    registry = Registry()
    first, second = Fixed("b", 1), Fixed("a", 2)
    registry.register(first)
    registry.register(second)
    assert [family.name for family in registry.collect()] == ["b", "a"]
    registry.unregister(first)
    assert [family.name for family in registry.collect()] == ["a"]
    assert registry.get_sample_value("a") == 2.0
    assert registry.get_sample_value("b") is None


def test_a_taken_name_is_refused_including_type_suffixes() -> None:
    registry = Registry()
    Counter("jobs", "h", registry=registry)
    with pytest.raises(ValueError, match="duplicated timeseries"):
        Gauge("jobs_total", "h", registry=registry)
    with pytest.raises(ValueError, match="duplicated timeseries"):
        Counter("jobs_total", "h", registry=registry)
    Gauge("jobs_rate", "h", registry=registry)  # a different name is fine
    assert registry.get_sample_value("jobs_total") == 0.0


def test_the_same_collector_twice_is_refused() -> None:
    registry, collector = Registry(), Fixed("x", 1)
    registry.register(collector)
    with pytest.raises(ValueError, match="already registered"):
        registry.register(collector)


def test_undescribed_collectors_are_not_checked() -> None:
    registry = Registry()
    registry.register(Fixed("same", 1))
    registry.register(Fixed("same", 2))  # no describe(): like prometheus_client, unchecked
    assert [s.value for f in registry.collect() for s in f.samples] == [1, 2]


def test_get_sample_value_matches_labels_exactly() -> None:
    registry = Registry()
    gauge = Gauge("users", "h", ("user_class",), registry=registry)
    gauge.labels("Light").set(3)
    assert registry.get_sample_value("users", {"user_class": "Light"}) == 3.0
    assert registry.get_sample_value("users", {"user_class": "Heavy"}) is None
    assert registry.get_sample_value("users") is None
