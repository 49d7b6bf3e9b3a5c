"""pytest-benchmark results as metric families: each benchmark's stats as gauges, its
rounds as a histogram, and its rounds cut into consecutive chunks for the gate's bootstrap.

A benchmark's result is final when it is added (pytest-benchmark computes its stats once
the rounds ran), so every series is a gauge set once, or a histogram filled once. The
stats are pytest-benchmark's own numbers, pushed unchanged: what Prometheus holds equals
the `--benchmark-json` file to the last bit.

The round histogram uses bounds from one geometric ladder (ratio 1.05, 10 ns to 100 s:
`histogram_quantile` is within 5% of the exact quantile) but sends only the stretch of it
that a benchmark's rounds fall in, from the last bound below its fastest round to the
first at or above its slowest: a benchmark's rounds span a few dozen bounds, not the
ladder's ~470, and a bucket below every round keeps the lowest bucket's lower edge known.
Bounds come from the one ladder, so the same benchmark's histograms from two runs can be
added up.

Chunks: the rounds, in the order they ran, cut into at most `CHUNKS` consecutive groups;
each group's mean and median are a series labelled `chunk`. They are to a benchmark what
per-interval values are to a load run: the samples the gate's bootstrap resamples to put
a confidence interval on the change against a baseline (gate/relative.py). Rounds next to
each other share whatever the machine did at that moment, so chunks (not single rounds)
carry that drift into the interval.
"""

from __future__ import annotations

import math
import statistics
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from perfstack.metrics.families import Collector, GaugeFamily, HistogramFamily, go_float
from perfstack.metrics.schema import geometric_buckets

PREFIX = "pytest_benchmark"
SECONDS_STATS = ("min", "max", "mean", "stddev", "median", "iqr")
LABELS = ("name", "fullname", "group")
ROUND_BUCKETS = geometric_buckets(1e-8, 100.0, 1.05)
CHUNKS = 30
DEFAULT_MAX_BENCHMARKS = 1000


@dataclass(frozen=True)
class BenchmarkResult:
    """One benchmark as pytest-benchmark reports it (`stats` of its JSON), in seconds."""

    name: str
    fullname: str
    group: str  # "" when the benchmark has none
    min: float
    max: float
    mean: float
    stddev: float
    median: float
    iqr: float
    ops: float
    rounds: int
    iterations: int
    data: tuple[float, ...] = field(default=(), repr=False)  # per round, in the order run

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.name, self.fullname, self.group)


def round_buckets(data: Sequence[float]) -> list[tuple[str, float]]:
    """Cumulative (le, count) pairs over the stretch of ROUND_BUCKETS the rounds fall in,
    ending with +Inf."""
    ordered = sorted(data)
    if not ordered:
        return [("+Inf", 0.0)]
    first = max(0, bisect_left(ROUND_BUCKETS, ordered[0]) - 1)
    last = min(len(ROUND_BUCKETS) - 1, bisect_left(ROUND_BUCKETS, ordered[-1]))
    pairs = []
    for bound in ROUND_BUCKETS[first : last + 1]:
        # a round equal to a bound belongs to it (le means <=)
        pairs.append((go_float(bound), float(_count_at_most(ordered, bound))))
    pairs.append(("+Inf", float(len(ordered))))
    return pairs


def _count_at_most(ordered: Sequence[float], bound: float) -> int:
    return bisect_right(ordered, bound)


def chunks(data: Sequence[float], count: int = CHUNKS) -> list[list[float]]:
    """The rounds in order, cut into min(count, len(data)) consecutive groups of sizes that
    differ by at most one."""
    parts = min(count, len(data))
    if parts == 0:
        return []
    size, extra = divmod(len(data), parts)
    groups, start = [], 0
    for index in range(parts):
        end = start + size + (1 if index < extra else 0)
        groups.append(list(data[start:end]))
        start = end
    return groups


class BenchmarkMetrics(Collector):
    """The families of every benchmark added so far. At most `max_benchmarks` distinct
    benchmarks are kept (a parametrised benchmark over thousands of values would otherwise
    make as many series); the rest are counted in `overflow`, never merged into one."""

    def __init__(self, max_benchmarks: int = DEFAULT_MAX_BENCHMARKS) -> None:
        self.max_benchmarks = max_benchmarks
        self._results: dict[tuple[str, str, str], BenchmarkResult] = {}
        self._lock = threading.Lock()
        self.overflow = 0

    def add(self, result: BenchmarkResult) -> bool:
        """Keep `result` (replacing an earlier one of the same benchmark, e.g. a rerun);
        False when the cap turned it away."""
        with self._lock:
            if result.key not in self._results and len(self._results) >= self.max_benchmarks:
                self.overflow += 1
                return False
            self._results[result.key] = result
            return True

    @property
    def results(self) -> list[BenchmarkResult]:
        with self._lock:
            return list(self._results.values())

    def describe(self) -> Iterator[GaugeFamily | HistogramFamily]:
        yield from _Families().all

    def collect(self) -> Iterator[GaugeFamily | HistogramFamily]:
        families = _Families()
        for result in self.results:
            labels = result.key
            for stat in SECONDS_STATS:
                families.seconds[stat].add_metric(labels, float(getattr(result, stat)))
            families.rounds.add_metric(labels, float(result.rounds))
            families.iterations.add_metric(labels, float(result.iterations))
            families.ops.add_metric(labels, float(result.ops))
            if not result.data:  # a saved file without --benchmark-save-data: stats only
                continue
            families.histogram.add_metric(
                labels, round_buckets(result.data), math.fsum(result.data)
            )
            for index, group in enumerate(chunks(result.data)):
                chunk = (*labels, f"{index:02d}")
                families.chunk_mean.add_metric(chunk, statistics.fmean(group))
                families.chunk_median.add_metric(chunk, statistics.median(group))
        yield from families.all


class _Families:
    def __init__(self) -> None:
        self.seconds = {
            stat: GaugeFamily(
                f"{PREFIX}_{stat}_seconds",
                f"pytest-benchmark's {stat} of the benchmark's rounds, seconds per iteration.",
                labels=LABELS,
            )
            for stat in SECONDS_STATS
        }
        self.rounds = GaugeFamily(f"{PREFIX}_rounds", "Rounds the benchmark ran.", labels=LABELS)
        self.iterations = GaugeFamily(
            f"{PREFIX}_iterations", "Iterations per round.", labels=LABELS
        )
        self.ops = GaugeFamily(
            f"{PREFIX}_operations_per_second",
            "pytest-benchmark's ops: 1 / mean, iterations per second.",
            labels=LABELS,
        )
        self.chunk_mean = GaugeFamily(
            f"{PREFIX}_chunk_mean_seconds",
            "Mean of one chunk of consecutive rounds (the gate's bootstrap samples).",
            labels=(*LABELS, "chunk"),
        )
        self.chunk_median = GaugeFamily(
            f"{PREFIX}_chunk_median_seconds",
            "Median of one chunk of consecutive rounds (the gate's bootstrap samples).",
            labels=(*LABELS, "chunk"),
        )
        self.histogram = HistogramFamily(
            f"{PREFIX}_round_duration_seconds",
            "Duration of each round, in seconds per iteration.",
            labels=LABELS,
        )

    @property
    def all(self) -> list[GaugeFamily | HistogramFamily]:
        return [
            *self.seconds.values(),
            self.rounds,
            self.iterations,
            self.ops,
            self.chunk_mean,
            self.chunk_median,
            self.histogram,
        ]
