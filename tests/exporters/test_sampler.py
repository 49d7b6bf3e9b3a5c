"""PsutilSampler against a real process tree: a python parent and two children."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from typing import Any

import psutil
import pytest
from prometheus_client import CollectorRegistry

from exporters.collector import ResourceCollector
from exporters.sampler import PsutilSampler
from exporters.targets import TargetSpec, TargetTracker
from exporters.totals import CounterBook
from tests.exporters.process_tree import ProcessTree, spawn_tree
from tests.helpers import wait_until

SIZE = 30 * 2**20


@pytest.fixture
def tree() -> Iterator[ProcessTree]:
    tree = spawn_tree(SIZE, 2, f"perfstack-tree-{uuid.uuid4().hex}")
    yield tree
    tree.kill()


def psutil_sum(pids: list[int]) -> dict[str, float]:
    procs = [psutil.Process(pid) for pid in pids]
    return {
        "rss": sum(p.memory_info().rss for p in procs),
        "vms": sum(p.memory_info().vms for p in procs),
        "uss": sum(p.memory_full_info().uss for p in procs),
        "cpu": sum(p.cpu_times().user + p.cpu_times().system for p in procs),
        "threads": sum(p.num_threads() for p in procs),
        "fds": sum(p.num_fds() for p in procs),
    }


def test_tree_values_match_psutil_summed_over_children(tree: ProcessTree) -> None:
    tracker = TargetTracker(TargetSpec("cmdline", tree.marker, "tree"), PsutilSampler())
    tracker.start()
    collector = ResourceCollector(PsutilSampler(), [tracker])
    registry = CollectorRegistry()
    registry.register(collector)
    snapshot = collector.refresh()
    expected = psutil_sum(tree.pids)

    def value(name: str) -> float | None:
        return registry.get_sample_value(name, {"target": "tree"})

    [state] = snapshot.targets
    assert state.up and state.values is not None
    assert state.values.processes == 3
    assert value("exporter_target_processes") == 3
    assert value("exporter_target_resident_memory_bytes") == expected["rss"]
    assert value("exporter_target_virtual_memory_bytes") == expected["vms"]
    assert value("exporter_target_unique_memory_bytes") == expected["uss"]
    assert value("exporter_target_threads") == expected["threads"]
    assert value("exporter_target_open_fds") == expected["fds"]
    assert value("exporter_target_cpu_seconds_total") == pytest.approx(expected["cpu"], abs=0.05)
    # every process really holds its 30 MiB block
    assert expected["rss"] >= 3 * SIZE
    assert expected["uss"] >= 3 * SIZE


def test_connections_and_io_are_read_for_own_processes(tree: ProcessTree) -> None:
    reading = PsutilSampler().read(tree.root)
    assert reading is not None
    assert reading.connections == 0  # the tree opens no sockets
    assert reading.io_read_bytes is not None and reading.io_write_bytes is not None


def test_vanished_process_reads_as_none(tree: ProcessTree) -> None:
    sampler = PsutilSampler()
    assert sampler.read(tree.pids[1]) is not None
    tree.kill()
    # SIGKILL is not instant: the process tears down, is a zombie, then is reaped by init.
    wait_until(lambda: sampler.read(tree.pids[1]) is None, timeout=5)
    wait_until(lambda: sampler.info(tree.pids[1]) is None, timeout=5)


def test_a_reused_pid_reads_as_a_new_process(tree: ProcessTree) -> None:
    """A child exits unseen between passes and a new process gets its pid: the target's CPU
    counter must not go down (Prometheus would read a counter reset)."""
    pid = tree.pids[1]
    sampler = PsutilSampler()
    current = sampler.read(pid)
    assert current is not None
    earlier = dataclasses.replace(
        current, create_time=current.create_time - 60, cpu_seconds=current.cpu_seconds + 100
    )
    # PID reuse cannot be had on demand: turn the cached Process into the one the earlier
    # process left behind. psutil keeps a process's identity as (pid, create time).
    cached = sampler._procs[pid]
    cached._create_time = earlier.create_time
    cached._ident = (pid, earlier.create_time)
    book = CounterBook()
    before = book.update({pid: earlier}).counters["cpu_seconds"]

    reading = sampler.read(pid)
    assert reading is not None and reading.create_time == current.create_time
    assert book.update({pid: reading}).counters["cpu_seconds"] >= before


def test_a_process_no_target_holds_is_forgotten(tree: ProcessTree) -> None:
    """A child that exits and is never read again must not stay cached for good: an
    exporter watching a server that forks workers would grow without end."""
    sampler = PsutilSampler(uss_every=1)
    for pid in tree.pids:
        assert sampler.read(pid) is not None
    assert set(sampler._procs) == set(sampler._uss) == set(tree.pids)
    sampler.retain(set(tree.pids[:2]))  # the last child is no longer in any target
    assert set(sampler._procs) == set(sampler._uss) == set(tree.pids[:2])
    sampler.retain(set())
    assert sampler._procs == {} and sampler._uss == {}


def test_host_reading_is_plausible() -> None:
    host = PsutilSampler().host()
    assert 0 < host.memory_used_bytes < host.memory_total_bytes == psutil.virtual_memory().total
    assert 0.0 <= host.cpu_ratio <= 1.0
    assert host.network_receive_bytes > 0


def test_port_target_follows_the_demo_target_through_a_restart(demo_target_factory: Any) -> None:
    target = demo_target_factory()
    sampler = PsutilSampler()
    tracker = TargetTracker(TargetSpec("port", str(target.port)), sampler)
    tracker.start()
    collector = ResourceCollector(sampler, [tracker])
    [state] = collector.refresh().targets
    assert tracker.roots == {target.pid} and state.up
    assert state.values is not None
    assert state.values.gauges["rss_bytes"] == psutil.Process(target.pid).memory_info().rss

    old_pid = target.pid
    target.kill()
    [state] = collector.refresh().targets
    assert not state.up
    target.restart()  # same port, new process
    assert target.pid != old_pid
    [state] = collector.refresh().targets
    assert state.up and state.restarts == 1 and tracker.roots == {target.pid}
