"""Baselines: a saved file, another run by testid, the last N passing runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.gate.conftest import write_rules

RULES = """
objectives:
  - name: requests
    sli: request_count
    pass: ">= 1"
    relative: ">= -10%"
"""


def finished_run(run_data, testid: str, total: float):
    run = run_data(testid=testid)
    run.write(
        run.counter("loadgen_http_requests_total", total, name="a", method="GET", status="200")
    )
    run.record(requests=int(total))
    return run


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    return write_rules(tmp_path, RULES)


def test_save_then_compare_against_the_file(
    run_data, gate_cli, rules: Path, tmp_path: Path, testid: str, capsys
) -> None:
    base = finished_run(run_data, f"{testid}-base", 1000)
    directory = tmp_path / "baselines"
    assert (
        gate_cli(
            "baseline",
            "save",
            "--rules",
            rules,
            "--testid",
            base.testid,
            "--baseline-dir",
            directory,
        )
        == 0
    )
    saved = json.loads((directory / "main.json").read_text())
    assert saved["format"] == "perfstack-baseline/1" and saved["testid"] == base.testid
    assert saved["objectives"]["requests"]["value"] == 1000.0
    same = finished_run(run_data, f"{testid}-same", 950)  # -5%: within -10%
    worse = finished_run(run_data, f"{testid}-worse", 800)  # -20%
    common = ["--rules", rules, "--baseline", "main", "--baseline-dir", directory, "--no-push"]
    assert gate_cli("gate", "check", "--testid", same.testid, *common) == 0
    assert (
        gate_cli("gate", "check", "--testid", worse.testid, "--json", tmp_path / "w.json", *common)
        == 1
    )
    verdict = json.loads((tmp_path / "w.json").read_text())["objectives"][0]
    assert verdict["baseline"]["relative_change"] == pytest.approx(-0.2)
    assert verdict["baseline"]["level"] == "minor" and "main.json" in verdict["baseline"]["source"]


def test_show_prints_the_values(
    run_data, gate_cli, rules: Path, tmp_path: Path, testid: str, capsys
) -> None:
    from perfstack.cli import main

    base = finished_run(run_data, testid, 1234)
    gate_cli(
        "baseline",
        "save",
        "--rules",
        rules,
        "--testid",
        base.testid,
        "--name",
        "release",
        "--baseline-dir",
        tmp_path,
    )
    capsys.readouterr()
    assert main(["baseline", "show", "release", "--baseline-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"from run {base.testid}" in out and "requests: 1234.0" in out


def test_compare_against_a_run_still_in_prometheus(
    run_data, gate_cli, rules: Path, testid: str
) -> None:
    base = finished_run(run_data, f"{testid}-b", 1000)
    better = finished_run(run_data, f"{testid}-c", 1100)
    worse = finished_run(run_data, f"{testid}-d", 500)
    assert (
        gate_cli(
            "gate",
            "check",
            "--rules",
            rules,
            "--testid",
            better.testid,
            "--baseline-testid",
            base.testid,
            "--no-push",
        )
        == 0
    )
    assert (
        gate_cli(
            "gate",
            "check",
            "--rules",
            rules,
            "--testid",
            worse.testid,
            "--baseline-testid",
            base.testid,
            "--no-push",
        )
        == 1
    )


def test_last_passing_runs_aggregated(
    run_data, gate_cli, stack, tmp_path: Path, testid: str
) -> None:
    # history of judged runs: three passes (1000, 1100, 3000 requests) and one failure
    absolute = write_rules(
        tmp_path,
        "objectives:\n  - {name: requests, sli: request_count, pass: '>= 900'}\n",
        "abs.yaml",
    )
    for index, total in enumerate((1000, 1100, 3000, 100)):
        run = finished_run(run_data, f"{testid}-h{index}", total)
        gate_cli("gate", "check", "--rules", absolute, "--testid", run.testid, "--no-push")
    relative = write_rules(
        tmp_path,
        "objectives:\n  - {name: requests, sli: request_count, relative: '>= -10%'}\n",
        "rel.yaml",
    )
    current = finished_run(run_data, f"{testid}-now", 1000)
    out = tmp_path / "r.json"
    code = gate_cli(
        "gate",
        "check",
        "--rules",
        relative,
        "--testid",
        current.testid,
        "--baseline-last",
        "3",
        "--baseline-aggregate",
        "median",
        "--json",
        out,
        "--no-push",
    )
    verdict = json.loads(out.read_text())
    assert verdict["objectives"][0]["baseline"]["value"] == 1100.0  # median of 1000, 1100, 3000
    assert code == 0
    gate_cli(
        "gate",
        "check",
        "--rules",
        relative,
        "--testid",
        current.testid,
        "--baseline-last",
        "3",
        "--baseline-aggregate",
        "mean",
        "--json",
        out,
        "--no-push",
    )
    assert json.loads(out.read_text())["objectives"][0]["baseline"]["value"] == pytest.approx(
        5100 / 3
    )


def test_save_refuses_when_prometheus_is_down(
    run_data, gate_cli, rules: Path, tmp_path: Path, testid: str
) -> None:
    from perfstack.testing import free_port

    base = finished_run(run_data, testid, 1000)
    dead = f"http://127.0.0.1:{free_port()}"
    code = gate_cli(
        "baseline",
        "save",
        "--rules",
        rules,
        "--testid",
        base.testid,
        "--baseline-dir",
        tmp_path,
        prometheus=dead,
    )
    assert code == 4 and not (tmp_path / "main.json").exists()


def test_a_last_n_history_can_start_from_nothing(
    run_data, gate_cli, stack, tmp_path: Path, testid: str
) -> None:
    rules = write_rules(
        tmp_path,
        "objectives:\n  - {name: first, sli: request_count, relative: '>= -10%',"
        " on_no_baseline: warn}\n",
    )
    first = finished_run(run_data, f"{testid}-first", 1000)
    # the name is unique to this test, so no earlier history has it: WARN, and it counts
    assert (
        gate_cli(
            "gate",
            "check",
            "--rules",
            rules,
            "--testid",
            first.testid,
            "--baseline-last",
            "5",
            "--no-push",
        )
        == 0
    )
    second = finished_run(run_data, f"{testid}-second", 500)
    out = tmp_path / "second.json"
    code = gate_cli(
        "gate",
        "check",
        "--rules",
        rules,
        "--testid",
        second.testid,
        "--baseline-last",
        "5",
        "--json",
        out,
        "--no-push",
    )
    assert code == 1
    assert json.loads(out.read_text())["objectives"][0]["baseline"]["value"] == 1000.0
