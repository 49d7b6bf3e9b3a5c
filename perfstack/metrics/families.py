"""Metric families, the unit a collector yields: a name, help text, type and samples of
(name, labels, value). The same shape as prometheus_client's, so its text exposition and
CollectorRegistry read ours, and our snapshotter reads either.

The Locust process uses these instead of importing prometheus_client: that package's
import alone (exposition server, default collectors, 26 modules) cost Locust about 1.5% of
its requests per CPU-second (measured by an import study, docs/http-load.md), the memory
it leaves behind rather than any work per request. Processes that serve /metrics still use
prometheus_client
for the exposition (perfstack.push.pull imports it only when asked to serve).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple


class Sample(NamedTuple):
    """Field for field prometheus_client.samples.Sample, which its exposition reads."""

    name: str
    labels: dict[str, str]
    value: float
    timestamp: float | None = None
    exemplar: Any = None
    native_histogram: Any = None


class SeriesLabels(dict[str, str]):
    """The labels of one sample series that its collector keeps from one collect to the
    next (the same object every time, never changed), carrying the series' key (sample
    name, label items) so a snapshot need not build it again each push: what a histogram
    with hundreds of buckets per label set costs once a second (perfstack.push.snapshot)."""

    __slots__ = ("key",)

    def __init__(self, name: str, labels: dict[str, str]) -> None:
        super().__init__(labels)
        self.key: tuple[str, tuple[tuple[str, str], ...]] = (name, tuple(self.items()))


class MetricFamily:
    def __init__(self, name: str, documentation: str, typ: str, labels: Sequence[str] = ()):
        self.name = name
        self.documentation = documentation
        self.type = typ
        self.unit = ""
        self.labelnames = tuple(labels)
        self.samples: list[Sample] = []

    def add_sample(self, name: str, labels: dict[str, str], value: float) -> None:
        self.samples.append(Sample(name, labels, value))

    def _labels(self, values: Sequence[str]) -> dict[str, str]:
        if len(values) != len(self.labelnames):
            raise ValueError(f"{self.name}: expected labels {self.labelnames}, got {values}")
        return dict(zip(self.labelnames, values, strict=True))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, {len(self.samples)} samples)"


class _OneValueFamily(MetricFamily):
    """One sample per label set, named the family's name plus `sample_suffix`; a name
    given with the suffix drops it (`req_total` -> family `req`, samples `req_total`)."""

    type_name = ""
    sample_suffix = ""

    def __init__(
        self,
        name: str,
        documentation: str,
        value: float | None = None,
        labels: Sequence[str] = (),
    ) -> None:
        super().__init__(
            name.removesuffix(self.sample_suffix), documentation, self.type_name, labels
        )
        if value is not None:
            self.add_metric((), value)

    def add_metric(self, values: Sequence[str], value: float) -> None:
        self.add_sample(self.name + self.sample_suffix, self._labels(values), value)


class CounterFamily(_OneValueFamily):
    type_name, sample_suffix = "counter", "_total"


class GaugeFamily(_OneValueFamily):
    type_name = "gauge"


class HistogramFamily(MetricFamily):
    def __init__(self, name: str, documentation: str, labels: Sequence[str] = ()) -> None:
        super().__init__(name, documentation, "histogram", labels)

    def add_metric(
        self, values: Sequence[str], buckets: Iterable[tuple[str, float]], sum_value: float
    ) -> None:
        """`buckets`: cumulative (le, count) pairs, the last one le="+Inf"."""
        labels = self._labels(values)
        count = 0.0
        for le, count in buckets:
            self.add_sample(f"{self.name}_bucket", {**labels, "le": le}, count)
        self.add_sample(f"{self.name}_count", labels, count)
        self.add_sample(f"{self.name}_sum", labels, sum_value)


class Collector:
    """What a registry holds: collect() yields families. describe() yields the families
    whose names the registry checks for duplicates; none by default."""

    def collect(self) -> Iterator[Any]:
        raise NotImplementedError

    def describe(self) -> Iterator[Any]:
        return iter(())


def go_float(value: float) -> str:
    """`value` as Prometheus (Go) writes it in `le` and `quantile` labels: +Inf, NaN, and
    exponent notation from 1e+06 up, where Python would still write all the digits."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    text = repr(float(value))
    if "e" in text or abs(value) < 1e6:
        return text
    sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, fraction = digits.split(".")
    significant = (whole + fraction).rstrip("0")
    mantissa = significant[0] + ("." + significant[1:] if len(significant) > 1 else "")
    return f"{sign}{mantissa}e+{len(whole) - 1:02d}"
