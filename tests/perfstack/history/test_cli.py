"""`perfstack history` and `perfstack regressions` on the real Prometheus: the outputs, the
exit codes (a regression with --fail-on-regression, inconclusive input never a pass), the
change points pushed, and PerfstackRegressionDetected reaching a real Alertmanager."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from perfstack.alerts.listen import WebhookReceiver
from perfstack.cli import main
from perfstack.core.errors import ExitCode
from perfstack.history.summary import SummaryValue, push_run_summary
from perfstack.testing import free_port
from tests.helpers import prom_query, wait_until, webhook_alertmanager_config
from tests.perfstack.history.histories import make_record, push_history, unique_scenario

P50 = "latency_p50_seconds"
RPS = "throughput_rps"
STEADY = [0.100, 0.102, 0.099, 0.101, 0.100, 0.098, 0.101]
SLOWER = [0.140, 0.141, 0.139, 0.142, 0.140]  # +40%


def _cli(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def _where(settings: Any, state_dir: Path | None = None) -> list[str]:
    return [
        "--prometheus",
        settings.prometheus_url,
        "--state-dir",
        str(state_dir or settings.state_dir),
        "--since",
        "2h",
    ]


def _regressed(prometheus_url: str, scenario: str) -> list[Any]:
    return push_history(
        prometheus_url,
        scenario,
        [{P50: p50, RPS: 50.0} for p50 in STEADY + SLOWER],
    )


def test_history_as_table_json_and_csv(
    stack: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    scenario = unique_scenario("cli-history")
    records = push_history(
        stack.prometheus_url, scenario, [{P50: 0.1, RPS: 50.0}, {P50: 0.2, RPS: 40.0}]
    )
    where = _where(stack, tmp_path)
    code, out, _ = _cli(capsys, "history", "--scenario", scenario, *where)
    assert code == 0
    assert f"{scenario}: 2 runs since 2h" in out
    assert records[0].testid in out and "0.2" in out and P50 in out
    code, out, _ = _cli(capsys, "history", "--scenario", scenario, "--json", *where)
    runs = json.loads(out)["runs"]
    assert [r["testid"] for r in runs] == [r.testid for r in records]
    assert {v["sli"]: v["value"] for v in runs[1]["values"]} == {P50: 0.2, RPS: 40.0}
    code, out, _ = _cli(capsys, "history", "--scenario", scenario, "--csv", "--sli", RPS, *where)
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["testid", "end", RPS]
    assert [row[2] for row in rows[1:]] == ["50", "40"]


def test_a_regression_is_reported_pushed_and_fails_ci_only_when_asked(
    stack: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    scenario = unique_scenario("cli-regression")
    records = _regressed(stack.prometheus_url, scenario)
    where = _where(stack, tmp_path)
    code, out, _ = _cli(capsys, "regressions", "--scenario", scenario, "--no-push", *where)
    assert code == ExitCode.OK
    assert "WORSE  latency_p50_seconds: 0.100143 -> 0.1404 (+40.2%)" in out
    assert f"between {records[6].testid} and {records[7].testid}" in out
    code, out, _ = _cli(
        capsys, "regressions", "--scenario", scenario, "--json", "--fail-on-regression", *where
    )
    assert code == ExitCode.GATE_FAIL
    (point,) = json.loads(out)["change_points"]
    assert (point["sli"], point["direction"], point["run_after"]) == (
        P50,
        "worse",
        records[7].testid,
    )
    assert point["change_ratio"] == pytest.approx(0.1404 / (sum(STEADY) / 7) - 1)
    assert point["p_value"] < 0.001
    pushed = prom_query(
        stack.prometheus_url, f'perfstack_regression_change_ratio{{scenario="{scenario}"}}'
    )
    assert len(pushed) == 1
    assert pushed[0]["metric"]["run_before"] == records[6].testid
    assert pushed[0]["metric"]["direction"] == "worse"
    assert float(pushed[0]["value"][1]) == pytest.approx(point["change_ratio"])
    p_value = prom_query(
        stack.prometheus_url, f'perfstack_regression_p_value{{scenario="{scenario}"}}'
    )
    assert float(p_value[0]["value"][1]) == pytest.approx(point["p_value"])


def test_a_change_for_the_better_does_not_fail_ci(
    stack: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    scenario = unique_scenario("cli-better")
    push_history(stack.prometheus_url, scenario, [{RPS: v * 500} for v in STEADY + SLOWER])
    code, out, _ = _cli(
        capsys, "regressions", "--scenario", scenario, "--fail-on-regression", "--no-push",
        *_where(stack, tmp_path),
    )  # fmt: skip
    assert code == ExitCode.OK
    assert "BETTER throughput_rps" in out


def test_a_history_without_a_change_passes(
    stack: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    scenario = unique_scenario("cli-steady")
    push_history(stack.prometheus_url, scenario, [{P50: v} for v in STEADY + STEADY[:5]])
    code, out, _ = _cli(
        capsys, "regressions", "--scenario", scenario, "--fail-on-regression",
        *_where(stack, tmp_path),
    )  # fmt: skip
    assert code == ExitCode.OK
    assert "12 runs, 1 SLI series judged, 0 change point(s)" in out


def test_unknown_scenario_empty_window_and_too_few_runs_are_inconclusive(
    stack: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    known = unique_scenario("cli-known")
    push_history(stack.prometheus_url, known, [{P50: 0.1}, {P50: 0.1}, {P50: 0.2}])
    where = _where(stack, tmp_path)
    for command in ("history", "regressions"):
        code, out, err = _cli(capsys, command, "--scenario", "no-such-scenario", *where)
        assert code == ExitCode.NO_DATA
        assert "--scenario no-such-scenario: no runs since 2h" in err
        assert known in err  # the scenarios that do have runs are named
        assert out == ""
    code, _, err = _cli(
        capsys, "regressions", "--scenario", known, "--fail-on-regression", *where[:-2],
        "--since", "30s",
    )  # fmt: skip
    assert code == ExitCode.NO_DATA
    assert f"--scenario {known}: no runs since 30s" in err
    code, _, err = _cli(capsys, "regressions", "--scenario", known, "--fail-on-regression", *where)
    assert code == ExitCode.NO_DATA
    assert "3 run(s) with a value since 2h; the detector needs at least 4; inconclusive" in err


def test_bad_arguments_are_usage_errors(
    stack: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = _cli(capsys, "history", "--scenario", "x", "--since", "soon")
    assert code == ExitCode.USAGE
    assert "--since 'soon': " in err and "90d" in err
    code, _, err = _cli(
        capsys, "regressions", "--scenario", "x", "--max-pvalue", "2", *_where(stack, tmp_path)
    )
    assert code == ExitCode.USAGE
    assert "--max-pvalue 2.0: expected 0 < p < 1" in err


def _notification_for(scenario: str) -> Callable[[dict[str, Any]], bool]:
    def matches(notification: dict[str, Any]) -> bool:
        return any(
            a["labels"].get("alertname") == "PerfstackRegressionDetected"
            and a["labels"].get("scenario") == scenario
            for a in notification["alerts"]
        )

    return matches


def _firing(prometheus_url: str, scenario: str) -> bool:
    alerts = httpx.get(f"{prometheus_url}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
    return any(
        a["labels"].get("alertname") == "PerfstackRegressionDetected"
        and a["labels"].get("scenario") == scenario
        and a["state"] == "firing"
        for a in alerts
    )


def _knows_alertmanager(prometheus_url: str) -> bool:
    answer = httpx.get(f"{prometheus_url}/api/v1/alertmanagers", timeout=5).json()
    return bool(answer["data"]["activeAlertmanagers"])


@pytest.mark.timeout(120)
def test_the_regression_alert_reaches_alertmanager_and_the_webhook(
    stack_factory: Callable[..., Any], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    scenario = unique_scenario("cli-alert")
    with WebhookReceiver(port=0) as receiver:
        settings = stack_factory(
            alertmanager_config=webhook_alertmanager_config(tmp_path / "am.yml", receiver.url)
        )
        # Prometheus finds its Alertmanager a few seconds after it starts; an alert that fires
        # before that is dropped and only sent again a minute later (resend delay)
        wait_until(lambda: _knows_alertmanager(settings.prometheus_url), timeout=20)
        records = _regressed(settings.prometheus_url, scenario)
        code, _, err = _cli(capsys, "regressions", "--scenario", scenario, *_where(settings))
        assert code == ExitCode.OK, err
        wait_until(lambda: _firing(settings.prometheus_url, scenario), timeout=30, interval=0.5)
        notification = receiver.wait_for(_notification_for(scenario), timeout=45)
        held = (
            [] if notification else httpx.get(f"{settings.alertmanager_url}/api/v2/alerts").json()
        )
    assert notification is not None, f"no regression notification; Alertmanager holds {held}"
    (alert,) = notification["alerts"]
    assert alert["status"] == "firing"
    assert alert["labels"]["severity"] == "major"  # +40%
    assert alert["labels"]["sli"] == P50
    assert alert["labels"]["run_before"] == records[6].testid
    assert alert["labels"]["run_after"] == records[7].testid
    assert alert["annotations"]["summary"] == f"{scenario} regressed on {P50} by 40.2%"
    assert (
        f"changed for the worse by 40.2% between run {records[6].testid}"
        in (alert["annotations"]["description"])
    )


def test_request_names_are_shown_when_asked(
    stack: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    scenario = unique_scenario("cli-names")
    record = make_record(scenario, 0, time.time() - 60)
    values = [SummaryValue(P50, "", 0.1), SummaryValue(P50, "items", 0.3)]
    assert push_run_summary(record, stack.prometheus_url, values=values)[0]
    where = _where(stack, tmp_path)

    def shown(*extra: str) -> list[tuple[str, str]]:
        code, out, _ = _cli(capsys, "history", "--scenario", scenario, "--json", *extra, *where)
        assert code == 0
        return [(v["sli"], v["name"]) for v in json.loads(out)["runs"][0]["values"]]

    assert shown() == [(P50, "")]
    assert shown("--name", "items") == [(P50, ""), (P50, "items")]
    assert shown("--name", "*") == [(P50, ""), (P50, "items")]
    assert shown("--name", "other") == [(P50, "")]


def test_a_store_url_that_is_no_query_api_is_one_line_even_with_local_records(
    capsys: pytest.CaptureFixture[str], not_a_store: str, tmp_path: Path
) -> None:
    where = ["--prometheus", not_a_store, "--state-dir", str(tmp_path)]
    code, out, err = _cli(capsys, "history", "--scenario", "anything", *where)
    assert code == ExitCode.PROMETHEUS_UNAVAILABLE
    assert err.count("\n") == 1 and out == ""
    assert f"--prometheus {not_a_store}: expected a Prometheus-compatible query API" in err
    # nothing answering is not the same mistake: `auto` reads the local records alone
    dead = ["--prometheus", f"http://127.0.0.1:{free_port()}", "--state-dir", str(tmp_path)]
    code, _, err = _cli(capsys, "history", "--scenario", "anything", *dead)
    assert code != ExitCode.PROMETHEUS_UNAVAILABLE and "query API" not in err
    code, _, err = _cli(
        capsys, "history", "--scenario", "anything", "--source", "prometheus", *dead
    )
    assert code == ExitCode.PROMETHEUS_UNAVAILABLE and err.count("\n") == 1
    assert "nothing answers" in err and "--prometheus" in err
