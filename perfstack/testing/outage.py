"""An outage of the central store, longer than the pushers' in-process buffer, with three
generators pushing side by side: one through a vmagent with a disk queue (the documented
path for long outages, docs/push-pipeline.md), one through agent-mode Prometheus (its
write-ahead log), one straight to the store (the control, which must lose samples and
count them). Shared by the CI test and bench/bench_outage.py.

Each generator is a real RemoteWritePusher over a registry shaped like a Locust
generator's (request histograms) plus its self-metrics. What arrived is counted in the
store, every sample of every series of the generator, and compared with what the pusher
counted as sent and as dropped, and with vmagent's own counters.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from prometheus_client import CollectorRegistry

from perfstack.agent.vmagent import forwarding_flags
from perfstack.metrics.schema import HttpMetrics
from perfstack.push.config import PushConfig
from perfstack.push.pusher import PushStats, RemoteWritePusher
from perfstack.testing.prometheus import PrometheusProcess, prom_query
from perfstack.testing.prometheus_agent import PrometheusAgentProcess
from perfstack.testing.victoria import VmagentProcess

# what `perfstack agent` runs vmagent with in front of Prometheus (one queue: in order)
VMAGENT_FLAGS = tuple(forwarding_flags("prometheus", "2GB"))

# each agent's own counters that tell whether it lost or still holds anything
VMAGENT_COUNTERS = (
    "vmagent_rows_inserted_total",  # samples vmagent took in (all from the pusher here)
    "vmagent_remotewrite_packets_dropped_total",
    "vm_persistentqueue_bytes_dropped_total",
    "vm_persistentqueue_bytes_pending",
    "vm_persistentqueue_bytes_written_total",  # what the outage cost on disk
    "vmagent_remotewrite_retries_count_total",
)
PROMETHEUS_AGENT_COUNTERS = (
    "prometheus_remote_storage_samples_total",  # sent to the store
    "prometheus_remote_storage_samples_failed_total",  # given up (non-recoverable answer)
    "prometheus_remote_storage_samples_dropped_total",  # dropped by relabelling
    "prometheus_remote_storage_samples_retried_total",
    "prometheus_remote_storage_samples_pending",
)


@dataclass
class Generator:
    """One pusher and the count of what it pushed."""

    path: str  # "vmagent" or "direct"
    testid: str
    registry: CollectorRegistry
    pusher: RemoteWritePusher
    stored: int | None = None

    @property
    def stats(self) -> PushStats:
        return self.pusher.stats


@dataclass
class OutageResult:
    outage_seconds: float
    buffer_seconds: float
    generators: dict[str, Generator]
    # each agent's own counters, by path: "vmagent", "prometheus-agent"
    agents: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def vmagent(self) -> dict[str, float]:
        return self.agents["vmagent"]

    def lines(self) -> list[str]:
        """The counts, one generator a line, for a benchmark's output or a failed test."""
        out = [
            f"store outage {self.outage_seconds:.0f} s, in-process buffer "
            f"{self.buffer_seconds:.0f} s (samples)"
        ]
        columns = ("snapshots", "sent", "stored", "dropped")
        out.append(f"{'path':18}" + "".join(f"{c:>10}" for c in columns) + "  reasons")
        for gen in self.generators.values():
            stats = gen.stats
            reasons = ", ".join(f"{k}={v}" for k, v in stats.samples_dropped.items() if v)
            out.append(
                f"{gen.path:18}{stats.snapshots:>10}{stats.samples_sent:>10}"
                f"{gen.stored if gen.stored is not None else -1:>10}"
                f"{stats.dropped_total:>10}  {reasons or '-'}"
            )
        for path, counters in self.agents.items():
            out.append(f"{path}: " + ", ".join(f"{k}={v:g}" for k, v in counters.items()))
        return out


def _generator(path: str, url: str, interval: float, buffer_seconds: float) -> Generator:
    testid = f"outage-{path}-{uuid.uuid4().hex[:8]}"
    registry = CollectorRegistry()
    http = HttpMetrics(registry)
    http.duration.add_batch(("/items", "GET", "200"), [12.0, 30.0])
    http.duration.add_batch(("/items", "POST", "201"), [45.0])
    labels = {"testid": testid, "scenario": "outage", "generator": "probe", "instance": path}
    config = PushConfig(
        url=url, interval=interval, buffer_seconds=buffer_seconds, labels=labels, max_backoff=2.0
    )
    return Generator(path, testid, registry, RemoteWritePusher(registry, config))


def _stored(store: PrometheusProcess, testid: str, window: float) -> int:
    """Every sample of the generator's series in the window (a range selector: the raw
    samples, stale markers left out; count_over_time would drop the names and clash)."""
    result = prom_query(store.url, f'{{testid="{testid}"}}[{math.ceil(window)}s]')
    return sum(len(series["values"]) for series in result)


def _holds(store: PrometheusProcess, gen: Generator, count: int, began: float) -> bool:
    """The store holds at least `count` samples of the generator's run so far."""
    return _stored(store, gen.testid, time.time() - began + 60) >= count


def _wait(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


def run_outage(
    workdir: Path,
    *,
    outage_seconds: float,
    buffer_seconds: float,
    interval: float = 1.0,
    lead_seconds: float = 3.0,
    progress: Callable[[str], None] = lambda _: None,
) -> OutageResult:
    """Push for `lead_seconds`, stop the store for `outage_seconds`, restart it on its data
    directory, let every path drain, stop the pushers (no stale markers: every sample sent
    is a sample to find) and count what the store holds per generator. Three generators:
    through vmagent, through agent-mode Prometheus, and straight to the store."""
    store = PrometheusProcess(workdir / "store").start()
    vmagent = VmagentProcess(workdir / "vmagent", store.remote_write_url, flags=VMAGENT_FLAGS)
    prom_agent = PrometheusAgentProcess(workdir / "prometheus-agent", store.remote_write_url)
    began = time.time()
    generators: dict[str, Generator] = {}
    running = True
    try:
        vmagent.start()
        prom_agent.start()
        for path, url in (
            ("vmagent", vmagent.remote_write_url),
            ("prometheus-agent", prom_agent.remote_write_url),
            ("direct", store.remote_write_url),
        ):
            generators[path] = _generator(path, url, interval, buffer_seconds)
            generators[path].pusher.start()
        time.sleep(lead_seconds)
        store.stop()
        progress(f"store stopped for {outage_seconds:.0f} s")
        time.sleep(outage_seconds)
        store.start()
        progress("store restarted; draining")
        # drained: the pushers' backlogs left them, then the agents delivered what they had
        # taken by then (a gauge of their pending samples is rarely 0 while pushes go on)
        _wait(lambda: all(g.stats.pending_batches <= 1 for g in generators.values()), 60)
        for path in ("vmagent", "prometheus-agent"):
            gen = generators[path]
            taken = partial(_holds, store, gen, gen.stats.samples_sent, began)
            _wait(taken, timeout=max(90.0, outage_seconds / 2))
        progress("drained")
        time.sleep(2 * interval)
        for gen in generators.values():
            gen.pusher.stop(stale=False)
        running = False
        # the agents forward what they took within a second or so: poll, don't guess
        for path in ("vmagent", "prometheus-agent"):
            gen = generators[path]
            _wait(partial(_holds, store, gen, gen.stats.samples_sent, began), timeout=30)
        window = time.time() - began + 60
        for gen in generators.values():
            gen.stored = _stored(store, gen.testid, window)
        agents = {
            "vmagent": {name: vmagent.own_metric(name) for name in VMAGENT_COUNTERS},
            "prometheus-agent": {
                name: prom_agent.own_metric(name) for name in PROMETHEUS_AGENT_COUNTERS
            },
        }
        return OutageResult(outage_seconds, buffer_seconds, generators, agents)
    finally:
        if running:
            for gen in generators.values():
                gen.pusher.stop(stale=False, timeout=0)
        prom_agent.stop()
        vmagent.stop()
        store.stop()
