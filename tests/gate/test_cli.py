"""`perfstack gate check` end to end in-process: flags, reports, history, push, --strict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perfstack.cli import main
from perfstack.testing import prom_query
from tests.gate.conftest import write_rules
from tests.helpers import wait_until

RULES = """
objectives:
  - {name: requests, sli: request_count, pass: ">= $minimum"}
  - {name: throughput, sli: throughput, pass: ">= 100rps", warn: ">= 10rps"}
variables: {minimum: "1"}
"""


def test_help_documents_the_exit_codes(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["gate", "check", "--help"])
    out = capsys.readouterr().out
    for line in (
        "0  passed",
        "1  failed",
        "2  invalid rule file",
        "3  no data",
        "4  Prometheus unreachable",
    ):
        assert line in out


def test_gate_without_a_subcommand_is_a_usage_error(capsys) -> None:
    assert main(["gate"]) == 2
    assert "check" in capsys.readouterr().out


def test_check_writes_reports_history_and_pushes(
    run_data, gate_cli, stack, tmp_path: Path, monkeypatch
) -> None:
    run = run_data()
    run.write(run.counter("loadgen_http_requests_total", 400, name="a", method="GET", status="200"))
    # the run's own summary labels (its record) join those given to the gate
    run.record(requests=400, extra={"summary": {"labels": {"env": "ci"}, "values": []}})
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    rules = write_rules(tmp_path, RULES)
    reports = [tmp_path / name for name in ("g.json", "g.xml", "g.md")]
    code = gate_cli(
        "gate",
        "check",
        rules,
        "--testid",
        run.testid,
        "--json",
        reports[0],
        "--junit",
        reports[1],
        "--markdown",
        reports[2],
        "--label",
        "team=perf",
    )
    assert code == 0  # throughput 20 rps is a WARN: passes without --strict
    assert all(path.is_file() for path in reports)
    assert summary.read_text() == reports[2].read_text()
    history = json.loads((stack.state_dir / "gate" / f"{run.testid}.json").read_text())
    assert history["status"] == "WARN" and history["objectives"][1]["value"] == 20.0

    def pushed() -> list:
        return prom_query(
            stack.prometheus_url, f'gate_overall_status{{testid="{run.testid}",status="WARN"}} == 1'
        )

    assert wait_until(pushed)
    # the run summary: objective values stamped at the run's end, with both labels
    (info,) = prom_query(stack.prometheus_url, f'perfstack_run_info{{testid="{run.testid}"}}[1h]')
    assert (info["metric"]["env"], info["metric"]["team"]) == ("ci", "perf")
    assert float(info["values"][0][0]) == pytest.approx(run.end, abs=0.001)
    selector = f'scenario="{run.scenario}",env="ci",team="perf"'
    objectives = prom_query(
        stack.prometheus_url, f'perfstack_run_summary{{{selector},sli=~"objective:.*"}}[1h]'
    )
    values = {o["metric"]["sli"]: float(o["values"][0][1]) for o in objectives}
    assert values[f"objective:{history['objectives'][1]['name']}"] == 20.0
    assert gate_cli("gate", "check", rules, "--testid", run.testid, "--strict", "--no-push") == 1
    assert (
        gate_cli(
            "gate", "check", rules, "--testid", run.testid, "--var", "minimum=401", "--no-push"
        )
        == 1
    )


def test_window_from_flags_without_a_record(run_data, gate_cli, tmp_path: Path) -> None:
    run = run_data()
    run.write(run.counter("loadgen_http_requests_total", 400, name="a", method="GET", status="200"))
    rules = write_rules(tmp_path, RULES)
    out = tmp_path / "g.json"
    code = gate_cli(
        "gate",
        "check",
        rules,
        "--testid",
        run.testid,
        "--start",
        str(run.start),
        "--end",
        str(run.end),
        "--scenario",
        "adhoc",
        "--json",
        out,
        "--no-push",
    )
    assert code == 0
    assert json.loads(out.read_text())["objectives"][0]["value"] == 400.0


def test_bad_arguments_exit_2(gate_cli, tmp_path: Path, capsys) -> None:
    rules = write_rules(tmp_path, RULES)
    assert (
        gate_cli("gate", "check", rules, "--testid", "x", "--start", "yesterday", "--end", "now")
        == 2
    )
    assert "--start 'yesterday'" in capsys.readouterr().err
    assert gate_cli("gate", "check", rules, "--testid", "x", "--var", "novalue") == 2
    assert gate_cli("gate", "check", "--testid", "x") == 2
    assert (
        gate_cli("gate", "check", rules, "--testid", "no-such-run", "--no-push") == 3
    )  # no record


@pytest.mark.parametrize("settle", ["-1", "nan", "inf"])
def test_settle_must_be_a_finite_number_of_seconds(tmp_path: Path, capsys, settle: str) -> None:
    rules = write_rules(tmp_path, RULES)
    check = ["gate", "check", str(rules), "--testid", "x", "--state-dir", str(tmp_path)]
    assert main([*check, "--settle", settle, "--no-push"]) == 2
    assert f"perfstack: error: --settle {float(settle):g}: expected seconds, 0 or more" in (
        capsys.readouterr().err
    )


def test_a_store_url_that_is_no_query_api_is_one_line_naming_the_variable(
    not_a_store: str, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PERFSTACK_PROMETHEUS_URL", not_a_store)
    rules = write_rules(tmp_path, "objectives:\n  - {name: n, sli: request_count, pass: '>= 1'}\n")
    junit = tmp_path / "junit.xml"
    argv = ["gate", "check", "--rules", str(rules), "--testid", "some-run", "--junit", str(junit)]
    window = ["--start", "1000000000", "--end", "1000000030", "--scenario", "adhoc"]
    code = main([*argv, *window, "--state-dir", str(tmp_path / "state")])
    assert code == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"perfstack: error: PERFSTACK_PROMETHEUS_URL {not_a_store}: expected a")
    assert f"Prometheus-compatible query API at {not_a_store}/api/v1/query" in err
    assert "got HTTP 200 (text/html)" in err
    assert not junit.exists()  # no verdict at all, rather than ERROR rows read as a report
