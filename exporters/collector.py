"""A prometheus_client Collector over a Sampler: one sampling pass -> the exporter's metrics.

Sampling happens in `refresh()` (the runner calls it every interval); `collect()` serves
the latest pass, sampling first only when that pass is older than `max_age`, so the
pusher and a /metrics scrape share one pass instead of each reading /proc again.
CPU utilisation is the CPU-seconds delta between two passes over their wall-time delta.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from exporters.metric_families import host_families, target_families
from exporters.readings import HostReading, ProcessReading
from exporters.sampler import AccessDenied, Sampler
from exporters.targets import TargetTracker
from exporters.totals import CounterBook, TargetState, TargetValues

log = logging.getLogger("exporters")


@dataclass
class Snapshot:
    taken_at: float
    duration_seconds: float
    targets: list[TargetState]
    host: HostReading | None
    errors: dict[str, int] = field(default_factory=dict)


class ResourceCollector(Collector):
    def __init__(
        self,
        sampler: Sampler,
        trackers: Sequence[TargetTracker],
        clock: Callable[[], float] = time.monotonic,
        max_age: float = 0.0,
        with_host: bool = True,
    ) -> None:
        self.sampler = sampler
        self.trackers = list(trackers)
        self.clock = clock
        self.max_age = max_age
        self.with_host = with_host
        self.errors = {"access_denied": 0, "vanished": 0}
        self._books = {id(t): CounterBook() for t in self.trackers}
        self._previous_cpu: dict[int, tuple[float, float]] = {}
        self._was_up: dict[int, bool] = {}
        self._warned: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None

    def refresh(self) -> Snapshot:
        with self._lock:
            self._snapshot = self._sample()
            return self._snapshot

    def latest(self) -> Snapshot:
        with self._lock:
            stale = self._snapshot is None or self.clock() - self._snapshot.taken_at >= self.max_age
            if stale:
                self._snapshot = self._sample()
            assert self._snapshot is not None
            return self._snapshot

    def describe(self) -> list[Metric]:
        return []  # families depend on what is up; nothing to sample at registration

    def collect(self) -> Iterator[Metric]:
        snapshot = self.latest()
        yield from target_families(snapshot.targets)
        if snapshot.host is not None:
            yield from host_families(snapshot.host)
        duration = GaugeMetricFamily(
            "exporter_sample_duration_seconds", "Wall time of the last sampling pass."
        )
        duration.add_metric([], snapshot.duration_seconds)
        yield duration
        errors = CounterMetricFamily(
            "exporter_sample_errors", "Process reads that failed, by reason.", labels=["reason"]
        )
        for reason, count in sorted(snapshot.errors.items()):
            errors.add_metric([reason], count)
        yield errors

    # -- one pass -------------------------------------------------------------------------
    def _sample(self) -> Snapshot:
        started = self.clock()
        held: set[int] = set()  # every target's processes this pass
        states = [self._sample_target(tracker, started, held) for tracker in self.trackers]
        self.sampler.retain(held)
        host = self.sampler.host() if self.with_host else None
        return Snapshot(started, self.clock() - started, states, host, dict(self.errors))

    def _sample_target(self, tracker: TargetTracker, now: float, held: set[int]) -> TargetState:
        name = tracker.spec.name or "target"
        readings: dict[int, ProcessReading] = {}
        pids = tracker.pids()
        held.update(pids)
        for pid in sorted(pids):
            try:
                reading = self.sampler.read(pid)
            except AccessDenied:
                self.errors["access_denied"] += 1
                self._warn_once(
                    name,
                    "denied",
                    f"target {name!r}: permission denied reading "
                    f"process {pid}; it is left out of the sums",
                )
                continue
            if reading is None:
                self.errors["vanished"] += 1  # exited between listing and reading: normal
                continue
            readings[pid] = reading
        values = self._books[id(tracker)].update(readings)
        up = bool(readings)
        self._log_transition(tracker, name, up, readings)
        missing = [name for name in values.missing if name not in self.sampler.disabled]
        if missing and up:
            self._warn_once(
                name,
                "missing",
                f"target {name!r}: {', '.join(missing)} not "
                "readable (permission denied or unsupported); those metrics are omitted",
            )
        state = TargetState(name, up, tracker.restarts)
        if up:
            state.values = values
            state.cpu_ratio = self._cpu_ratio(tracker, values, now)
        else:
            self._previous_cpu.pop(id(tracker), None)
        return state

    def _cpu_ratio(self, tracker: TargetTracker, values: TargetValues, now: float) -> float | None:
        cpu = values.counters["cpu_seconds"] or 0.0
        previous = self._previous_cpu.get(id(tracker))
        self._previous_cpu[id(tracker)] = (now, cpu)
        if previous is None or now <= previous[0]:
            return None  # needs two passes
        return max(0.0, (cpu - previous[1]) / (now - previous[0]))

    def _log_transition(
        self, tracker: TargetTracker, name: str, up: bool, readings: dict[int, ProcessReading]
    ) -> None:
        was = self._was_up.get(id(tracker))
        self._was_up[id(tracker)] = up
        if was is None and not up:
            hidden = (
                " (a listener's owner is hidden from this user)" if tracker.hidden_owner else ""
            )
            log.warning(
                "target %r (%s): no process matches yet%s; waiting for it",
                name,
                tracker.spec.flag,
                hidden,
            )
        elif was and not up:
            log.warning(
                "target %r (%s): gone; its series stop until it comes back", name, tracker.spec.flag
            )
        elif was is False and up:
            log.warning("target %r (%s): up, pids %s", name, tracker.spec.flag, sorted(readings))

    def _warn_once(self, name: str, kind: str, message: str) -> None:
        if (name, kind) not in self._warned:
            self._warned.add((name, kind))
            log.warning(message)
