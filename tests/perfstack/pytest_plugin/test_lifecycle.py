"""`pytest --perfstack` against the test session's real Prometheus: every benchmark's
figures there equal pytest-benchmark's own JSON, the run record lets `perfstack gate check
--testid` judge the run unchanged, and a Prometheus it cannot reach stops the session
before any test runs."""

from __future__ import annotations

import json
import math

import pytest

from perfstack.cli import main
from perfstack.core.record import load_record
from perfstack.testing import free_port, prom_query
from tests.perfstack.pytest_plugin.inner import run_pytest


def last(stack, run, metric: str, fullname: str) -> float:
    result = prom_query(
        stack.prometheus_url,
        f'last_over_time({metric}{{testid="{run.testid}",fullname="{fullname}"}}[10m])',
    )
    assert len(result) == 1, result
    return float(result[0]["value"][1])


def test_every_benchmark_in_prometheus_equals_pytest_benchmarks_json(stack, benchmark_run) -> None:
    benchmarks = benchmark_run.document["benchmarks"]
    assert {b["name"] for b in benchmarks} == {
        "test_parse_json",
        "test_sort_records",
        "test_slow_call",
    }
    for bench in benchmarks:
        stats, fullname = bench["stats"], bench["fullname"]
        rounds = last(stack, benchmark_run, "pytest_benchmark_rounds", fullname)
        assert rounds == stats["rounds"] and rounds >= 5
        mean = last(stack, benchmark_run, "pytest_benchmark_mean_seconds", fullname)
        assert math.isclose(mean, stats["mean"], rel_tol=1e-9, abs_tol=0), (mean, stats["mean"])
        for stat in ("min", "max", "median", "stddev", "iqr"):
            got = last(stack, benchmark_run, f"pytest_benchmark_{stat}_seconds", fullname)
            assert got == stats[stat], stat
        ops = last(stack, benchmark_run, "pytest_benchmark_operations_per_second", fullname)
        assert ops == stats["ops"]
        # the per-round histogram holds every round: percentiles come from real rounds
        count = last(
            stack, benchmark_run, "pytest_benchmark_round_duration_seconds_count", fullname
        )
        total = last(stack, benchmark_run, "pytest_benchmark_round_duration_seconds_sum", fullname)
        assert count == stats["rounds"]
        assert math.isclose(total, math.fsum(stats["data"]), rel_tol=1e-12)
    slow = next(b for b in benchmarks if b["name"] == "test_slow_call")
    series = prom_query(
        stack.prometheus_url,
        f'last_over_time(pytest_benchmark_mean_seconds{{testid="{benchmark_run.testid}",'
        'name="test_slow_call"}[10m])',
    )
    labels = series[0]["metric"]
    assert labels["group"] == slow["group"] == "io"
    assert labels["generator"] == "pytest" and labels["scenario"] == labels["suite"] == "pytest"


def test_the_record_lets_the_gate_judge_the_run_by_testid(
    stack, benchmark_run, tmp_path, capsys
) -> None:
    record = load_record(benchmark_run.state_dir, benchmark_run.testid)
    assert record.generator == "pytest" and record.end is not None and record.end > record.start
    assert record.samples_dropped == 0
    exact = record.extra["benchmarks"]
    for bench in benchmark_run.document["benchmarks"]:
        assert exact[bench["fullname"]]["mean"] == bench["stats"]["mean"]
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "objectives:\n"
        "  - {name: slow call mean, sli: benchmark_mean, benchmark: test_slow_call,"
        " pass: '< 1s'}\n"
        "  - {name: parse ops, sli: benchmark_ops, benchmark: test_parse_json, pass: '> 1e9rps'}\n"
    )
    out = tmp_path / "result.json"
    code = main(
        [
            "gate", "check", str(rules), "--testid", benchmark_run.testid,
            "--state-dir", str(benchmark_run.state_dir), "--prometheus", stack.prometheus_url,
            "--json", str(out), "--no-push",
        ]
    )  # fmt: skip
    result = json.loads(out.read_text())
    statuses = {o["name"]: o["status"] for o in result["objectives"]}
    # a billion parses a second is out of reach: the verdict follows the value, not a constant
    assert statuses == {"slow call mean": "PASS", "parse ops": "FAIL"}, capsys.readouterr().out
    assert code == 1
    slow = next(b for b in benchmark_run.document["benchmarks"] if b["name"] == "test_slow_call")
    judged = next(o for o in result["objectives"] if o["name"] == "slow call mean")
    assert judged["value"] == slow["stats"]["mean"]


def test_an_unreachable_prometheus_stops_the_session_before_any_test(tmp_path) -> None:
    (tmp_path / "test_x.py").write_text("def test_x():\n    raise SystemExit('ran')\n")
    url = f"http://127.0.0.1:{free_port()}"
    inner = run_pytest(tmp_path, "--perfstack", f"--perfstack-prometheus-url={url}")
    assert inner.returncode == pytest.ExitCode.USAGE_ERROR
    assert f"perfstack: Prometheus at {url} is unreachable" in inner.stderr
    assert "ran" not in inner.stdout + inner.stderr


def test_a_bad_testid_is_one_line_naming_it(tmp_path) -> None:
    (tmp_path / "test_x.py").write_text("def test_x():\n    pass\n")
    inner = run_pytest(tmp_path, "--perfstack", "--perfstack-testid=../escape")
    assert inner.returncode == pytest.ExitCode.USAGE_ERROR
    assert "perfstack: testid '../escape': expected 1-200 letters" in inner.stderr


def test_each_benchmark_mean_is_a_run_summary_stamped_at_the_sessions_end(
    stack, benchmark_run
) -> None:
    """perfstack history reads pytest sessions like load runs: one summary sample per
    benchmark, at the record's end, equal to pytest-benchmark's mean; the record keeps it."""
    record = load_record(benchmark_run.state_dir, benchmark_run.testid)
    assert record.end is not None
    kept = {
        value["name"]: value["value"]
        for value in record.extra["summary"]["values"]
        if value["sli"] == "benchmark_mean_seconds"
    }
    for bench in benchmark_run.document["benchmarks"]:
        fullname, mean = bench["fullname"], bench["stats"]["mean"]
        assert kept[fullname] == mean
        series = prom_query(
            stack.prometheus_url,
            f'perfstack_run_summary{{scenario="pytest",sli="benchmark_mean_seconds",'
            f'name="{fullname}"}}',
            time=record.end,
        )
        assert len(series) == 1, series
        assert math.isclose(float(series[0]["value"][1]), mean, rel_tol=1e-12)
    info = prom_query(
        stack.prometheus_url,
        f'perfstack_run_info{{scenario="pytest",testid="{benchmark_run.testid}"}}',
        time=record.end,
    )
    assert [float(one["value"][1]) for one in info] == [1.0]
