"""The exporter's metric families (names: docs/metrics.md, "Resources")."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from exporters.readings import HostReading
from exporters.totals import TargetState

# (metric name, help, field in TargetValues.gauges)
TARGET_GAUGES = (
    ("exporter_target_resident_memory_bytes", "Resident set size (RSS), summed.", "rss_bytes"),
    ("exporter_target_unique_memory_bytes", "Unique set size (USS), summed.", "uss_bytes"),
    ("exporter_target_virtual_memory_bytes", "Virtual memory size, summed.", "vms_bytes"),
    ("exporter_target_threads", "Threads, summed.", "threads"),
    ("exporter_target_open_fds", "Open file descriptors, summed.", "open_fds"),
    ("exporter_target_network_connections", "Inet sockets (tcp, udp), summed.", "connections"),
)
TARGET_COUNTERS = (
    ("exporter_target_cpu_seconds", "CPU seconds (user + system), summed.", "cpu_seconds"),
    ("exporter_target_io_read_bytes", "Bytes read from storage, summed.", "io_read_bytes"),
    ("exporter_target_io_write_bytes", "Bytes written to storage, summed.", "io_write_bytes"),
)


def target_families(states: Sequence[TargetState]) -> Iterator[Metric]:
    up = GaugeMetricFamily(
        "exporter_target_up", "1 while the target has a process.", labels=["target"]
    )
    for state in states:
        up.add_metric([state.name], 1.0 if state.up else 0.0)
    yield up
    live = [s for s in states if s.up and s.values is not None]
    processes = GaugeMetricFamily(
        "exporter_target_processes", "Processes of the target (root + children).", labels=["target"]
    )
    restarts = CounterMetricFamily(
        "exporter_target_restarts", "Times the target came back with a new PID.", labels=["target"]
    )
    ratio = GaugeMetricFamily(
        "exporter_target_cpu_utilization_ratio",
        "CPU used over the last interval, as a share of one core.",
        labels=["target"],
    )
    switches = CounterMetricFamily(
        "exporter_target_context_switches", "Context switches, summed.", labels=["target", "kind"]
    )
    gauges = {
        name: GaugeMetricFamily(name, text, labels=["target"]) for name, text, _ in TARGET_GAUGES
    }
    counters = {
        name: CounterMetricFamily(name, text, labels=["target"])
        for name, text, _ in TARGET_COUNTERS
    }
    for state in live:
        values = state.values
        assert values is not None
        processes.add_metric([state.name], values.processes)
        restarts.add_metric([state.name], state.restarts)
        if state.cpu_ratio is not None:
            ratio.add_metric([state.name], state.cpu_ratio)
        for name, _, key in TARGET_GAUGES:
            if values.gauges.get(key) is not None:
                gauges[name].add_metric([state.name], values.gauges[key] or 0.0)
        for name, _, key in TARGET_COUNTERS:
            if values.counters.get(key) is not None:
                counters[name].add_metric([state.name], values.counters[key] or 0.0)
        switches.add_metric([state.name, "voluntary"], values.counters["ctx_voluntary"] or 0.0)
        switches.add_metric([state.name, "involuntary"], values.counters["ctx_involuntary"] or 0.0)
    yield processes
    yield restarts
    yield ratio
    yield switches
    yield from gauges.values()
    yield from counters.values()


def host_families(host: HostReading) -> Iterator[Metric]:
    for name, text, value in (
        ("exporter_host_cpu_utilization_ratio", "Host CPU busy, all cores = 1.", host.cpu_ratio),
        (
            "exporter_host_memory_used_bytes",
            "Host memory in use (total - available).",
            host.memory_used_bytes,
        ),
        ("exporter_host_memory_total_bytes", "Host memory.", host.memory_total_bytes),
        ("exporter_host_load1", "1-minute load average.", host.load1),
    ):
        family = GaugeMetricFamily(name, text)
        family.add_metric([], value)
        yield family
    for name, text, value in (
        (
            "exporter_host_network_receive_bytes",
            "Bytes received, all interfaces.",
            host.network_receive_bytes,
        ),
        (
            "exporter_host_network_transmit_bytes",
            "Bytes sent, all interfaces.",
            host.network_transmit_bytes,
        ),
    ):
        counter = CounterMetricFamily(name, text)
        counter.add_metric([], value)
        yield counter
