"""Resources: target memory, CPU, threads, FDs, leak slope; host; generators beside the target."""

from __future__ import annotations

from typing import Any

from perfstack.mixin import config as c
from perfstack.mixin import thresholds as levels
from perfstack.mixin.dashboard import dashboard
from perfstack.mixin.panels import layout, query, row, stat, timeseries

T = c.TESTID
# Rules from prometheus/rules/memory.yml (exporter area; names in docs/metrics.md).
RSS = "target:exporter_target_resident_memory_bytes:sum"
SLOPE = "target:exporter_target_resident_memory_bytes:deriv1m"
LEAK = "target:exporter_target_resident_memory_bytes:leak_suspected"
LEAK_THRESHOLD = "exporter:memory_leak_slope_threshold_bytes_per_second:constant"


GENERATOR_CPU = f"max by (generator, instance) (loadgen_generator_cpu_utilization_ratio{{{T}}})"


def _per_target(metric: str) -> str:
    return f"max by (testid, target) ({metric}{{{T}}})"


def build() -> dict[str, Any]:
    rows = [
        [
            (stat("Target RSS", query(f"sum({RSS}{{{T}}})"), unit="bytes"), 6),
            (
                stat(
                    "Memory growth",
                    query(f"max({SLOPE}{{{T}}})"),
                    unit="Bps",
                    description="Least-squares slope of RSS over 1m",
                ),
                6,
            ),
            (
                stat(
                    "Leak suspected",
                    # The leak rule needs 30s-1m of samples; until then it has no value,
                    # which reads as "not flagged" (0) while the target is watched.
                    query(f"max({LEAK}{{{T}}}) or 0 * max({RSS}{{{T}}})"),
                    red_at=1,
                    description="1 while prometheus/rules/memory.yml flags a steady growth; "
                    "0 also before the rule has enough samples (first 30s)",
                ),
                6,
            ),
            (
                stat(
                    "Target up",
                    query(f"min(exporter_target_up{{{T}}})"),
                    description="0: target gone",
                ),
                6,
            ),
        ],
        [(row("Target"), 24)],
        [
            (
                timeseries(
                    "Resident memory (RSS)",
                    [query(f"{RSS}{{{T}}}", "{{target}} {{testid}}")],
                    unit="bytes",
                    level=levels.line("memory_peak", None),
                    description="Dashed red line: the memory_peak pass level of the loaded "
                    "rule files (the strictest of any target); none without a rule file",
                ),
                12,
            ),
            (
                timeseries(
                    "Memory growth slope",
                    [
                        query(f"{SLOPE}{{{T}}}", "{{target}} {{testid}}"),
                        query(
                            f"scalar({LEAK_THRESHOLD}) * (0 * {SLOPE}{{{T}}} + 1)", "leak threshold"
                        ),
                    ],
                    unit="Bps",
                    description="RSS bytes per second (1m least squares) against the leak "
                    "threshold of the leak rule",
                ),
                12,
            ),
        ],
        [
            (
                timeseries(
                    "Target CPU (share of one core)",
                    [
                        query(
                            _per_target("exporter_target_cpu_utilization_ratio"),
                            "{{target}} {{testid}}",
                        )
                    ],
                    unit="percentunit",
                    level=levels.line("cpu_utilization", None),
                    description="Dashed red line: the cpu_utilization pass level of the loaded "
                    "rule files (the strictest of any target); none without a rule file",
                ),
                8,
            ),
            (
                timeseries(
                    "Threads",
                    [query(_per_target("exporter_target_threads"), "{{target}} {{testid}}")],
                ),
                8,
            ),
            (
                timeseries(
                    "Open file descriptors",
                    [query(_per_target("exporter_target_open_fds"), "{{target}} {{testid}}")],
                ),
                8,
            ),
        ],
        [(row("Generator beside target"), 24)],
        [
            (
                timeseries(
                    "CPU: generators and target (share of one core)",
                    [
                        query(
                            GENERATOR_CPU,
                            "generator {{generator}} {{instance}}",
                        ),
                        query(
                            _per_target("exporter_target_cpu_utilization_ratio"),
                            "target {{target}}",
                        ),
                    ],
                    unit="percentunit",
                    red_at=0.9,
                    description="A generator near 100% of a core measures its own queueing: its "
                    "latencies are not the target's",
                ),
                24,
            )
        ],
        [(row("Host"), 24)],
        [
            (
                timeseries(
                    "Host CPU",
                    [
                        query(
                            f"max by (instance) (exporter_host_cpu_utilization_ratio{{{T}}})",
                            "{{instance}}",
                        )
                    ],
                    unit="percentunit",
                    red_at=0.9,
                ),
                12,
            ),
            (
                timeseries(
                    "Host memory",
                    [
                        query(
                            f"max by (instance) (exporter_host_memory_used_bytes{{{T}}})",
                            "used {{instance}}",
                        ),
                        query(
                            f"max by (instance) (exporter_host_memory_total_bytes{{{T}}})",
                            "total {{instance}}",
                        ),
                    ],
                    unit="bytes",
                ),
                12,
            ),
        ],
    ]
    return dashboard(
        uid=c.UID_RESOURCES,
        title="Perfstack / Resources",
        description="Resources of the watched targets, the host and the load generators.",
        panels=layout(rows),
    )
