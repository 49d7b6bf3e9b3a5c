"""examples/ci: the CI script run on this machine against the test session's Prometheus and
demo target (fast settings), and the GitHub Actions workflow that calls it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from perfstack.core.settings import StackSettings
from tests.fixtures.demo_target import DemoTarget
from tests.helpers import outside_xdist
from tests.perfstack.pytest_plugin.inner_junit import PLUGIN_ARGS

ROOT = Path(__file__).resolve().parents[3]
CI = ROOT / "examples" / "ci"
SCRIPT = CI / "perf-gate.sh"
WORKFLOW = CI / "github-actions.yml"


def impossible_benchmark_rules(path: Path) -> Path:
    """The example's rules with a mean limit no HTTP request meets: its gate must FAIL."""
    text = (CI / "benchmark-rules.yaml").read_text()
    assert "mean_limit: 50ms" in text
    path.write_text(text.replace("mean_limit: 50ms", "mean_limit: 1us"))
    return path


@pytest.fixture(scope="module")
def ci_run(
    tmp_path_factory: pytest.TempPathFactory, stack: StackSettings, demo_target: DemoTarget
) -> tuple[subprocess.CompletedProcess[str], Path, Path]:
    work = tmp_path_factory.mktemp("ci")
    out, summary = work / "perf-results", work / "step-summary.md"
    summary.write_text("## earlier step\n")
    env = {
        **outside_xdist(),
        "PERFSTACK_CI_OUT": str(out),
        "PERFSTACK_START_STACK": "0",  # the test session's stack stands in for `perfstack up`
        "PERFSTACK_PROMETHEUS_URL": stack.prometheus_url,
        "PERFSTACK_STATE_DIR": str(work / "state"),
        "TARGET_URL": demo_target.url,
        "GITHUB_STEP_SUMMARY": str(summary),
        "PERFSTACK_BENCH_RULES": str(impossible_benchmark_rules(work / "rules.yaml")),
        "PERFSTACK_LOAD_USERS": "20",  # >= 20 requests (min_samples) in a short run
        "PERFSTACK_LOAD_DURATION": "5s",
        "PERFSTACK_PYTEST_ARGS": " ".join([*PLUGIN_ARGS, "--benchmark-max-time=0.05"]),
        "PERFSTACK": f"{sys.executable} -m perfstack",
        "PYTHON": sys.executable,
    }
    done = subprocess.run(
        ["bash", str(SCRIPT)], cwd=work, env=env, capture_output=True, text=True, timeout=240
    )
    return done, out, summary


def gate_json(out: Path, name: str) -> dict:
    return json.loads((out / f"{name}-gate.json").read_text())


@pytest.mark.slow
def test_the_script_runs_every_step_and_exits_with_the_failing_gates_code(
    ci_run: tuple[subprocess.CompletedProcess[str], Path, Path],
) -> None:
    done, out, _ = ci_run
    log = done.stdout + done.stderr
    assert done.returncode == 1, log
    assert gate_json(out, "benchmark")["status"] == "FAIL", log
    load = gate_json(out, "load")
    assert load["status"] == "PASS", json.dumps(load, indent=1)  # run after the first failed
    for name in ("benchmark.json", "pytest-junit.xml", "benchmark-gate.xml", "load-gate.xml",
                 "benchmark-gate.md", "load-gate.md"):  # fmt: skip
        assert (out / name).stat().st_size > 0, name
    suite = ET.parse(out / "pytest-junit.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "4" and suite.get("failures") == "0"
    gate_cases = ET.parse(out / "load-gate.xml").getroot().iter("testcase")
    assert {case.get("name") for case in gate_cases} >= {"p95 latency", "error ratio"}


@pytest.mark.slow
def test_the_gated_means_are_pytest_benchmarks_own(
    ci_run: tuple[subprocess.CompletedProcess[str], Path, Path],
) -> None:
    _, out, _ = ci_run
    means = {
        bench["name"]: bench["stats"]["mean"]
        for bench in json.loads((out / "benchmark.json").read_text())["benchmarks"]
    }
    judged = {entry["name"]: entry["value"] for entry in gate_json(out, "benchmark")["objectives"]}
    for objective, benchmark in (
        ("health check mean", "test_health_check"),
        ("list items mean", "test_list_items"),
        ("get item mean", "test_get_item"),
    ):
        assert judged[objective] == pytest.approx(means[benchmark], rel=1e-9)


@pytest.mark.slow
def test_both_gates_markdown_is_appended_to_the_step_summary(
    ci_run: tuple[subprocess.CompletedProcess[str], Path, Path],
) -> None:
    _, out, summary = ci_run
    text = summary.read_text()
    assert text.startswith("## earlier step\n")  # appended, not overwritten
    benchmark_md = (out / "benchmark-gate.md").read_text()
    load_md = (out / "load-gate.md").read_text()
    assert text.index(benchmark_md) < text.index(load_md)
    assert "FAIL" in benchmark_md and "ci-benchmarks" in benchmark_md
    assert "PASS" in load_md and "ci-load" in load_md


def test_the_workflow_installs_runs_the_script_and_uploads_its_results() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "pull_request" in triggers
    (job,) = workflow["jobs"].values()
    steps = job["steps"]
    runs = [step.get("run", "") for step in steps]
    installs = [i for i, run in enumerate(runs) if "pip install" in run]
    apt = [i for i, run in enumerate(runs) if "apt-get install" in run and "prometheus" in run]
    (gate_step,) = [i for i, run in enumerate(runs) if "examples/ci/perf-gate.sh" in run]
    assert installs and apt and max(installs + apt) < gate_step
    assert (ROOT / runs[gate_step].split()[0]).resolve() == SCRIPT
    assert os.access(SCRIPT, os.X_OK)
    (upload,) = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact")]
    assert upload["if"] == "always()"  # the reports of a failed gate are the ones needed
    assert upload["with"]["path"].rstrip("/") == job["env"]["PERFSTACK_CI_OUT"]


def test_the_script_is_valid_bash() -> None:
    subprocess.run(["bash", "-n", str(SCRIPT)], check=True, timeout=30)
