"""Summing a target's processes into one set of values, with counters that never go back.

A child that exits takes its CPU seconds, context switches and I/O bytes with it; summing
only the living would make the target's counters drop, which Prometheus reads as a reset
and `rate()` would misreport. So the last values of every process that left are kept in
`retired` and added to the living: the target's counters only ever grow, across child
exits and across restarts of the whole target.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from exporters.readings import ProcessReading

GAUGES = ("rss_bytes", "vms_bytes", "threads")
OPTIONAL_GAUGES = ("uss_bytes", "open_fds", "connections")
COUNTERS = ("cpu_seconds", "ctx_voluntary", "ctx_involuntary")
OPTIONAL_COUNTERS = ("io_read_bytes", "io_write_bytes")

ProcessKey = tuple[int, float]  # (pid, create time): a reused pid is another process


@dataclass
class TargetValues:
    processes: int
    gauges: dict[str, float | None]
    counters: dict[str, float | None]
    missing: tuple[str, ...]  # optional fields some process would not report


@dataclass
class TargetState:
    """One target as a scrape shows it: whether it runs, how often it restarted, its sums."""

    name: str
    up: bool
    restarts: int
    values: TargetValues | None = None
    cpu_ratio: float | None = None


@dataclass
class CounterBook:
    retired: dict[str, float] = field(default_factory=dict)
    _last: dict[ProcessKey, ProcessReading] = field(default_factory=dict)

    def update(self, readings: Mapping[int, ProcessReading]) -> TargetValues:
        current = {(r.pid, r.create_time): r for r in readings.values()}
        for key, reading in self._last.items():
            if key not in current:
                for name in COUNTERS + OPTIONAL_COUNTERS:
                    value = getattr(reading, name)
                    if value is not None:
                        self.retired[name] = self.retired.get(name, 0.0) + value
        self._last = current
        living = list(current.values())
        gauges: dict[str, float | None] = {
            n: float(sum(getattr(r, n) for r in living)) for n in GAUGES
        }
        counters: dict[str, float | None] = {
            n: self.retired.get(n, 0.0) + sum(getattr(r, n) for r in living) for n in COUNTERS
        }
        missing: list[str] = []
        for names, into in ((OPTIONAL_GAUGES, gauges), (OPTIONAL_COUNTERS, counters)):
            for name in names:
                values = [getattr(r, name) for r in living]
                if any(v is None for v in values):
                    missing.append(name)
                    into[name] = None  # a partial sum would look like a drop: omit instead
                else:
                    base = self.retired.get(name, 0.0) if names is OPTIONAL_COUNTERS else 0.0
                    into[name] = base + float(sum(v for v in values if v is not None))
        return TargetValues(len(living), gauges, counters, tuple(missing))
