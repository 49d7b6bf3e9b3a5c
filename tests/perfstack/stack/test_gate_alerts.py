"""`perfstack up --rules`: a gate rule file's alerts loaded into the real local Prometheus,
firing on pushed data for the run that misses the objective and only for it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry, Histogram

from perfstack.metrics.schema import LATENCY_BUCKETS
from perfstack.push.config import PushConfig
from perfstack.push.pusher import RemoteWritePusher
from tests.helpers import prom_query, wait_until
from tests.perfstack.stack.test_lifecycle import LocalStack

P95_RULES = """
name: team-sla
objectives:
  - {name: p95 under 2s, sli: latency_p95, pass: "< 2s"}
  - {name: p95 against main, sli: latency_p95, relative: "<= +10%"}
"""
THROUGHPUT_RULES = """
name: other-team
objectives:
  - {name: throughput, sli: throughput, pass: ">= 1rps"}
"""


@pytest.fixture
def local_stack(tmp_path: Path) -> Iterator[LocalStack]:
    local = LocalStack(tmp_path / "state")
    yield local
    local.cli("down")


def _groups(url: str) -> dict[str, list[str]]:
    body = httpx.get(f"{url}/api/v1/rules", timeout=5).json()
    return {g["name"]: [r["name"] for r in g["rules"]] for g in body["data"]["groups"]}


class LatencyRun:
    """A run's HTTP duration histogram, every request taking `seconds`, pushed on demand."""

    def __init__(self, url: str, testid: str, seconds: float) -> None:
        registry = CollectorRegistry()
        self.histogram = Histogram(
            "loadgen_http_request_duration_seconds", "d", registry=registry, buckets=LATENCY_BUCKETS
        )
        labels = {"testid": testid, "scenario": "smoke", "generator": "test"}
        self.pusher = RemoteWritePusher(registry, PushConfig(url=url, labels=labels))
        self.seconds = seconds

    def push(self, requests: int) -> None:
        for _ in range(requests):
            self.histogram.observe(self.seconds)
        assert self.pusher.flush(timeout=5)


@pytest.mark.slow
def test_up_with_rules_loads_the_objectives_alerts_and_they_fire_for_the_failing_run(
    local_stack: LocalStack, tmp_path: Path
) -> None:
    rules = tmp_path / "team.yaml"
    rules.write_text(P95_RULES)
    result = local_stack.cli("up", "--rules", str(rules))
    assert result.returncode == 0, result.stderr
    assert "alerts from gate rules: 1 rules in group perfstack-objectives-team-sla" in (
        result.stdout
    )
    url = local_stack.prometheus_url
    groups = _groups(url)
    assert groups["perfstack-objectives-team-sla"] == ["PerfstackObjectiveP95Under2s"]
    assert "perfstack-during-run" in groups  # the repository's own alerts stay loaded
    generated = (local_stack.state_dir / "gate-alerts" / "00-team.rules.yml").read_text()
    assert "p95 against main: a relative criterion only" in generated

    write = f"{url}/api/v1/write"
    runs = [LatencyRun(write, "slow-run", 2.5), LatencyRun(write, "fast-run", 1.5)]

    def firing() -> set[str]:
        for run in runs:  # traffic keeps arriving while the alert is evaluated
            run.push(50)
        series = prom_query(
            url, 'ALERTS{alertname="PerfstackObjectiveP95Under2s",alertstate="firing"}'
        )
        time.sleep(1)
        return {s["metric"]["testid"] for s in series}

    assert wait_until(firing, timeout=40) == {"slow-run"}
    alert = prom_query(url, 'ALERTS{alertname="PerfstackObjectiveP95Under2s"}')[0]["metric"]
    assert alert["severity"] == "critical" and alert["objective"] == "p95 under 2s"

    # a second `up --rules` on the running stack replaces the team's alerts (reload)
    other = tmp_path / "other.yaml"
    other.write_text(THROUGHPUT_RULES)
    result = local_stack.cli("up", "--rules", str(other))
    assert result.returncode == 0, result.stderr
    groups = _groups(url)
    assert "perfstack-objectives-team-sla" not in groups
    assert groups["perfstack-objectives-other-team"] == ["PerfstackObjectiveThroughput"]


def test_up_with_an_invalid_rule_file_names_it_and_starts_nothing(
    local_stack: LocalStack, tmp_path: Path
) -> None:
    rules = tmp_path / "bad.yaml"
    rules.write_text("objectives:\n  - {name: p95, sli: latency_p95, pass: fast}\n")
    result = local_stack.cli("up", "--rules", str(rules))
    assert result.returncode == 2
    assert f"{rules}:2" in result.stderr and "'fast' is not a condition" in result.stderr
    assert not (local_stack.state_dir / "prometheus.pid").exists()
