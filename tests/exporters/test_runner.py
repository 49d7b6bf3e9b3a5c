"""The exporter end to end in-process: real processes, push into the real stack Prometheus."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import psutil
import pytest
from prometheus_client.parser import text_string_to_metric_families

from exporters.runner import ExporterOptions, ExporterRun
from exporters.targets import TargetSpec
from perfstack.testing import free_port, prom_query
from tests.exporters.process_tree import ProcessTree, spawn_tree
from tests.exporters.recorded import RecordedSampler
from tests.helpers import prom_scalar, wait_until

SIZE = 20 * 2**20


@pytest.fixture
def trees() -> Iterator[Callable[[str], ProcessTree]]:
    started: list[ProcessTree] = []

    def spawn(marker: str) -> ProcessTree:
        tree = spawn_tree(SIZE, 2, marker)
        started.append(tree)
        return tree

    yield spawn
    for tree in started:
        tree.kill()


@pytest.fixture
def exporter() -> Iterator[Callable[..., ExporterRun]]:
    runs: list[tuple[ExporterRun, threading.Thread]] = []

    def start(**options: Any) -> ExporterRun:
        run = ExporterRun(ExporterOptions(**options)).start()
        thread = threading.Thread(target=run.run, daemon=True)
        thread.start()
        runs.append((run, thread))
        return run

    yield start
    for run, thread in runs:
        run.stop_event.set()
        thread.join(10)
        run.close()


def labels(testid: str) -> dict[str, str]:
    return {
        "testid": testid,
        "scenario": "exporter-test",
        "generator": "exporter",
        "instance": "test:1",
    }


def test_push_follows_a_target_through_death_and_restart(
    stack: Any, trees: Callable[[str], ProcessTree], exporter: Callable[..., ExporterRun]
) -> None:
    marker = f"perfstack-tree-{uuid.uuid4().hex}"
    testid = f"exp-{uuid.uuid4().hex[:8]}"
    tree = trees(marker)
    exporter(
        targets=[TargetSpec("cmdline", marker, "tree")],
        interval=0.5,
        remote_write_url=stack.remote_write_url,
        push_labels=labels(testid),
    )
    url = stack.prometheus_url
    rss = f'exporter_target_resident_memory_bytes{{testid="{testid}",target="tree"}}'
    up = f'exporter_target_up{{testid="{testid}",target="tree"}}'

    pushed = wait_until(lambda: prom_query(url, rss), timeout=15)
    assert pushed[0]["metric"]["generator"] == "exporter"
    assert pushed[0]["metric"]["scenario"] == "exporter-test"
    expected = sum(psutil.Process(pid).memory_info().rss for pid in tree.pids)
    assert float(pushed[0]["value"][1]) == pytest.approx(expected, rel=0.01)
    assert prom_scalar(url, f'exporter_target_processes{{testid="{testid}"}}') == 3

    tree.kill()
    wait_until(lambda: prom_scalar(url, up) == 0, timeout=15)
    # stale markers end the per-target series at once, not after the 5-minute lookback
    wait_until(lambda: prom_query(url, rss) == [], timeout=10)
    assert prom_query(url, f'exporter_target_threads{{testid="{testid}"}}') == []

    again = trees(marker)
    wait_until(lambda: prom_scalar(url, up) == 1, timeout=15)
    restarts = f'exporter_target_restarts_total{{testid="{testid}",target="tree"}}'
    wait_until(lambda: prom_scalar(url, restarts) == 1, timeout=10)
    expected = sum(psutil.Process(pid).memory_info().rss for pid in again.pids)
    wait_until(lambda: prom_scalar(url, rss) == pytest.approx(expected, rel=0.01), timeout=10)


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_keeps_sampling_and_serving_while_prometheus_is_away(
    trees: Callable[[str], ProcessTree], exporter: Callable[..., ExporterRun]
) -> None:
    marker = f"perfstack-tree-{uuid.uuid4().hex}"
    tree = trees(marker)
    run = exporter(
        targets=[TargetSpec("cmdline", marker, "tree")],
        interval=0.2,
        remote_write_url=f"http://127.0.0.1:{free_port()}/api/v1/write",  # nothing listens
        push_labels=labels("away"),
        listen=("127.0.0.1", 0),
        stop_timeout=1.0,
    )
    assert run.pusher is not None
    wait_until(lambda: run.pusher is not None and run.pusher.stats.pushes_failed >= 2, timeout=10)
    samples = scrape(run.metrics_port)
    expected = sum(psutil.Process(pid).memory_info().rss for pid in tree.pids)
    rss = samples[("exporter_target_resident_memory_bytes", (("target", "tree"),))]
    assert rss == pytest.approx(expected, rel=0.01)
    assert samples[("exporter_target_up", (("target", "tree"),))] == 1
    # the backlog waits in the buffer for Prometheus to come back
    assert run.pusher.stats.pending_batches >= 2


def test_launched_command_is_watched_and_its_exit_status_returned() -> None:
    run = ExporterRun(
        ExporterOptions(
            targets=[],
            command=["python3", "-c", "import time; b=b'x'*(8<<20); time.sleep(1.5); exit(3)"],
            interval=0.2,
        )
    ).start()
    try:
        assert run.collector is not None
        [tracker] = run.collector.trackers
        assert tracker.spec.name == "python3"
        assert run.run() == 3
    finally:
        run.close()


def test_an_unexpected_sampling_error_is_logged_and_the_run_goes_on(caplog: Any) -> None:
    class Flaky(RecordedSampler):
        def host(self) -> Any:
            self.host_calls = getattr(self, "host_calls", 0) + 1
            if self.host_calls in (2, 3):
                raise RuntimeError("host read broke")
            return super().host()

    sampler = Flaky()
    sampler.add(10, 1, "api", "api", 1000)
    run = ExporterRun(
        ExporterOptions(targets=[TargetSpec("name", "^api$", "api")], interval=0.05, duration=0.5),
        sampler=sampler,
    ).start()
    try:
        assert run.run() == 0
    finally:
        run.close()
    assert sampler.host_calls >= 5  # kept sampling after the failures
    assert caplog.text.count("sampling failed (RuntimeError)") == 1
    assert run.registry.get_sample_value("exporter_target_up", {"target": "api"}) == 1
