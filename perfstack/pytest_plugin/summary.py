"""The run record's exact figures per benchmark, shared by the plugin and the importer."""

from __future__ import annotations

from typing import Any

from perfstack.metrics.benchmarks import BenchmarkResult

RECORD_STATS = ("min", "max", "mean", "median", "stddev", "ops")


def benchmark_summary(results: list[BenchmarkResult]) -> dict[str, dict[str, Any]]:
    """{fullname: figures} as pytest-benchmark had them (seconds per iteration; ops per s)."""
    return {
        result.fullname: {
            "name": result.name,
            "group": result.group,
            "rounds": result.rounds,
            "iterations": result.iterations,
            **{stat: getattr(result, stat) for stat in RECORD_STATS},
        }
        for result in results
    }
