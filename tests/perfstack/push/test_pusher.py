"""The pusher against a real Prometheus: values, labels, staleness, outage, drops."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from perfstack.metrics.schema import HttpMetrics
from perfstack.push.config import PushConfig
from perfstack.push.pusher import RemoteWritePusher
from perfstack.testing import PrometheusProcess, prom_query, start_nginx
from tests.helpers import prom_scalar, wait_until


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusProcess]:
    process = PrometheusProcess(Path(tmp_path_factory.mktemp("prom-push"))).start()
    yield process
    process.stop()


def _config(url: str, testid: str, **extra: object) -> PushConfig:
    labels = {"testid": testid, "scenario": "unit", "generator": "locust", "instance": "h:1"}
    return PushConfig(url=url, labels=labels, **extra)  # type: ignore[arg-type]


def _values(prometheus: PrometheusProcess, expr: str) -> dict[str, float]:
    return {
        ",".join(f"{k}={v}" for k, v in sorted(r["metric"].items()) if k != "__name__"): float(
            r["value"][1]
        )
        for r in prom_query(prometheus.url, expr)
    }


def test_counters_gauges_histograms_land_with_values_and_labels(
    prometheus: PrometheusProcess,
) -> None:
    testid = uuid.uuid4().hex
    registry = CollectorRegistry()
    counter = Counter("push_probe_events", "e", ["kind"], registry=registry)
    gauge = Gauge("push_probe_level", "l", registry=registry)
    histogram = Histogram("push_probe_seconds", "s", buckets=(0.1, 1.0), registry=registry)
    http = HttpMetrics(registry)
    pusher = RemoteWritePusher(registry, _config(prometheus.remote_write_url, testid, interval=0.2))
    pusher.start()
    counter.labels("a").inc(3)
    counter.labels("b").inc()
    gauge.set(-7.5)
    for value in (0.05, 0.5, 5.0):
        histogram.observe(value)
    http.duration.add_batch(("/items", "GET", "200"), [12.0])
    http.duration.add_batch(("/items", "GET", "500"), [300.0])
    http.failures.labels("/items", "GET", "http_5xx").inc()
    assert pusher.flush(timeout=10)

    sel = f'testid="{testid}"'
    assert _values(prometheus, f"push_probe_events_total{{{sel}}}") == {
        f"generator=locust,instance=h:1,kind=a,scenario=unit,testid={testid}": 3.0,
        f"generator=locust,instance=h:1,kind=b,scenario=unit,testid={testid}": 1.0,
    }
    assert prom_scalar(prometheus.url, f"push_probe_level{{{sel}}}") == -7.5
    buckets = {
        r["metric"]["le"]: float(r["value"][1])
        for r in prom_query(prometheus.url, f"push_probe_seconds_bucket{{{sel}}}")
    }
    assert buckets == {"0.1": 1.0, "1.0": 2.0, "+Inf": 3.0}
    assert prom_scalar(prometheus.url, f"push_probe_seconds_sum{{{sel}}}") == pytest.approx(5.55)
    assert prom_scalar(prometheus.url, f"push_probe_seconds_count{{{sel}}}") == 3.0
    assert prom_query(prometheus.url, f'{{__name__=~".+_created", {sel}}}') == []
    requests = _values(prometheus, f"loadgen_http_requests_total{{{sel}}}")
    assert sorted(requests.values()) == [1.0, 1.0] and len(requests) == 2
    assert (
        prom_scalar(
            prometheus.url, f'loadgen_http_request_failures_total{{{sel}, error_type="http_5xx"}}'
        )
        == 1.0
    )
    assert (
        prom_scalar(
            prometheus.url, f'loadgen_remote_write_requests_total{{{sel}, result="failure"}}'
        )
        == 0.0
    )
    pusher.stop()
    stats = pusher.stats
    assert stats.pushes_ok >= 2 and stats.pushes_failed == 0 and stats.dropped_total == 0


def test_stop_sends_final_values_then_stale_markers(prometheus: PrometheusProcess) -> None:
    testid = uuid.uuid4().hex
    registry = CollectorRegistry()
    counter = Counter("push_final_events", "e", registry=registry)
    pusher = RemoteWritePusher(registry, _config(prometheus.remote_write_url, testid, interval=60))
    pusher.start()
    counter.inc(41)
    assert pusher.flush(timeout=10)
    expr = f'push_final_events_total{{testid="{testid}"}}'
    assert prom_scalar(prometheus.url, expr) == 41.0
    counter.inc()  # only the final snapshot of stop() can carry this
    assert pusher.stop()
    assert prom_query(prometheus.url, expr) == []  # stale: gone from instant queries
    assert prom_scalar(prometheus.url, f"max_over_time({expr}[5m])") == 42.0


def test_out_of_order_samples_rejected_by_prometheus_are_counted(
    prometheus: PrometheusProcess,
) -> None:
    testid = uuid.uuid4().hex
    registry = CollectorRegistry()
    Gauge("push_ooo_level", "l", registry=registry).set(1)
    config = _config(prometheus.remote_write_url, testid, self_metrics=False)
    ahead = RemoteWritePusher(registry, config)
    assert ahead.flush(timeout=10)
    # Same series, a clock 60 s behind: Prometheus refuses the older samples.
    behind = RemoteWritePusher(registry, config, clock=lambda: time.time() - 60)
    assert not behind.flush(timeout=10)
    assert behind.stats.samples_dropped["out_of_order"] == 1
    assert behind.stats.samples_dropped["rejected"] == 0


def test_buffer_overflow_drops_oldest_and_counts_exactly() -> None:
    registry = CollectorRegistry()
    Counter("push_overflow_events", "e", registry=registry).inc()
    dead_url = "http://127.0.0.1:9/api/v1/write"  # discard port: connection refused
    config = _config(dead_url, "t", interval=0.05, buffer_seconds=0.5, max_backoff=0.05)
    pusher = RemoteWritePusher(registry, config).start()
    wait_until(lambda: pusher.stats.snapshots > 3 * config.max_batches, timeout=20)
    assert not pusher.stop(stale=False, timeout=0)
    stats = pusher.stats
    per_snapshot = 1 + 4 + 2  # the counter, 4 drop reasons, 2 request results
    assert stats.series == per_snapshot
    assert stats.samples_sent == 0 and stats.pushes_failed > 0
    assert stats.samples_dropped["unsent_at_stop"] == config.max_batches * per_snapshot
    assert stats.samples_dropped["buffer_full"] == (
        (stats.snapshots - config.max_batches) * per_snapshot
    )


@pytest.mark.exclusive  # two 1 s windows of wall-clock throughput compared
def test_producer_is_never_blocked_while_the_endpoint_hangs() -> None:
    hung = _HungServer()
    registry = CollectorRegistry()
    http = HttpMetrics(registry)

    def observe_for(seconds: float) -> int:
        count, end = 0, time.monotonic() + seconds
        while time.monotonic() < end:
            http.duration.add_batch(("/x", "GET", "200"), [10.0] * 100)
            count += 100
        return count

    baseline = observe_for(1.0)
    config = _config(hung.url, "t", interval=0.1, timeout=10.0)
    pusher = RemoteWritePusher(registry, config).start()
    try:
        with_hung_push = observe_for(1.0)
        snapshots = pusher.stats.snapshots
        assert pusher.flush(timeout=0.3) is False  # returns on time, nothing sent
        assert pusher.stats.samples_sent == 0 and hung.connections >= 1
        # Snapshots keep being taken while the sender is stuck in its request.
        assert snapshots >= 5
        assert with_hung_push > 0.5 * baseline
    finally:
        pusher.stop(stale=False, timeout=0)
        hung.close()


class _HungServer:
    """Accepts connections and never answers: an endpoint that hangs."""

    def __init__(self) -> None:
        import socket

        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/api/v1/write"
        self.connections = 0
        self._held: list[object] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            self._held.append(conn)

    def close(self) -> None:
        self._sock.close()


@pytest.mark.slow
def test_prometheus_outage_of_20s_loses_no_sample(tmp_path: Path) -> None:
    prometheus = PrometheusProcess(tmp_path / "prom").start()
    testid = uuid.uuid4().hex
    registry = CollectorRegistry()
    events = Counter("push_outage_events", "e", registry=registry)
    level = Gauge("push_outage_level", "l", registry=registry)
    produced = 0
    producing = threading.Event()

    def produce() -> None:
        nonlocal produced
        while not producing.is_set():
            events.inc()
            produced += 1
            level.set(produced % 17)
            time.sleep(0.002)

    producer = threading.Thread(target=produce, daemon=True)
    pusher = RemoteWritePusher(
        registry, _config(prometheus.remote_write_url, testid, interval=0.5)
    ).start()
    producer.start()
    try:
        time.sleep(2)
        prometheus.stop()
        time.sleep(20)
        assert pusher.stats.pushes_failed > 0 and pusher.stats.pending_batches >= 30
        prometheus.start()
        wait_until(lambda: pusher.stats.pending_batches <= 1, timeout=30)
        time.sleep(1)
        producing.set()
        producer.join()
        assert pusher.stop(stale=True)
        stats = pusher.stats
        assert stats.dropped_total == 0
        sel = f'testid="{testid}"'
        for name in ("push_outage_events_total", "push_outage_level"):
            count = prom_scalar(prometheus.url, f"count_over_time({name}{{{sel}}}[10m])")
            assert count == stats.snapshots, name
        assert prom_scalar(
            prometheus.url, f"max_over_time(push_outage_events_total{{{sel}}}[10m])"
        ) == float(produced)
        assert prom_query(prometheus.url, f"push_outage_events_total{{{sel}}}") == []
    finally:
        producing.set()
        pusher.stop(stale=False, timeout=0)
        prometheus.stop()


_GEVENT_PUSH = """
from gevent import monkey; monkey.patch_all()
import sys, gevent
from prometheus_client import CollectorRegistry
from perfstack.push.config import PushConfig
from perfstack.push.pusher import RemoteWritePusher
from perfstack.metrics.schema import HttpMetrics
registry = CollectorRegistry()
http = HttpMetrics(registry)
pusher = RemoteWritePusher(registry, PushConfig(
    url=sys.argv[1], interval=0.1, labels={"testid": sys.argv[2]})).start()
def user():
    for _ in range(300):
        http.duration.add_batch(("/g", "GET", "200"), [20.0])
        gevent.sleep(0.001)
gevent.joinall([gevent.spawn(user) for _ in range(5)])
print(pusher.stop(), pusher.stats.snapshots, pusher.stats.pushes_ok)
"""


def test_pusher_works_in_a_gevent_patched_process(prometheus: PrometheusProcess) -> None:
    import subprocess
    import sys

    testid = uuid.uuid4().hex
    out = subprocess.run(
        [sys.executable, "-c", _GEVENT_PUSH, prometheus.remote_write_url, testid],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    assert out[0] == "True" and int(out[1]) >= 2 and int(out[2]) >= 2
    expr = f'max_over_time(loadgen_http_requests_total{{testid="{testid}"}}[5m])'
    assert prom_scalar(prometheus.url, expr) == 1500.0


def test_a_failing_collector_skips_snapshots_but_the_pipeline_goes_on(
    prometheus: PrometheusProcess,
) -> None:
    class Flaky:
        calls = 0

        def collect(self) -> Iterator[object]:
            Flaky.calls += 1
            if Flaky.calls == 2:
                raise RuntimeError("collector broke once")
            yield from registry.collect()

    testid = uuid.uuid4().hex
    registry = CollectorRegistry()
    Gauge("push_flaky_level", "l", registry=registry).set(5)
    pusher = RemoteWritePusher(Flaky(), _config(prometheus.remote_write_url, testid, interval=0.05))
    pusher.start()
    wait_until(lambda: Flaky.calls >= 4, timeout=10)
    assert pusher.stop()
    sel = f'push_flaky_level{{testid="{testid}"}}'
    assert prom_scalar(prometheus.url, f"count_over_time({sel}[5m])") == pusher.stats.snapshots
    assert pusher.stats.snapshots == Flaky.calls - 1


def test_an_outage_longer_than_the_buffer_loses_exactly_what_it_counts(tmp_path: Path) -> None:
    prometheus = PrometheusProcess(tmp_path / "prom").start()
    testid = uuid.uuid4().hex
    registry = CollectorRegistry()
    Gauge("push_overrun_level", "l", registry=registry).set(1)
    config = _config(
        prometheus.remote_write_url, testid, interval=0.2, buffer_seconds=1.0, max_backoff=0.2
    )
    pusher = RemoteWritePusher(registry, config).start()
    try:
        time.sleep(0.5)
        prometheus.stop()
        wait_until(lambda: pusher.stats.samples_dropped["buffer_full"] > 0, timeout=20)
        prometheus.start()
        wait_until(lambda: pusher.stats.pending_batches <= 1, timeout=20)
        assert pusher.stop(stale=False)
        stats = pusher.stats
        per_snapshot = 1 + 4 + 2
        assert stats.series == per_snapshot
        lost_snapshots, remainder = divmod(stats.samples_dropped["buffer_full"], per_snapshot)
        assert remainder == 0 and lost_snapshots >= 1
        assert stats.dropped_total == stats.samples_dropped["buffer_full"]
        sel = f'push_overrun_level{{testid="{testid}"}}'
        count = prom_scalar(prometheus.url, f"count_over_time({sel}[10m])")
        assert count == stats.snapshots - lost_snapshots
        assert stats.samples_sent == (stats.snapshots - lost_snapshots) * per_snapshot
    finally:
        pusher.stop(stale=False, timeout=0)
        prometheus.stop()


class _PrometheusWithoutReceiver(PrometheusProcess):
    """A Prometheus started as many are: without --web.enable-remote-write-receiver."""

    def argv(self) -> list[str]:
        return [arg for arg in super().argv() if arg != "--web.enable-remote-write-receiver"]


def _refused_pusher(url: str) -> RemoteWritePusher:
    registry = CollectorRegistry()
    Gauge("push_refused_level", "l", registry=registry).set(1)
    config = _config(url, uuid.uuid4().hex, url_source="--flag / ENV_VAR")
    return RemoteWritePusher(registry, config)


@pytest.mark.parametrize("store", ["nginx 403", "prometheus without receiver"])
def test_a_store_that_refuses_writes_is_named_once_and_every_sample_counted(
    store: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    if store == "nginx 403":  # an auth proxy in front of the store, the token missing
        nginx, base = start_nginx(tmp_path / "nginx", body="forbidden", status=403)
        url, expected = f"{base}/api/v1/write", "HTTP 403: forbidden"

        def stop() -> None:
            nginx.kill()
            nginx.wait()

    else:
        prometheus = _PrometheusWithoutReceiver(tmp_path / "prom").start()
        url, stop = prometheus.remote_write_url, prometheus.stop  # type: ignore[assignment]
        expected = "HTTP 404: remote write receiver needs to be enabled"
    pusher = _refused_pusher(url)
    try:
        with caplog.at_level(logging.WARNING, logger="perfstack.push.pusher"):
            assert not pusher.flush(timeout=10)
            assert not pusher.flush(timeout=10)
            assert not pusher.stop(stale=True)
    finally:
        stop()
    stats = pusher.stats
    per_snapshot = 1 + 4 + 2  # the gauge, 4 drop reasons, 2 request results
    # 3 snapshots (two flushes, the final one) and the stale markers of 7 series: all refused
    assert stats.samples_dropped["rejected"] == 4 * per_snapshot == stats.dropped_total
    assert stats.samples_sent == 0 and stats.pushes_failed == 0  # permanent: never retried
    assert stats.refused is not None and stats.refused.startswith(expected)
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"remote write to --flag / ENV_VAR {url} refused: {expected}")
    if store != "nginx 403":
        assert "start Prometheus with --web.enable-remote-write-receiver" in lines[0]


def test_a_stand_in_answering_200_ok_is_counted_sent_and_said_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """nginx answering 200 "ok" to anything cannot be told from a store by its status; its
    body can: a receiver answers with none."""
    nginx, base = start_nginx(tmp_path / "nginx")
    pusher = _refused_pusher(f"{base}/api/v1/write")
    try:
        with caplog.at_level(logging.WARNING, logger="perfstack.push.pusher"):
            assert pusher.flush(timeout=10) and pusher.flush(timeout=10)
    finally:
        nginx.kill()
        nginx.wait()
    stats = pusher.stats
    assert stats.pushes_ok == 2 and stats.dropped_total == 0 and stats.refused is None
    assert stats.unexpected_answer == "HTTP 200: ok"
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 1 and "accepted with HTTP 200: ok;" in lines[0], lines
