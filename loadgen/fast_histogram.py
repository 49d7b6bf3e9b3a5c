"""A labelled histogram whose observe() is one bisect and one locked add.

A prometheus_client Histogram scans its buckets linearly and takes two locks per
observation: with the ~215 buckets of our latency schema that is 1-4 us per request,
a visible share of Locust's per-request budget. This one costs about the same for any
bucket count. It can also expose its `_count` under a counter name (e.g.
`loadgen_http_requests_total`), so one observe() feeds both series, equal by construction.
"""

from __future__ import annotations

import math
import threading
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from itertools import accumulate
from typing import Any

from loadgen.families import Collector, CounterFamily, HistogramFamily, MetricFamily, go_float
from loadgen.labelled import raw_lock
from loadgen.registry import Registers


class HistogramChild:
    __slots__ = ("_bounds", "_counts", "_lock", "_sum", "identities", "keys")

    def __init__(self, bounds: list[float]) -> None:
        self._bounds = bounds
        self._counts = [0] * len(bounds)
        self._sum = 0.0
        self._lock = raw_lock()
        self.keys: list[str] = []  # remote-write identity of each exported series
        self.identities: list[tuple[str, dict[str, str]]] = []

    def observe(self, value: float) -> None:
        index = bisect_left(self._bounds, value)  # first bound >= value: Prometheus `le`
        with self._lock:
            self._counts[index] += 1
            self._sum += value

    def read(self) -> tuple[list[int], float]:
        with self._lock:
            return list(self._counts), self._sum


class FastHistogram(Collector):
    def __init__(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str],
        buckets: Sequence[float],
        registry: Registers | None = None,
        count_counter: tuple[str, str] | None = None,
    ) -> None:
        bounds = sorted(float(b) for b in buckets)
        if not bounds or bounds[-1] != math.inf:
            bounds.append(math.inf)
        self.name, self.documentation = name, documentation
        self.labelnames = tuple(labelnames)
        self.bounds = bounds
        self._le = [go_float(b) for b in bounds]
        self._count_counter = count_counter
        self._children: dict[tuple[str, ...], HistogramChild] = {}
        self._lock = threading.Lock()
        if registry is not None:
            registry.register(self)

    def labels(self, *values: Any, **kwargs: Any) -> HistogramChild:
        if kwargs:
            values = tuple(kwargs[name] for name in self.labelnames)
        child = self._children.get(values)  # hit when the values are already strings
        if child is not None:
            return child
        key = tuple(str(v) for v in values)
        child = self._children.get(key)
        if child is None:
            if len(key) != len(self.labelnames):
                raise ValueError(f"{self.name}: expected labels {self.labelnames}, got {key}")
            with self._lock:
                child = self._children.get(key)
                if child is None:
                    child = self._children[key] = self._new_child(key)
        return child

    def _new_child(self, values: tuple[str, ...]) -> HistogramChild:
        child = HistogramChild(self.bounds)
        labels = dict(zip(self.labelnames, values, strict=True))
        series = [(f"{self.name}_bucket", {**labels, "le": le}) for le in self._le]
        series += [(f"{self.name}_sum", labels), (f"{self.name}_count", labels)]
        if self._count_counter:
            series.append((f"{self._count_counter[0]}_total", labels))
        child.identities = series
        # Strings cache their hash: cheap dict/set keys for every snapshot.
        child.keys = ["\x1f".join((n, *values, lbl.get("le", ""))) for n, lbl in series]
        return child

    def remove(self, *values: Any) -> None:
        with self._lock:
            self._children.pop(tuple(str(v) for v in values), None)

    def describe(self) -> Iterator[Any]:
        return iter(())  # unchecked collector: names are declared in loadgen.schema

    def collect(self) -> Iterator[Any]:
        children = list(self._children.items())
        yield _HistogramFamily(self, children)
        if self._count_counter:
            counter = CounterFamily(*self._count_counter, labels=self.labelnames)
            for key, child in children:
                counter.add_metric(key, sum(child.read()[0]))
            # Its series are exported with the histogram's (same read, equal by construction).
            counter.remote_write_series = lambda: ()  # type: ignore[attr-defined]
            yield counter

    def export(self, children: list[tuple[tuple[str, ...], HistogramChild]]) -> Iterator[Any]:
        """(keys, identities, values) per child, for the remote-write snapshotter."""
        with_total = self._count_counter is not None
        for _key, child in children:
            counts, total = child.read()
            values: list[float] = list(accumulate(counts))
            count = values[-1]
            values += (total, count, count) if with_total else (total, count)
            yield child.keys, child.identities, values


class _HistogramFamily(MetricFamily):
    """A histogram family whose Sample tuples are only built if someone reads them (the
    text exposition); the snapshotter uses remote_write_series() instead."""

    def __init__(
        self, owner: FastHistogram, children: list[tuple[tuple[str, ...], HistogramChild]]
    ) -> None:
        self._owner, self._children = owner, children
        self._built: list[Any] | None = None
        super().__init__(owner.name, owner.documentation, "histogram", owner.labelnames)

    @property
    def samples(self) -> list[Any]:
        if self._built is None:
            owner = self._owner
            family = HistogramFamily(owner.name, owner.documentation, labels=owner.labelnames)
            for key, child in self._children:
                counts, total = child.read()
                cumulative = list(zip(owner._le, accumulate(counts), strict=True))
                family.add_metric(list(key), cumulative, total)
            self._built = family.samples
        return self._built

    @samples.setter
    def samples(self, value: list[Any]) -> None:
        self._built = value or None

    def remote_write_series(self) -> Iterator[Any]:
        return self._owner.export(self._children)
