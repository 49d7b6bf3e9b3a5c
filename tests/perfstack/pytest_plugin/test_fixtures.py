"""perfstack's pytest fixtures, used by real inner pytest sessions against the test
session's Prometheus and demo targets.

Two inner sessions, each run once for this module:
- without `--perfstack`: `perfstack_load` runs the same locustfile against a healthy
  target and against one with 1 s of added latency and judges each; `perfstack_memory`
  measures; `perfstack_gate` skips.
- with `--perfstack`: `perfstack_memory` pushes its figures under the session's testid,
  and `perfstack_gate` judges two rule files on them, one that holds and one that does not.
"""

from __future__ import annotations

import json
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from perfstack.core.record import load_record
from perfstack.core.settings import StackSettings
from perfstack.testing import prom_query
from tests.fixtures.demo_target import DemoTarget, start_demo_target
from tests.perfstack.pytest_plugin.inner_junit import InnerRun, run_inner_pytest

# far apart, so a loaded CI machine's own latency (p95 up to ~250 ms seen on the healthy
# target with 4 test suites sharing 2 cores) cannot blur passing and failing
ADDED_LATENCY_MS = 1000
LATENCY_LIMIT = 0.5
MiB = 1 << 20

LOCUSTFILE = """
from locust import HttpUser, constant, task


class ItemsUser(HttpUser):
    wait_time = constant(0.05)

    @task
    def items(self):
        self.client.get("/api/items", name="/api/items")
"""

LOAD_RULES = """
name: fixture-test
defaults: {min_samples: 5}
objectives:
  - name: p95 latency
    sli: latency_p95
    pass: "< 500ms"
    key: true
  - name: error ratio
    sli: error_ratio
    pass: "<= 1%"
"""

LOAD_TESTS = """
import os

import pytest

FAST = dict(users=5, duration="4s", settle=2.0, rules=os.environ["INNER_RULES"])


def test_healthy_target(perfstack_load):
    run = perfstack_load(os.environ["INNER_LOCUSTFILE"], host=os.environ["HEALTHY_URL"], **FAST)
    assert run.verdict.passed


def test_slow_target(perfstack_load):
    run = perfstack_load(os.environ["INNER_LOCUSTFILE"], host=os.environ["SLOW_URL"], **FAST)
    assert run.verdict.passed


def test_missing_locustfile(perfstack_load):
    perfstack_load("no-such-locustfile.py", host=os.environ["HEALTHY_URL"], **FAST)


def test_memory_without_perfstack(perfstack_memory):
    KEPT.extend(bytearray(MIB) for _ in range(20))  # kept past the test's end
    assert perfstack_memory.rss_growth >= 15 * MIB


def test_gate_without_perfstack(perfstack_gate):
    raise AssertionError("perfstack_gate must skip without --perfstack")


MIB = 1 << 20
KEPT = []
"""

MEMORY_RULES = """
name: memory-{name}
objectives:
  - name: memory growth
    query: max(last_over_time(pytest_memory_resident_growth_bytes{{testid="$testid"}}[$range]))
    unit: bytes
    pass: "< {limit}"
"""

MEMORY_TESTS = """
import os
import time

import pytest

KEPT = []


@pytest.mark.memory_test
def test_retains_memory(perfstack_memory):
    KEPT.extend(bytearray(1 << 20) for _ in range(40))  # 40 MiB, kept to the session's end
    time.sleep(1.3)  # the sampling thread pushes the live figures at least once
    assert perfstack_memory.rss_growth >= 30 * (1 << 20)


@pytest.mark.memory_test
def test_collects_garbage(perfstack_memory):
    for _ in range(20_000):
        cycle = []
        cycle.append(cycle)  # only the collector frees a cycle


def test_gate_strict_limit(perfstack_gate):
    assert perfstack_gate(os.environ["STRICT_RULES"]).passed


def test_gate_loose_limit(perfstack_gate):
    assert perfstack_gate(os.environ["LOOSE_RULES"]).passed
"""


@pytest.fixture(scope="module")
def slow_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoTarget]:
    target = start_demo_target(tmp_path_factory.mktemp("slow-target"), latency_ms=ADDED_LATENCY_MS)
    yield target
    target.close()


@pytest.fixture(scope="module")
def load_session(
    tmp_path_factory: pytest.TempPathFactory,
    stack: StackSettings,
    demo_target: DemoTarget,
    slow_target: DemoTarget,
) -> InnerRun:
    directory = tmp_path_factory.mktemp("inner-load")
    (directory / "locustfile.py").write_text(LOCUSTFILE)
    (directory / "rules.yaml").write_text(LOAD_RULES)
    (directory / "test_inner_load.py").write_text(LOAD_TESTS)
    return run_inner_pytest(
        directory,
        env={
            "INNER_LOCUSTFILE": str(directory / "locustfile.py"),
            "INNER_RULES": str(directory / "rules.yaml"),
            "HEALTHY_URL": demo_target.url,
            "SLOW_URL": slow_target.url,
            # no --perfstack: perfstack_load finds Prometheus as `perfstack run` does
            "PERFSTACK_PROMETHEUS_URL": stack.prometheus_url,
            "PERFSTACK_STATE_DIR": str(stack.state_dir),
        },
    )


@pytest.fixture(scope="module")
def memory_session(tmp_path_factory: pytest.TempPathFactory, stack: StackSettings) -> InnerRun:
    directory = tmp_path_factory.mktemp("inner-memory")
    for name, limit in (("strict", "10MB"), ("loose", "2GB")):
        (directory / f"{name}.yaml").write_text(MEMORY_RULES.format(name=name, limit=limit))
    (directory / "test_inner_memory.py").write_text(MEMORY_TESTS)
    testid = f"pytest-fixtures-{uuid.uuid4().hex[:10]}"
    run = run_inner_pytest(
        directory,
        "--perfstack",
        f"--perfstack-testid={testid}",
        f"--perfstack-prometheus-url={stack.prometheus_url}",
        f"--perfstack-state-dir={stack.state_dir}",
        env={
            "STRICT_RULES": str(directory / "strict.yaml"),
            "LOOSE_RULES": str(directory / "loose.yaml"),
        },
    )
    run.testid = testid
    return run


def gate_history(stack: StackSettings, testid: str) -> dict:
    return json.loads((stack.state_dir / "gate" / f"{testid}.json").read_text())


def objective(history: dict, name: str) -> dict:
    (found,) = [entry for entry in history["objectives"] if entry["name"] == name]
    return found


@pytest.mark.slow
def test_a_load_run_on_a_healthy_target_passes_the_gate(
    load_session: InnerRun, stack: StackSettings
) -> None:
    healthy = load_session.tests["test_healthy_target"]
    assert healthy.outcome == "passed", load_session.output
    testid = healthy.properties["perfstack_load_testid"]
    record = load_record(stack.state_dir, testid)
    assert record.exit_status == "completed"
    assert record.requests > 20
    p95 = objective(gate_history(stack, testid), "p95 latency")
    assert p95["status"] == "PASS", p95
    assert p95["value"] < LATENCY_LIMIT


@pytest.mark.slow
def test_a_load_run_with_added_latency_fails_with_the_gates_explanation(
    load_session: InnerRun, stack: StackSettings
) -> None:
    slow = load_session.tests["test_slow_target"]
    assert slow.outcome == "failed", load_session.output
    testid = slow.properties["perfstack_load_testid"]
    p95 = objective(gate_history(stack, testid), "p95 latency")
    assert p95["status"] == "FAIL", p95
    assert p95["value"] >= ADDED_LATENCY_MS / 1000
    # the assertion's story names the verdict and why; the gate's table is a report section
    assert f"gate FAIL for {testid}" in slow.message
    assert "p95 latency FAIL" in slow.message
    assert "perfstack gate" in load_session.output
    assert "verdict: FAIL" in load_session.output
    # pushed back as `gate check` does: the verdict series of this run say FAIL
    pushed = prom_query(
        stack.prometheus_url, f'gate_overall_status{{testid="{testid}",status="FAIL"}}'
    )
    assert [float(series["value"][1]) for series in pushed] == [1.0]


@pytest.mark.slow
def test_a_missing_locustfile_fails_the_test_with_one_line(load_session: InnerRun) -> None:
    missing = load_session.tests["test_missing_locustfile"]
    assert missing.outcome == "failed"
    assert "perfstack: error: -f no-such-locustfile.py: expected an existing .py locustfile" in (
        missing.message
    )
    assert "Traceback" not in missing.message


@pytest.mark.slow
def test_memory_is_measured_without_perfstack_and_the_gate_skips(load_session: InnerRun) -> None:
    memory = load_session.tests["test_memory_without_perfstack"]
    assert memory.outcome == "passed", load_session.output
    assert int(memory.properties["perfstack_memory_resident_growth_bytes"]) >= 15 * MiB
    assert int(memory.properties["perfstack_memory_tracemalloc_peak_bytes"]) >= 20 * MiB
    gate = load_session.tests["test_gate_without_perfstack"]
    assert gate.outcome == "skipped"
    assert "run pytest with --perfstack" in gate.message


def series_value(stack: StackSettings, metric: str, testid: str, test: str, **labels: str) -> float:
    selector = ",".join(
        f'{name}="{value}"' for name, value in {"testid": testid, "test": test, **labels}.items()
    )
    (series,) = prom_query(stack.prometheus_url, f"last_over_time({metric}{{{selector}}}[10m])")
    return float(series["value"][1])


@pytest.mark.slow
def test_memory_figures_reach_prometheus_as_measured(
    memory_session: InnerRun, stack: StackSettings
) -> None:
    retains = memory_session.tests["test_retains_memory"]
    assert retains.outcome == "passed", memory_session.output
    testid = memory_session.testid
    test = "test_inner_memory.py::test_retains_memory"
    for metric in (
        "pytest_memory_resident_growth_bytes",
        "pytest_memory_resident_peak_bytes",
        "pytest_memory_tracemalloc_peak_bytes",
    ):
        property_name = "perfstack_" + metric.removeprefix("pytest_")
        assert series_value(stack, metric, testid, test) == float(
            retains.properties[property_name]
        ), metric
    assert float(retains.properties["perfstack_memory_tracemalloc_peak_bytes"]) >= 40 * MiB
    cycles = "test_inner_memory.py::test_collects_garbage"
    collected = series_value(stack, "pytest_gc_collections_total", testid, cycles, generation="0")
    assert collected == float(
        memory_session.tests["test_collects_garbage"].properties[
            "perfstack_gc_collections_generation_0"
        ]
    )
    assert collected >= 1


@pytest.mark.slow
def test_the_session_gate_judges_the_pushed_memory_figures(
    memory_session: InnerRun, stack: StackSettings
) -> None:
    strict = memory_session.tests["test_gate_strict_limit"]
    loose = memory_session.tests["test_gate_loose_limit"]
    assert loose.outcome == "passed", memory_session.output
    assert strict.outcome == "failed", memory_session.output
    assert "memory growth FAIL" in strict.message
    testid = memory_session.testid
    assert f"gate FAIL for {testid}" in strict.message
    # the inner session ended: its own run record, as `perfstack gate check` reads it
    assert load_record(stack.state_dir, testid).generator == "pytest"


def test_the_fixtures_module_imports_nothing_heavy(tmp_path: Path) -> None:
    import subprocess
    import sys

    program = textwrap.dedent(
        """
        import sys
        import perfstack.pytest_plugin.fixtures
        heavy = ("locust", "gevent", "httpx", "prometheus_client", "psutil", "gate", "loadgen",
                 "rich", "bokeh")
        print(sorted(name for name in heavy if name in sys.modules))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"
