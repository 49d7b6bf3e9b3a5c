"""Built-in SLIs against real data: sums across instances, counters that never fired read
as zero only when there was traffic, exporter memory per target."""

from __future__ import annotations

import pytest

from gate.evaluate import Gate
from gate.prometheus import PrometheusClient
from gate.rules import parse_rules
from gate.shorthands import SHORTHANDS
from gate.verdicts import Status
from gate.window import from_record


def values(stack, run, text: str, requests: int = 1) -> dict[str, object]:
    record = run.record(requests=requests)
    with PrometheusClient(stack.prometheus_url) as client:
        result = Gate(client, parse_rules(text, "s.yaml")).evaluate(from_record(record))
    return {
        r.objective.name: (r.value if r.status is not Status.NO_DATA else "NO_DATA")
        for r in result.objectives
    }


def test_http_totals_sum_across_instances_and_zero_failures_read_as_zero(stack, run_data) -> None:
    run = run_data(duration=20.0)
    second = run.labels("loadgen_http_requests_total", name="a", method="GET", status="200") | {
        "instance": "w:2"
    }
    run.write(
        run.counter("loadgen_http_requests_total", 300, name="a", method="GET", status="200"),
        (second, run.counter("loadgen_http_requests_total", 700)[1]),
    )
    got = values(
        stack,
        run,
        """
objectives:
  - {name: count, sli: request_count, pass: ">= 0"}
  - {name: rps, sli: throughput, pass: ">= 0"}
  - {name: errors, sli: error_ratio, pass: ">= 0"}
""",
    )
    assert got == {"count": 1000.0, "rps": 50.0, "errors": 0.0}


def test_no_traffic_is_no_data_not_zero(stack, run_data) -> None:
    got = values(
        stack,
        run_data(),
        "objectives:\n  - {name: errors, sli: error_ratio, pass: '< 1%'}\n",
        requests=0,  # a record of requests Prometheus does not hold is judged from the record
    )
    assert got == {"errors": "NO_DATA"}


def test_websocket_connect_success(stack, run_data) -> None:
    run = run_data()
    run.write(
        run.counter("loadgen_ws_connect_duration_seconds_count", 9),
        run.counter("loadgen_ws_connection_errors_total", 1, phase="connect", error_type="refused"),
        run.counter("loadgen_ws_sessions_total", 9),
    )
    got = values(
        stack,
        run,
        """
objectives:
  - {name: connects, sli: ws_connect_success_ratio, pass: ">= 0"}
  - {name: disconnects, sli: ws_unexpected_disconnects, pass: ">= 0"}
""",
    )
    assert got == {"connects": 0.9, "disconnects": 0.0}


def test_all_connects_failed_is_zero_success(stack, run_data) -> None:
    run = run_data()
    run.write(
        run.counter("loadgen_ws_connection_errors_total", 5, phase="connect", error_type="refused")
    )
    got = values(
        stack,
        run,
        "objectives:\n  - {name: connects, sli: ws_connect_success_ratio, pass: '>= 90%'}\n",
    )
    assert got == {"connects": 0.0}


def test_target_memory(stack, run_data) -> None:
    run = run_data(duration=20.0)
    labels = run.labels("exporter_target_resident_memory_bytes", target="demo") | {
        "generator": "exporter"
    }
    run.write((labels, [(run.start + s, 100e6 + 2.5e6 * s) for s in range(21)]))
    got = values(
        stack,
        run,
        """
objectives:
  - {name: growth, sli: memory_growth, pass: ">= 0"}
  - {name: slope, sli: memory_growth_slope, pass: ">= 0"}
  - {name: peak, sli: memory_peak, target: demo, pass: ">= 0"}
""",
    )
    assert got["growth"] == pytest.approx(50e6) and got["peak"] == pytest.approx(150e6)
    assert got["slope"] == pytest.approx(2.5e6)


def test_generator_saturation(stack, run_data) -> None:
    run = run_data()
    run.write(
        (
            run.labels("loadgen_generator_saturated"),
            [(run.start, 0.0), (run.start + 5, 1.0), (run.start + 10, 0.0)],
        )
    )
    got = values(
        stack,
        run,
        "objectives:\n  - {name: saturated, sli: generator_saturation, pass: '< 1'}\n",
        requests=0,  # as many as Prometheus holds: nothing was lost
    )
    assert got == {"saturated": 1.0}


@pytest.mark.parametrize("name", sorted(SHORTHANDS))
def test_every_shorthand_parses_in_prometheus(name: str, stack, capsys, tmp_path) -> None:
    from perfstack.cli import main

    params = {"request": "/x"} if "request" in SHORTHANDS[name].params else {}
    extra = "".join(f", {k}: '{v}'" for k, v in params.items())
    path = tmp_path / "r.yaml"
    path.write_text(
        f"objectives:\n  - {{name: a, sli: {name}, pass: '< 1e9', abort_on_fail: true{extra}}}\n"
    )
    code = main(["gate", "lint", str(path), "--prometheus", stack.prometheus_url])
    out = capsys.readouterr().out
    assert code in (0, 1) and "error:" not in out, out  # warnings (units) allowed; no rejection
    assert out.count("  a: ") >= 2  # value and samples queries printed (and live when it has one)


BENCH_SUITE = """\
import os
import time


def test_endpoint(benchmark):
    delay = float(os.environ["BENCH_DELAY"])
    benchmark.pedantic(time.sleep, args=(delay,), rounds=30, warmup_rounds=2)
"""
RELATIVE_RULES = """\
objectives:
  - name: endpoint mean at most 20% slower
    sli: benchmark_mean
    benchmark: test_endpoint
    relative: {pass: "<= +20%"}
    min_samples: 30
"""


@pytest.mark.slow
@pytest.mark.exclusive  # benchmark rounds timed: other tests' CPU would add their noise
def test_a_benchmark_30_percent_slower_fails_and_ten_unchanged_reruns_do_not(
    stack, tmp_path
) -> None:
    """Real `pytest --perfstack` runs of a 5 ms call judged against a baseline run by the
    bootstrap interval over the rounds' chunks: unchanged ten times, then 30% slower."""
    import json
    import uuid

    from perfstack.cli import main
    from tests.perfstack.pytest_plugin.inner import run_pytest_here

    (tmp_path / "test_endpoint.py").write_text(BENCH_SUITE)
    rules = tmp_path / "rules.yaml"
    rules.write_text(RELATIVE_RULES)
    state = tmp_path / "state"
    prefix = f"rel-{uuid.uuid4().hex[:6]}"

    def run(name: str, delay: float) -> str:
        testid = f"{prefix}-{name}"
        code = run_pytest_here(
            tmp_path,
            "--perfstack",
            f"--perfstack-testid={testid}",
            f"--perfstack-state-dir={state}",
            f"--perfstack-prometheus-url={stack.prometheus_url}",
            env={"BENCH_DELAY": str(delay)},
        )
        assert code == 0, testid
        return testid

    def judged(testid: str, baseline: str) -> dict:
        out = tmp_path / f"{testid}.json"
        main(
            [
                "gate", "check", str(rules), "--testid", testid, "--baseline-testid", baseline,
                "--state-dir", str(state), "--prometheus", stack.prometheus_url,
                "--json", str(out), "--no-push",
            ]
        )  # fmt: skip
        return json.loads(out.read_text())["objectives"][0]

    delay = 0.005
    baseline = run("baseline", delay)
    verdicts = []
    for index in range(10):
        objective = judged(run(f"same{index}", delay), baseline)
        assert objective["baseline"]["method"] == "bootstrap", objective
        verdicts.append((objective["status"], objective["baseline"]["relative_change"]))
    assert all(status != "FAIL" for status, _ in verdicts), verdicts  # no false regression
    slower = judged(run("slower", delay * 1.3), baseline)
    assert slower["status"] == "FAIL", (slower["baseline"], verdicts)
    low, high = slower["baseline"]["ci"]
    assert 0.2 < low <= slower["baseline"]["relative_change"] <= high, slower["baseline"]
