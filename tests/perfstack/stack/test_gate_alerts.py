"""`perfstack up --rules`: a gate rule file's alerts loaded into the real local Prometheus,
firing on pushed data for the run that misses the objective and only for it, as the gate
judges the same runs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram

from perfstack.cli import main
from perfstack.metrics.schema import LATENCY_BUCKETS
from perfstack.mixin import thresholds as levels
from perfstack.mixin.config import LATENCY_SLA_SECONDS, OBJECTIVE_THRESHOLD
from perfstack.push.config import PushConfig
from perfstack.push.pusher import RemoteWritePusher
from perfstack.stack.gate_alerts import gate_alerts_dir, install
from tests.helpers import prom_query, prom_scalar, wait_until
from tests.perfstack.stack.test_lifecycle import LocalStack

P95_RULES = """
name: team-sla
objectives:
  - {name: p95 under 2s, sli: latency_p95, pass: "< 2s"}
  - {name: p95 against main, sli: latency_p95, relative: "<= +10%"}
"""
_P95_ALERT = "PerfstackObjectiveP95Under2s"
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
    """A run's HTTP duration histogram and request count, every request taking `seconds`,
    pushed on demand."""

    def __init__(self, url: str, testid: str, seconds: float) -> None:
        registry = CollectorRegistry()
        self.histogram = Histogram(
            "loadgen_http_request_duration_seconds", "d", registry=registry, buckets=LATENCY_BUCKETS
        )
        # generator="locust": the gate judges latency objectives of HTTP runs only
        self.requests = Counter("loadgen_http_requests", "n", registry=registry)
        labels = {"testid": testid, "scenario": "smoke", "generator": "locust"}
        self.pusher = RemoteWritePusher(registry, PushConfig(url=url, labels=labels))
        self.seconds = seconds

    def push(self, requests: int) -> None:
        for _ in range(requests):
            self.histogram.observe(self.seconds)
            self.requests.inc()
        assert self.pusher.flush(timeout=5)


@pytest.mark.slow(seconds=30)
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
    assert groups["perfstack-objectives-team-sla"] == [OBJECTIVE_THRESHOLD, _P95_ALERT]
    # the dashboards' p95 line is the team's level, not the default
    p95_line = levels.level("latency_p95", LATENCY_SLA_SECONDS)
    assert wait_until(lambda: prom_scalar(url, p95_line) == 2.0, timeout=15)
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

    started = time.time()
    assert wait_until(firing, timeout=40) == {"slow-run"}
    alert = prom_query(url, 'ALERTS{alertname="PerfstackObjectiveP95Under2s"}')[0]["metric"]
    assert alert["severity"] == "critical" and alert["objective"] == "p95 under 2s"

    # the gate, judging the same runs with the same rule file, agrees with the alert
    judged = tmp_path / "judged.yaml"
    judged.write_text(P95_RULES.split("  - {name: p95 against main")[0])
    window = ("--start", f"{started - 5:.3f}", "--end", f"{time.time():.3f}", "--settle", "1")
    for testid, code in (("slow-run", 1), ("fast-run", 0)):
        args = ["gate", "check", "--rules", str(judged), "--testid", testid, *window]
        args += ["--prometheus", url, "--state-dir", str(local_stack.state_dir), "--no-push"]
        assert main(args) == code, testid

    # a second `up --rules` on the running stack replaces the team's alerts (reload)
    other = tmp_path / "other.yaml"
    other.write_text(THROUGHPUT_RULES)
    result = local_stack.cli("up", "--rules", str(other))
    assert result.returncode == 0, result.stderr
    groups = _groups(url)
    assert "perfstack-objectives-team-sla" not in groups
    assert groups["perfstack-objectives-other-team"] == [
        OBJECTIVE_THRESHOLD,
        "PerfstackObjectiveThroughput",
    ]
    # the team's level is gone with its rule file: the line is the default again
    assert wait_until(lambda: prom_scalar(url, p95_line) == LATENCY_SLA_SECONDS, timeout=15)


def test_up_with_an_invalid_rule_file_names_it_and_starts_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    local = LocalStack(tmp_path / "state")  # never started: the rule file is read first
    rules = tmp_path / "bad.yaml"
    rules.write_text("objectives:\n  - {name: p95, sli: latency_p95, pass: fast}\n")
    assert main(["up", *local.args(), "--rules", str(rules)]) == 2
    err = capsys.readouterr().err
    assert f"{rules}:2" in err and "'fast' is not a condition" in err
    assert not (local.state_dir / "prometheus.pid").exists()


def test_install_replaces_earlier_rules_and_keeps_a_file_without_alerts(tmp_path: Path) -> None:
    state = tmp_path / "state"
    team = tmp_path / "team.yaml"
    team.write_text(P95_RULES)
    only_relative = tmp_path / "relative.yaml"
    only_relative.write_text("objectives:\n  - {name: r, sli: latency_p95, relative: '<= +5%'}\n")
    install(state, [team], {})
    written = install(state, [only_relative], {})
    assert [(p.name, count) for p, _group, count in written] == [("00-relative.rules.yml", 0)]
    assert sorted(p.name for p in gate_alerts_dir(state).iterdir()) == ["00-relative.rules.yml"]
    text = written[0][0].read_text()
    assert "#   - r: a relative criterion only" in text and "groups: []" in text
