"""Helpers for tests that run real Locust runs through `perfstack run`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from perfstack.core.record import RunRecord, load_record
from perfstack.testing import prom_query

WINDOW = "15m"
# users paced at 25/s each by constant_throughput: they know their intended starts, so
# their corrected latency exists (docs/http-load.md, "Closed model: paced users")
PACED_LOCUSTFILE = """
from locust import FastHttpUser, constant_throughput, task

class Paced(FastHttpUser):
    wait_time = constant_throughput(25)
    network_timeout = 10
    @task
    def root(self):
        self.client.get("/")
"""


def perfstack_run_command(
    locustfile: Path, host: str, state_dir: Path, prometheus_url: str, *extra: str
) -> list[str]:
    return [
        sys.executable, "-m", "perfstack", "run", "-f", str(locustfile), "--host", host,
        "--state-dir", str(state_dir), "--prometheus", prometheus_url, *extra,
    ]  # fmt: skip


def run_perfstack(
    locustfile: Path,
    host: str,
    state_dir: Path,
    prometheus_url: str,
    *extra: str,
    timeout: float = 90,
) -> subprocess.CompletedProcess[str]:
    command = perfstack_run_command(locustfile, host, state_dir, prometheus_url, *extra)
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


def start_perfstack(
    locustfile: Path, host: str, state_dir: Path, prometheus_url: str, *extra: str
) -> subprocess.Popen[str]:
    command = perfstack_run_command(locustfile, host, state_dir, prometheus_url, *extra)
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finished_record(state_dir: Path, testid: str, result: Any) -> RunRecord:
    assert result.returncode == 0, f"perfstack run failed: {result.stdout}\n{result.stderr}"
    return load_record(state_dir, testid)


def locust_json_counts(prefix: Path) -> dict[str, tuple[int, int]]:
    """{name: (requests, failures)} from Locust's own final `--json-file` stats.

    (Locust's CSV is rewritten every second and can miss the last requests.)"""
    counts: dict[str, tuple[int, int]] = {}
    for entry in json.loads(Path(f"{prefix}.json").read_text()):
        requests, failures = counts.get(entry["name"], (0, 0))
        counts[entry["name"]] = (requests + entry["num_requests"], failures + entry["num_failures"])
    return counts


def prom_by(prometheus_url: str, metric: str, testid: str, by: str = "") -> dict[str, float]:
    """Sum over instances of each series' last value, grouped by the label `by`."""
    grouping = f" by ({by})" if by else ""
    result = prom_query(
        prometheus_url, f'sum{grouping} (last_over_time({metric}{{testid="{testid}"}}[{WINDOW}]))'
    )
    return {(item["metric"].get(by, "") if by else ""): float(item["value"][1]) for item in result}


def write_locustfile(directory: Path, body: str, name: str = "locustfile.py") -> Path:
    path = directory / name
    path.write_text(body)
    return path
