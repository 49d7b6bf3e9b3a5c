"""Truth tests: real load (`perfstack run`, Locust) against the demo target, judged by the
gate in the real Prometheus. Four 10-second runs, all at once, each on a target of its own:

- healthy (100 ms added to a lognormal 20 ms latency): passes;
- noisy but unchanged (the same, at the same time on another target): not a regression;
- added latency (400 ms instead of 100 ms): fails the p95 objective and the
  relative-change objective against the healthy run;
- 5% errors: fails the error objective.

The two healthy-type runs share a phase so they meet the same machine load: a shared
2-core CI box shifts tail latency between phases by more than any sane criterion. The
other two share it as well (one phase instead of two: ten seconds less of a serial CI
phase); they are judged against the healthy run by margins of several times.

The same runs are judged in VictoriaMetrics too (docs/stores.md): the generators push to a
vmagent that forwards every sample to both stores, and every verdict must be the same in
both, with the same measured values and baseline intervals.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from perfstack.testing import VictoriaMetricsProcess, VmagentProcess
from tests.fixtures.demo_target import start_demo_target
from tests.gate.conftest import write_rules
from tests.loadgen.locust_runs import start_perfstack, write_locustfile

# exclusive: p95 against a baseline from another phase, which other tests' load would shift
pytestmark = [pytest.mark.slow, pytest.mark.exclusive]

LOCUSTFILE = """
from locust import FastHttpUser, constant, task


class Api(FastHttpUser):
    wait_time = constant(0.01)

    @task
    def latency(self):
        self.client.get("/api/latency", name="/api/latency")
"""

RULES = """
name: truth
objectives:
  - {name: p95 latency, sli: latency_p95, pass: "< 300ms", key: true, min_samples: 100}
  - name: p95 vs baseline
    sli: latency_p95
    relative: {pass: "<= +20%", interval: 1s}
  - {name: error ratio, sli: error_ratio, pass: "<= 1%", min_samples: 100}
  - {name: throughput, sli: throughput, pass: ">= 5rps"}
"""
HEALTHY = {"latency_ms": 100}


@dataclass
class Runs:
    healthy: str
    latency: str
    errors: str
    noisy: str
    state_dir: Path
    victoria_url: str = ""


def _load(
    stack, pairs: list[tuple[str, dict[str, float]]], tmp: Path, remote_write_url: str
) -> None:
    """Runs 10 s of load for each (testid, knobs), on a target of its own, concurrently."""
    locustfile = write_locustfile(tmp, LOCUSTFILE, "locustfile_truth.py")
    targets, processes = [], []
    try:
        for testid, knobs in pairs:
            target = start_demo_target(tmp, **knobs)
            targets.append(target)
            processes.append(
                start_perfstack(
                    locustfile,
                    target.url,
                    stack.state_dir,
                    stack.prometheus_url,
                    "-u",
                    "5",
                    "-t",
                    "10s",
                    "--testid",
                    testid,
                    "--scenario",
                    "smoke",
                    "--remote-write-url",
                    remote_write_url,
                )
            )
        for process in processes:
            output, _ = process.communicate(timeout=90)
            assert process.returncode == 0, output
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
        for target in targets:
            target.stop()


@pytest.fixture(scope="module")
def runs(stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    tag = uuid.uuid4().hex[:6]
    ids = Runs(
        f"truth-healthy-{tag}",
        f"truth-latency-{tag}",
        f"truth-errors-{tag}",
        f"truth-noisy-{tag}",
        stack.state_dir,
    )
    tmp = tmp_path_factory.mktemp("truth")
    victoria = VictoriaMetricsProcess(tmp / "victoria").start()
    # one queue: samples of a series reach each store in order
    fan_out = VmagentProcess(
        tmp / "vmagent",
        stack.remote_write_url,
        flags=[f"-remoteWrite.url={victoria.remote_write_url}", "-remoteWrite.queues=1"],
    )
    try:
        fan_out.start()
        ids.victoria_url = victoria.url
        pushed = fan_out.remote_write_url
        # the error run without added latency: more requests, a tighter 5% estimate
        pairs = [(ids.healthy, HEALTHY), (ids.noisy, HEALTHY)]
        pairs += [(ids.errors, {"error_ratio": 0.05}), (ids.latency, {"latency_ms": 400})]
        _load(stack, pairs, tmp, pushed)
        assert fan_out.own_metric("vmagent_remotewrite_packets_dropped_total") == 0
        yield ids
    finally:
        fan_out.stop()
        victoria.stop()


def judge(
    gate_cli, runs: Runs, tmp_path: Path, testid: str, *extra: str, store: str = "prometheus"
) -> tuple[int, dict]:
    rules = write_rules(tmp_path, RULES)
    out = tmp_path / f"{testid}-{store}.json"
    url = runs.victoria_url if store == "victoria-metrics" else None
    code = gate_cli(
        "gate",
        "check",
        "--rules",
        rules,
        "--testid",
        testid,
        "--json",
        out,
        "--no-push",
        *extra,
        prometheus=url,
    )
    data = json.loads(out.read_text())
    for entry in data["objectives"]:  # shown with -s or on failure: the margins of this machine
        base = entry["baseline"] or {}
        print(
            store,
            testid,
            entry["name"],
            entry["status"],
            entry["value"],
            base.get("relative_change"),
            base.get("ci"),
        )
    return code, {entry["name"]: entry for entry in data["objectives"]}


def check(gate_cli, runs: Runs, tmp_path: Path, testid: str, *extra: str) -> tuple[int, dict]:
    """The verdicts in Prometheus, once they are known to be the same in VictoriaMetrics."""
    code, verdicts = judge(gate_cli, runs, tmp_path, testid, *extra)
    vm_code, vm_verdicts = judge(gate_cli, runs, tmp_path, testid, *extra, store="victoria-metrics")
    assert vm_code == code
    assert {name: v["status"] for name, v in vm_verdicts.items()} == {
        name: v["status"] for name, v in verdicts.items()
    }
    for name, entry in verdicts.items():
        other = vm_verdicts[name]
        assert other["source"] == entry["source"] and other["samples"] == entry["samples"], name
        assert other["value"] == pytest.approx(entry["value"], rel=1e-9), name
        if entry["baseline"]:
            # the bootstrap's per-interval p95s read the same samples in both stores
            # (gate/shorthands.py `_increase`), drawn with the same seed
            for key in ("value", "relative_change"):
                expected = entry["baseline"][key]
                assert other["baseline"][key] == pytest.approx(expected, rel=1e-9), name
            assert other["baseline"]["ci"] == pytest.approx(entry["baseline"]["ci"], rel=1e-9)
    return code, verdicts


def test_healthy_run_passes(runs: Runs, gate_cli, tmp_path: Path) -> None:
    code, verdicts = check(gate_cli, runs, tmp_path, runs.healthy, "--baseline-testid", runs.noisy)
    assert code == 0, verdicts
    p95 = verdicts["p95 latency"]
    assert p95["status"] == "PASS" and p95["source"] == "run record"
    assert 0.12 < p95["value"] < 0.3  # 100 ms + lognormal (median 20 ms)
    assert verdicts["error ratio"]["value"] == 0.0 and verdicts["error ratio"]["samples"] > 100
    assert verdicts["throughput"]["value"] > 10


def test_added_latency_fails_latency_and_regression(runs: Runs, gate_cli, tmp_path: Path) -> None:
    code, verdicts = check(
        gate_cli, runs, tmp_path, runs.latency, "--baseline-testid", runs.healthy
    )
    assert code == 1
    assert verdicts["p95 latency"]["status"] == "FAIL" and verdicts["p95 latency"]["value"] > 0.4
    relative = verdicts["p95 vs baseline"]
    assert relative["status"] == "FAIL"
    assert relative["baseline"]["method"] == "bootstrap"
    low, _high = relative["baseline"]["ci"]
    assert low > 0.20 and relative["baseline"]["relative_change"] > 1.0  # several times slower
    assert relative["baseline"]["level"] == "critical"
    assert verdicts["error ratio"]["status"] == "PASS"


def test_five_percent_errors_fail_the_error_objective(runs: Runs, gate_cli, tmp_path: Path) -> None:
    code, verdicts = check(gate_cli, runs, tmp_path, runs.errors, "--baseline-testid", runs.healthy)
    assert code == 1
    errors = verdicts["error ratio"]
    assert errors["status"] == "FAIL"
    assert 0.03 < errors["value"] < 0.07, errors["value"]
    assert errors["recommendation"].startswith("Errors over target")


def test_noisy_but_unchanged_run_is_not_a_regression(runs: Runs, gate_cli, tmp_path: Path) -> None:
    code, verdicts = check(gate_cli, runs, tmp_path, runs.noisy, "--baseline-testid", runs.healthy)
    relative = verdicts["p95 vs baseline"]
    assert relative["baseline"]["method"] == "bootstrap"
    assert relative["status"] in ("PASS", "WARN"), relative
    assert relative["baseline"]["ci"][0] <= 0.20  # the interval does not lie wholly past +20%
    assert code == 0


def test_a_saved_baseline_file_keeps_the_intervals_for_the_comparison(
    runs: Runs, gate_cli, tmp_path: Path
) -> None:
    rules = write_rules(tmp_path, RULES)
    directory = tmp_path / "baselines"
    assert (
        gate_cli(
            "baseline",
            "save",
            "--rules",
            rules,
            "--testid",
            runs.healthy,
            "--baseline-dir",
            directory,
        )
        == 0
    )
    saved = json.loads((directory / "main.json").read_text())["objectives"]["p95 vs baseline"]
    assert len(saved["intervals"]) >= 5
    code, verdicts = check(
        gate_cli,
        runs,
        tmp_path,
        runs.latency,
        "--baseline",
        "main",
        "--baseline-dir",
        str(directory),
    )
    relative = verdicts["p95 vs baseline"]
    assert code == 1 and relative["status"] == "FAIL"
    assert relative["baseline"]["method"] == "bootstrap" and relative["baseline"]["ci"][0] > 0.20
    code, verdicts = check(
        gate_cli, runs, tmp_path, runs.noisy, "--baseline", "main", "--baseline-dir", str(directory)
    )
    assert verdicts["p95 vs baseline"]["status"] in ("PASS", "WARN") and code == 0
