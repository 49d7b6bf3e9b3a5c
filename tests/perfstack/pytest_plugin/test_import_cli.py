"""`perfstack import pytest-benchmark` against the test session's Prometheus: a saved file
lands with its own time and the same figures as the live run of it; malformed or foreign
files exit 2 naming the file and the key and push nothing; samples Prometheus refuses are
counted and exit 4."""

from __future__ import annotations

import json
import math
import uuid
from datetime import UTC, datetime, timedelta

from perfstack.cli import main
from perfstack.core.record import load_record
from perfstack.testing import prom_query
from perfstack.testing.prometheus import PrometheusProcess


def import_file(stack, state_dir, *args: str) -> int:
    return main(
        [
            "import", "pytest-benchmark", *args,
            "--prometheus", stack.prometheus_url, "--state-dir", str(state_dir),
        ]
    )  # fmt: skip


def saved_days_ago(document: dict, days: float) -> dict:
    moved = dict(document)
    moved["datetime"] = (datetime.now(UTC) - timedelta(days=days)).isoformat()
    return moved


def test_importing_the_runs_json_gives_the_same_values_at_the_files_time(
    stack, benchmark_run, tmp_path, capsys
) -> None:
    document = saved_days_ago(benchmark_run.document, 2)
    path = tmp_path / "history.json"
    path.write_text(json.dumps(document))
    testid = f"imported-{uuid.uuid4().hex[:8]}"
    assert import_file(stack, tmp_path, str(path), "--testid", testid) == 0
    assert f"3 benchmarks as run {testid}" in capsys.readouterr().out
    saved_at = datetime.fromisoformat(document["datetime"]).timestamp()
    for bench in document["benchmarks"]:
        sel = f'testid="{testid}",fullname="{bench["fullname"]}"'
        values = {}
        for metric in ("pytest_benchmark_rounds", "pytest_benchmark_mean_seconds"):
            # within a minute of the file's own time (two days ago), not at the import's
            result = prom_query(
                stack.prometheus_url, f"last_over_time({metric}{{{sel}}}[1m])", time=saved_at + 30
            )
            assert len(result) == 1, (metric, result)
            values[metric] = float(result[0]["value"][1])
        live = prom_query(
            stack.prometheus_url,
            f'last_over_time(pytest_benchmark_mean_seconds{{testid="{benchmark_run.testid}",'
            f'fullname="{bench["fullname"]}"}}[10m])',
        )
        assert values["pytest_benchmark_rounds"] == bench["stats"]["rounds"]
        mean = values["pytest_benchmark_mean_seconds"]
        assert math.isclose(mean, bench["stats"]["mean"], rel_tol=1e-9, abs_tol=0)
        assert mean == float(live[0]["value"][1])  # the live run of the same file
    record = load_record(tmp_path, testid)
    assert record.generator == "pytest" and record.end == saved_at and record.start < saved_at


def test_importing_the_same_file_again_writes_the_same_run(stack, benchmark_run, tmp_path) -> None:
    path = tmp_path / "again.json"
    path.write_text(json.dumps(saved_days_ago(benchmark_run.document, 1)))
    assert import_file(stack, tmp_path, str(path)) == 0
    assert import_file(stack, tmp_path, str(path)) == 0  # same samples: Prometheus accepts
    assert len(list((tmp_path / "runs").glob("pytest-*.json"))) == 1


def test_malformed_and_foreign_files_exit_2_naming_file_and_key_and_push_nothing(
    stack, benchmark_run, tmp_path, capsys
) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(benchmark_run.document))
    broken_doc = json.loads(json.dumps(benchmark_run.document))
    broken_doc["benchmarks"][1]["stats"]["mean"] = "fast"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(broken_doc))
    foreign = tmp_path / "locust_stats.json"
    foreign.write_text(json.dumps([{"name": "/", "num_requests": 3}]))
    record = tmp_path / "record.json"
    record.write_text(json.dumps({"testid": "x", "start": 1.0, "generator": "locust"}))
    cases = {
        broken: f"{broken}: benchmarks[1].stats.mean: expected a number, got 'fast'",
        foreign: f"{foreign}: expected a pytest-benchmark JSON object, got list",
        record: f"{record}: key 'benchmarks' is missing (keys found: generator, start, testid)"
        ": not a pytest-benchmark file (--benchmark-json or .benchmarks/)",
    }
    for path, message in cases.items():
        testid = f"refused-{uuid.uuid4().hex[:8]}"
        code = import_file(stack, tmp_path / "state", str(path), "--testid", testid)
        err = capsys.readouterr().err
        assert code == 2
        assert err == f"perfstack: error: {message}\n"
        assert prom_query(stack.prometheus_url, f'count({{testid="{testid}"}})') == []
    code = import_file(stack, tmp_path / "state", str(good), str(broken))
    assert code == 2 and str(broken) in capsys.readouterr().err
    assert not (tmp_path / "state" / "runs").exists()  # the good file was not imported either


def test_samples_older_than_the_out_of_order_window_are_counted_and_exit_4(
    stack, benchmark_run, tmp_path, capsys
) -> None:
    path = tmp_path / "ancient.json"
    path.write_text(json.dumps(saved_days_ago(benchmark_run.document, 45)))
    testid = f"ancient-{uuid.uuid4().hex[:8]}"
    code = import_file(stack, tmp_path, str(path), "--testid", testid)
    err = capsys.readouterr().err
    assert code == 4
    assert f"{path}: Prometheus refused " in err and "too old sample" in err
    refused = int(err.split("Prometheus refused ")[1].split()[0])
    assert refused > 3 * 10  # every sample of the file, none silently dropped
    assert not (tmp_path / "runs" / f"{testid}.json").exists()


def test_without_an_out_of_order_window_the_refusal_is_reported(
    benchmark_run, tmp_path, capsys
) -> None:
    """Prometheus without an out-of-order window takes samples down to an hour (half its
    2 h head block) older than its newest: a file from three hours ago is refused, and
    the command says so."""
    prometheus = PrometheusProcess(tmp_path / "prom").start()
    try:

        class Stack:
            prometheus_url = prometheus.url

        fresh = tmp_path / "fresh.json"
        fresh.write_text(json.dumps(saved_days_ago(benchmark_run.document, 0)))
        assert import_file(Stack, tmp_path, str(fresh), "--testid", "fresh-1") == 0
        old = tmp_path / "old.json"
        old.write_text(json.dumps(saved_days_ago(benchmark_run.document, 3 / 24)))
        assert import_file(Stack, tmp_path, str(old), "--testid", "old-1") == 4
        assert "Prometheus refused" in capsys.readouterr().err
    finally:
        prometheus.stop()
