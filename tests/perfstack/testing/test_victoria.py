"""The VictoriaMetrics and vmagent wrappers: a sample written through vmagent reaches the
store and reads back through its Prometheus query API, and a stopped store keeps its data."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from perfstack.push.remote_write import compress, encode_write_request, sorted_labels
from perfstack.testing import VictoriaMetricsProcess, VmagentProcess, prom_query


def _write(url: str, name: str, value: float) -> None:
    labels = sorted_labels({"__name__": name, "job": "wrapper-test"})
    body = compress(encode_write_request([(labels, [(value, int(time.time() * 1000))])]))
    headers = {"Content-Encoding": "snappy", "Content-Type": "application/x-protobuf"}
    httpx.post(url, content=body, headers=headers, timeout=5).raise_for_status()


def _value_within(store_url: str, expr: str, timeout: float) -> float | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = prom_query(store_url, expr)
        if result:
            return float(result[0]["value"][1])
        time.sleep(0.2)
    return None


def test_a_sample_written_through_vmagent_is_queried_back_and_survives_a_restart(
    tmp_path: Path,
) -> None:
    store = VictoriaMetricsProcess(tmp_path / "vm").start()
    agent = VmagentProcess(tmp_path / "agent", store.remote_write_url).start()
    try:
        _write(agent.remote_write_url, "wrapper_probe", 42.5)
        assert _value_within(store.url, "wrapper_probe", timeout=15) == 42.5
        assert agent.own_metric("vmagent_remotewrite_packets_dropped_total") == 0
        store.stop()
        store.start()
        # VictoriaMetrics flushes recent rows to disk on shutdown: the restart reads them back
        assert _value_within(store.url, "last_over_time(wrapper_probe[5m])", timeout=15) == 42.5
    finally:
        agent.stop()
        store.stop()
    assert store.pid is None and agent.pid is None
