from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry

from exporters.collector import ResourceCollector
from exporters.targets import TargetSpec, TargetTracker
from tests.exporters.recorded import RecordedSampler


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def setup(max_age: float = 0.0) -> tuple[RecordedSampler, Clock, CollectorRegistry]:
    sampler = RecordedSampler()
    sampler.add(10, 1, "api", "python api.py", 100_000_000, cpu=10.0)
    sampler.add(11, 10, "python", "python worker.py", 40_000_000, cpu=5.0)
    sampler.add(50, 1, "db", "postgres", 300_000_000, cpu=1.0)
    clock = Clock()
    trackers = [
        TargetTracker(TargetSpec("name", "^api$", "api"), sampler, exclude=set()),
        TargetTracker(TargetSpec("name", "^db$", "db"), sampler, exclude=set()),
    ]
    for tracker in trackers:
        tracker.start()
    registry = CollectorRegistry()
    collector = ResourceCollector(sampler, trackers, clock=clock, max_age=max_age)
    registry.register(collector)
    collector.refresh()  # as the runner does at start
    return sampler, clock, registry


def value(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


def test_values_are_sums_over_the_target_and_its_children() -> None:
    _, _, registry = setup()
    assert value(registry, "exporter_target_up", target="api") == 1
    assert value(registry, "exporter_target_processes", target="api") == 2
    assert value(registry, "exporter_target_resident_memory_bytes", target="api") == 140_000_000
    assert value(registry, "exporter_target_unique_memory_bytes", target="api") == 70_000_000
    assert value(registry, "exporter_target_virtual_memory_bytes", target="api") == 560_000_000
    assert value(registry, "exporter_target_cpu_seconds_total", target="api") == 15.0
    assert value(registry, "exporter_target_threads", target="api") == 4
    assert value(registry, "exporter_target_open_fds", target="api") == 10
    assert value(registry, "exporter_target_network_connections", target="api") == 2
    assert value(registry, "exporter_target_io_read_bytes_total", target="api") == 200
    assert value(registry, "exporter_target_io_write_bytes_total", target="api") == 400
    assert (
        value(registry, "exporter_target_context_switches_total", target="api", kind="voluntary")
        == 20
    )
    assert value(registry, "exporter_target_resident_memory_bytes", target="db") == 300_000_000
    assert value(registry, "exporter_host_memory_total_bytes") == 8 * 2**30
    assert value(registry, "exporter_host_cpu_utilization_ratio") == 0.25
    assert value(registry, "exporter_host_network_receive_bytes_total") == 1000


def test_cpu_utilization_is_the_cpu_delta_over_the_wall_delta() -> None:
    sampler, clock, registry = setup()
    assert value(registry, "exporter_target_cpu_utilization_ratio", target="api") is None  # 1 pass
    clock.now += 2.0
    sampler.add(10, 1, "api", "python api.py", 100_000_000, cpu=11.0)
    sampler.add(11, 10, "python", "python worker.py", 40_000_000, cpu=5.5)
    assert value(registry, "exporter_target_cpu_utilization_ratio", target="api") == 0.75


def test_disappearing_target_keeps_only_up_0_and_comes_back_counted_as_restart() -> None:
    sampler, clock, registry = setup()
    sampler.remove(10)
    sampler.remove(11)
    clock.now += 1
    assert value(registry, "exporter_target_up", target="api") == 0
    families = {m.name: m for m in registry.collect()}
    per_target = [
        s for m in families.values() for s in m.samples if s.labels.get("target") == "api"
    ]
    assert [(s.name, s.value) for s in per_target] == [("exporter_target_up", 0.0)]
    assert value(registry, "exporter_target_up", target="db") == 1  # the other target unaffected
    sampler.add(20, 1, "api", "python api.py", 90_000_000, cpu=0.5)
    clock.now += 1
    assert value(registry, "exporter_target_up", target="api") == 1
    assert value(registry, "exporter_target_restarts_total", target="api") == 1
    assert value(registry, "exporter_target_resident_memory_bytes", target="api") == 90_000_000
    assert value(registry, "exporter_target_cpu_seconds_total", target="api") == 15.5


def test_each_pass_tells_the_sampler_which_processes_the_targets_still_hold() -> None:
    sampler, clock, registry = setup()
    assert sampler.retained[-1] == {10, 11, 50}
    sampler.remove(11)  # the api's worker exited
    clock.now += 1
    assert value(registry, "exporter_target_up", target="api") == 1
    assert sampler.retained[-1] == {10, 50}


def test_access_denied_process_is_left_out_and_counted() -> None:
    sampler, clock, registry = setup(max_age=0.5)
    sampler.denied.add(11)
    clock.now += 1  # one new pass, read twice
    assert value(registry, "exporter_target_resident_memory_bytes", target="api") == 100_000_000
    assert value(registry, "exporter_sample_errors_total", reason="access_denied") == 1


def test_unreadable_optional_field_is_omitted_for_that_target_only() -> None:
    sampler, clock, registry = setup()
    sampler.add(11, 10, "python", "python worker.py", 40_000_000, uss_bytes=None, open_fds=None)
    clock.now += 1
    assert value(registry, "exporter_target_unique_memory_bytes", target="api") is None
    assert value(registry, "exporter_target_open_fds", target="api") is None
    assert value(registry, "exporter_target_unique_memory_bytes", target="db") == 150_000_000
    assert value(registry, "exporter_target_resident_memory_bytes", target="api") == 140_000_000


def test_collect_reuses_a_fresh_pass_and_samples_again_when_old() -> None:
    sampler, clock, registry = setup(max_age=1.5)
    sampler.add(10, 1, "api", "python api.py", 1, cpu=10.0)
    clock.now += 1.0
    assert value(registry, "exporter_target_resident_memory_bytes", target="api") == 140_000_000
    clock.now += 1.0
    assert value(registry, "exporter_target_resident_memory_bytes", target="api") == 40_000_001


def test_readings_turned_off_are_not_reported_as_denied(caplog: Any) -> None:
    sampler, clock, registry = setup()
    sampler.disabled = frozenset({"uss_bytes"})
    sampler.add(10, 1, "api", "python api.py", 100_000_000, uss_bytes=None)
    clock.now += 1
    assert value(registry, "exporter_target_unique_memory_bytes", target="api") is None
    assert "not readable" not in caplog.text
    sampler.add(50, 1, "db", "postgres", 300_000_000, open_fds=None)
    clock.now += 1
    assert value(registry, "exporter_target_open_fds", target="db") is None
    assert "target 'db': open_fds not readable (permission denied" in caplog.text
