"""Counters and gauges with label children, as the schema declares them (perfstack.metrics.schema).

The subset of prometheus_client's Counter and Gauge that perfstack uses: `labels()`
children with inc() / set(), the unlabelled metric acting as its own child, and one
family per collect(). No `_created` series: our remote write skipped them anyway.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import Any

from perfstack.metrics.families import Collector, CounterFamily, GaugeFamily, MetricFamily
from perfstack.metrics.registry import Registers


def raw_lock() -> Any:
    """A real OS lock even under gevent: the critical sections here never yield, so it is
    safe, and several times cheaper than gevent's cooperative lock."""
    try:
        from gevent import monkey

        if monkey.is_module_patched("threading"):
            return monkey.get_original("_thread", "allocate_lock")()
    except ImportError:
        pass
    return threading.Lock()


class _Value:
    __slots__ = ("_lock", "value")

    def __init__(self) -> None:
        self.value = 0.0
        self._lock = raw_lock()

    def _add(self, amount: float) -> None:
        with self._lock:
            self.value += amount


class CounterChild(_Value):
    __slots__ = ()

    def inc(self, amount: float = 1.0) -> None:
        if amount < 0:
            raise ValueError(f"counters only go up; inc({amount})")
        self._add(amount)


class GaugeChild(_Value):
    __slots__ = ()

    def set(self, value: float) -> None:
        self.value = float(value)

    def inc(self, amount: float = 1.0) -> None:
        self._add(amount)

    def dec(self, amount: float = 1.0) -> None:
        self._add(-amount)


class _Labelled(Collector):
    def __init__(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str] = (),
        registry: Registers | None = None,
    ) -> None:
        self.name = name
        self.documentation = documentation
        self.labelnames = tuple(labelnames)
        self._children: dict[tuple[str, ...], Any] = {}
        self._lock = threading.Lock()
        if not self.labelnames:
            self._children[()] = self._new_child()
        if registry is not None:
            registry.register(self)

    def _new_child(self) -> Any:
        raise NotImplementedError

    def _family(self) -> Any:
        raise NotImplementedError

    def labels(self, *values: Any, **by_name: Any) -> Any:
        if by_name:
            values = tuple(by_name[name] for name in self.labelnames)
        key = tuple(str(value) for value in values)
        child = self._children.get(key)
        if child is None:
            if len(key) != len(self.labelnames) or not self.labelnames:
                raise ValueError(f"{self.name}: expected labels {self.labelnames}, got {key}")
            with self._lock:
                child = self._children.setdefault(key, self._new_child())
        return child

    def remove(self, *values: Any) -> None:
        with self._lock:
            self._children.pop(tuple(str(value) for value in values), None)

    def describe(self) -> Iterator[MetricFamily]:
        yield self._family()

    def collect(self) -> Iterator[MetricFamily]:
        family = self._family()
        for key, child in list(self._children.items()):
            family.add_metric(key, child.value)
        yield family


class Counter(_Labelled):
    """Named with or without `_total`: its family (CounterFamily) drops the suffix."""

    def _new_child(self) -> CounterChild:
        return CounterChild()

    def _family(self) -> CounterFamily:
        return CounterFamily(self.name, self.documentation, labels=self.labelnames)

    def inc(self, amount: float = 1.0) -> None:
        self.labels().inc(amount)


class Gauge(_Labelled):
    def _new_child(self) -> GaugeChild:
        return GaugeChild()

    def _family(self) -> GaugeFamily:
        return GaugeFamily(self.name, self.documentation, labels=self.labelnames)

    def set(self, value: float) -> None:
        self.labels().set(value)

    def inc(self, amount: float = 1.0) -> None:
        self.labels().inc(amount)

    def dec(self, amount: float = 1.0) -> None:
        self.labels().dec(amount)
