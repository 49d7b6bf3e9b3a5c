"""`RemoteWritePusher.tick()`: the caller's own loop snapshots and sends (no threads)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Counter

from perfstack.push.config import PushConfig
from perfstack.push.pusher import RemoteWritePusher
from perfstack.testing import PrometheusProcess, free_port
from tests.helpers import prom_scalar, wait_until


def _pusher(url: str, testid: str, registry: CollectorRegistry) -> RemoteWritePusher:
    labels = {"testid": testid, "scenario": "unit", "generator": "exporter", "instance": "h:1"}
    config = PushConfig(
        url=url, labels=labels, interval=0.1, min_backoff=0.05, max_backoff=0.1,
        self_metrics=False,
    )  # fmt: skip
    return RemoteWritePusher(registry, config)


def test_each_tick_sends_its_snapshot_and_an_outage_is_caught_up_in_order(
    tmp_path: Path,
) -> None:
    prometheus = PrometheusProcess(tmp_path / "prom").start()
    testid = uuid.uuid4().hex
    registry = CollectorRegistry()
    ticks = Counter("tick_driven", "ticks", registry=registry)
    pusher = _pusher(prometheus.remote_write_url, testid, registry)
    selector = f'tick_driven_total{{testid="{testid}"}}'
    try:
        for _ in range(3):
            ticks.inc()
            pusher.tick()
        assert pusher.stats.pending_batches == 0 and pusher.stats.pushes_ok == 3
        assert prom_scalar(prometheus.url, selector) == 3

        prometheus.stop()
        for _ in range(4):  # queued while the endpoint is away, retried with backoff
            ticks.inc()
            pusher.tick()
            time.sleep(0.12)
        assert pusher.stats.pending_batches == 4 and pusher.stats.pushes_failed >= 1

        prometheus.start()
        ticks.inc()
        wait_until(lambda: (pusher.tick(), pusher.stats.pending_batches == 0)[1], timeout=10)
        assert pusher.stats.dropped_total == 0
        samples = prom_scalar(prometheus.url, f"count_over_time({selector}[10m])")
        assert samples == pusher.stats.snapshots  # every tick's sample, none lost
        assert prom_scalar(prometheus.url, selector) == 8
        assert pusher.stop(stale=True)
    finally:
        pusher.stop(stale=False, timeout=0)
        prometheus.stop()


def test_tick_refuses_a_started_pusher() -> None:
    pusher = _pusher("http://127.0.0.1:9/api/v1/write", "x", CollectorRegistry()).start()
    try:
        with pytest.raises(RuntimeError):
            pusher.tick()
    finally:
        pusher.stop(stale=False, timeout=0)


def test_stop_of_a_tick_driven_pusher_keeps_to_its_stop_timeout() -> None:
    """The Locust plugin's pusher at the end of a run with Prometheus away: stop() may spend
    `stop_timeout` on the backlog, not that again waiting for what it could not send."""
    budget = 2.0
    registry = CollectorRegistry()
    Counter("unsent", "never reaches anyone", registry=registry).inc()
    config = PushConfig(
        url=f"http://127.0.0.1:{free_port()}/api/v1/write", stop_timeout=budget,
        min_backoff=0.05, max_backoff=0.1, self_metrics=False,
    )  # fmt: skip
    pusher = RemoteWritePusher(registry, config)
    pusher.tick()  # refused: queued for a retry
    started = time.monotonic()
    assert pusher.stop() is False
    elapsed = time.monotonic() - started
    # bounded by the configured budget, not a fixed time: twice the budget was the defect
    assert budget * 0.9 <= elapsed < budget * 1.5, elapsed
    assert pusher.stats.samples_dropped["unsent_at_stop"] > 0
