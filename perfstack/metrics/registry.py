"""A registry of collectors in registration order, for the Locust process (see
perfstack.metrics.families for why not prometheus_client's). It refuses a second metric under a
name already taken, as prometheus_client's does, and offers the same get_sample_value()."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any, Protocol

# The series a family of each type adds besides its own name (exposition and remote write).
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "gauge": (),
}


class Registers(Protocol):
    """This registry or prometheus_client's: what the metric factories need of one."""

    def register(self, collector: Any) -> None: ...

    def unregister(self, collector: Any) -> None: ...


class Registry:
    def __init__(self) -> None:
        self._collectors: dict[Any, set[str]] = {}  # collector -> names it declared
        self._lock = threading.Lock()

    def register(self, collector: Any) -> None:
        names = set(_declared_names(collector))
        with self._lock:
            if collector in self._collectors:
                raise ValueError(f"collector already registered: {collector!r}")
            taken = names.intersection(set().union(*self._collectors.values()))
            if taken:
                raise ValueError(f"duplicated timeseries in registry: {sorted(taken)}")
            self._collectors[collector] = names

    def unregister(self, collector: Any) -> None:
        with self._lock:
            del self._collectors[collector]

    def collect(self) -> Iterator[Any]:
        with self._lock:
            collectors = list(self._collectors)
        for collector in collectors:
            yield from collector.collect()

    def get_sample_value(self, name: str, labels: dict[str, str] | None = None) -> float | None:
        """The value of one sample, or None; a linear search meant for tests."""
        wanted = labels or {}
        for family in self.collect():
            for sample in family.samples:
                if sample.name == name and sample.labels == wanted:
                    return float(sample.value)
        return None


def _declared_names(collector: Any) -> Iterator[str]:
    describe = getattr(collector, "describe", None)
    if describe is None:
        return
    for family in describe():
        yield family.name
        for suffix in SUFFIXES.get(family.type, ()):
            yield family.name + suffix
