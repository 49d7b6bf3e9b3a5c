"""The fault matrix against a real Prometheus: every case gives its documented verdict and
exit code, and none of them passes."""

from __future__ import annotations

import json
import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gate.evaluate import Gate
from gate.prometheus import PrometheusClient
from gate.rules import parse_rules
from gate.verdicts import Status
from gate.window import from_record
from perfstack.testing import free_port
from tests.gate.conftest import write_rules

HTTP_TOTAL = "loadgen_http_requests_total"
COUNT_RULES = "objectives:\n  - {name: count, sli: request_count, pass: '>= 1'}\n"


def judge(url: str, rules_text: str, record: object):
    with PrometheusClient(url) as client:
        return Gate(client, parse_rules(rules_text, "faults.yaml")).evaluate(from_record(record))  # type: ignore[arg-type]


def healthy_run(run_data, **kwargs):
    run = run_data(**kwargs)
    run.write(run.counter(HTTP_TOTAL, 500, name="a", method="GET", status="200"))
    return run, run.record(requests=500)


def test_unreachable_prometheus_is_error_exit_4(run_data, gate_cli, tmp_path: Path) -> None:
    run, _ = healthy_run(run_data)
    rules = write_rules(
        tmp_path, "objectives:\n  - {name: count, sli: request_count, pass: '>= 1'}\n"
    )
    dead = f"http://127.0.0.1:{free_port()}"
    code = gate_cli(
        "gate", "check", "--rules", rules, "--testid", run.testid, "--no-push", prometheus=dead
    )
    assert code == 4
    result = judge(dead, rules.read_text(), run.record(requests=500))
    assert [r.status for r in result.objectives] == [Status.ERROR]
    assert result.objectives[0].error_kind == "unavailable"
    assert "unreachable" in result.objectives[0].reason


def test_malformed_query_is_error_exit_2(run_data, gate_cli, stack, tmp_path: Path) -> None:
    run, record = healthy_run(run_data)
    text = "objectives:\n  - {name: broken, query: 'sum(rate(x[1m])', pass: '< 1'}\n"
    result = judge(stack.prometheus_url, text, record)
    entry = result.objectives[0]
    assert entry.status is Status.ERROR and entry.error_kind == "query"
    assert "bad_data" in entry.reason
    assert entry.query == "sum(rate(x[1m])"
    code = gate_cli(
        "gate", "check", "--rules", write_rules(tmp_path, text), "--testid", run.testid, "--no-push"
    )
    assert code == 2


def test_empty_result_is_no_data_exit_3(run_data, gate_cli, stack, tmp_path: Path) -> None:
    run, record = healthy_run(run_data)  # request counters, but no duration histogram
    text = "objectives:\n  - {name: mean, sli: latency_mean, pass: '< 1s'}\n"
    result = judge(stack.prometheus_url, text, record)
    assert result.objectives[0].status is Status.NO_DATA
    assert result.objectives[0].value is None  # never read as 0
    assert "no series" in result.objectives[0].reason
    code = gate_cli(
        "gate", "check", "--rules", write_rules(tmp_path, text), "--testid", run.testid, "--no-push"
    )
    assert code == 3


def test_nan_fails_exit_1(run_data, gate_cli, stack, tmp_path: Path) -> None:
    run = run_data()
    # a run that pushed request counters but completed no request: error ratio is 0/0
    run.write(run.counter(HTTP_TOTAL, 0, name="a", method="GET", status="200"))
    record = run.record(requests=0)
    total = f'sum(last_over_time({HTTP_TOTAL}{{testid="$testid"}}[$range]))'
    text = f"objectives:\n  - name: ratio\n    query: '{total} / {total}'\n    pass: '< 5%'\n"
    result = judge(stack.prometheus_url, text, record)
    entry = result.objectives[0]
    assert entry.status is Status.FAIL and entry.value is not None and entry.value != entry.value
    assert "NaN" in entry.reason
    code = gate_cli(
        "gate", "check", "--rules", write_rules(tmp_path, text), "--testid", run.testid, "--no-push"
    )
    assert code == 1


def test_positive_infinity_fails_even_a_lower_bound(
    run_data, gate_cli, stack, tmp_path: Path
) -> None:
    run, record = healthy_run(run_data)
    # division by a zero denominator: "> 150" would be true for +Inf; the gate must not pass it
    text = (
        "objectives:\n  - name: rps\n    query: 'sum(last_over_time("
        + HTTP_TOTAL
        + "{testid=\"$testid\"}[$range])) / (0 * $duration_seconds)'\n    pass: '> 150'\n"
    )
    result = judge(stack.prometheus_url, text, record)
    entry = result.objectives[0]
    assert entry.value == float("inf")
    assert entry.status is Status.FAIL and "+Inf" in entry.reason
    code = gate_cli(
        "gate", "check", "--rules", write_rules(tmp_path, text), "--testid", run.testid, "--no-push"
    )
    assert code == 1


def test_several_series_fail_and_are_listed_by_labels(
    run_data, gate_cli, stack, tmp_path: Path
) -> None:
    run = run_data()
    run.write(
        run.counter(HTTP_TOTAL, 300, name="a", method="GET", status="200"),
        (
            run.labels(HTTP_TOTAL, name="a", method="GET", status="200") | {"instance": "test:2"},
            run.counter(HTTP_TOTAL, 700)[1],
        ),
    )
    record = run.record(requests=1000)
    text = (
        "objectives:\n  - name: per instance\n    query: 'last_over_time("
        + HTTP_TOTAL
        + "{testid=\"$testid\"}[$range])'\n    pass: '>= 100'\n"
    )
    entry = judge(stack.prometheus_url, text, record).objectives[0]
    assert entry.status is Status.FAIL
    assert (
        "2 series" in entry.reason
        and 'instance="test:1"' in entry.reason
        and 'instance="test:2"' in entry.reason
    )
    assert sorted(s.value for s in entry.series) == [300.0, 700.0]
    code = gate_cli(
        "gate", "check", "--rules", write_rules(tmp_path, text), "--testid", run.testid, "--no-push"
    )
    assert code == 1
    worst = judge(
        stack.prometheus_url, text.replace("pass:", "on_multi_series: worst\n    pass:"), record
    )
    assert worst.objectives[0].status is Status.PASS and worst.objectives[0].value == 300.0


def test_missing_baseline_fails_the_relative_criterion(
    run_data, gate_cli, stack, tmp_path: Path
) -> None:
    run, record = healthy_run(run_data)
    text = "objectives:\n  - name: count vs baseline\n    sli: request_count\n    relative: '>= -10%'\n"  # noqa: E501
    rules = write_rules(tmp_path, text)
    result = judge(stack.prometheus_url, text, record)
    entry = result.objectives[0]
    assert entry.status is Status.FAIL and entry.baseline is not None
    assert "no baseline" in entry.baseline.reason
    missing = tmp_path / "baselines" / "nope.json"
    code = gate_cli(
        "gate",
        "check",
        "--rules",
        rules,
        "--testid",
        run.testid,
        "--baseline",
        missing,
        "--no-push",
    )
    assert code == 1
    code = gate_cli("gate", "check", "--rules", rules, "--testid", run.testid, "--no-push")
    assert code == 1


def test_run_without_end_is_in_progress_no_data(run_data, gate_cli, stack, tmp_path: Path) -> None:
    run, _ = healthy_run(run_data)
    record = run.record(end=None, requests=500)
    text = "objectives:\n  - {name: count, sli: request_count, pass: '>= 1'}\n"
    result = judge(stack.prometheus_url, text, record)
    assert [r.status for r in result.objectives] == [Status.NO_DATA]
    assert "in progress" in result.reason
    code = gate_cli(
        "gate", "check", "--rules", write_rules(tmp_path, text), "--testid", run.testid, "--no-push"
    )
    assert code == 3


def test_run_ending_in_the_future_is_in_progress(run_data, gate_cli, stack, tmp_path: Path) -> None:
    run, _ = healthy_run(run_data)
    run.record(end=time.time() + 120, requests=500)
    text = "objectives:\n  - {name: count, sli: request_count, pass: '>= 1'}\n"
    code = gate_cli(
        "gate", "check", "--rules", write_rules(tmp_path, text), "--testid", run.testid, "--no-push"
    )
    assert code == 3


def test_too_few_samples_is_no_data(run_data, gate_cli, stack, tmp_path: Path) -> None:
    run, record = healthy_run(run_data)
    text = "objectives:\n  - {name: errors, sli: error_ratio, pass: '< 5%', min_samples: 1000}\n"
    entry = judge(stack.prometheus_url, text, record).objectives[0]
    assert entry.status is Status.NO_DATA
    assert entry.value == 0.0 and entry.samples == 500
    assert "too few samples: 500 < min_samples 1000" in entry.reason
    code = gate_cli(
        "gate", "check", "--rules", write_rules(tmp_path, text), "--testid", run.testid, "--no-push"
    )
    assert code == 3


def _gate_check(state_dir: Path, prometheus_url: str, rules: Path, *extra: str) -> int:
    from perfstack.cli import main

    return main(
        ["gate", "check", "--rules", str(rules), "--no-push", "--state-dir", str(state_dir),
         "--prometheus", prometheus_url, *extra]
    )  # fmt: skip


def test_a_corrupt_newest_record_stops_the_gate_instead_of_judging_an_older_run(
    run_data, stack, tmp_path: Path, capsys
) -> None:
    state = tmp_path / "state"
    run = run_data()
    run.state_dir = state
    run.write(run.counter(HTTP_TOTAL, 500, name="a", method="GET", status="200"))
    run.record(requests=500)  # an older run that would PASS
    assert _gate_check(state, stack.prometheus_url, write_rules(tmp_path, COUNT_RULES)) == 0
    newest = state / "runs" / "newest-run.json"
    newest.write_text('{"testid": "newest-run", "start": ', encoding="utf-8")  # cut short
    capsys.readouterr()
    code = _gate_check(state, stack.prometheus_url, write_rules(tmp_path, COUNT_RULES))
    assert code == 16
    error = capsys.readouterr().err.strip()
    assert error.startswith(f"perfstack: error: {newest}: not a valid run record")
    assert "\n" not in error


def test_a_record_field_of_the_wrong_type_is_one_line_and_exit_16(
    run_data, stack, tmp_path: Path, capsys
) -> None:
    state = tmp_path / "state"
    run = run_data()
    run.state_dir = state
    path = state / "runs" / f"{run.testid}.json"
    run.record(requests=500)
    data = json.loads(path.read_text())
    data["start"] = "yesterday"
    path.write_text(json.dumps(data))
    rules = write_rules(tmp_path, COUNT_RULES)
    code = _gate_check(state, stack.prometheus_url, rules, "--testid", run.testid)
    assert code == 16
    error = capsys.readouterr().err.strip()
    assert error == (
        f"perfstack: error: {path}: not a valid run record: "
        "field 'start': expected a number, got 'yesterday'"
    )


BAD_TESTIDS = ["../../evil", "feature/x", 'a"b', ".hidden", ""]


@pytest.mark.parametrize("testid", BAD_TESTIDS)
@pytest.mark.parametrize(
    "command",
    [
        ["run", "-f", "never-read.py", "--host", "http://127.0.0.1:1"],
        ["ws", "--url", "ws://127.0.0.1:1/ws", "--no-push"],
        ["gate", "check", "--rules", "never-read.yaml"],
        ["baseline", "save", "--rules", "never-read.yaml"],
    ],
    ids=["run", "ws", "gate", "baseline"],
)
def test_a_bad_testid_is_refused_before_anything_runs(
    command: list[str], testid: str, tmp_path: Path, capsys
) -> None:
    from perfstack.cli import main

    state = tmp_path / "state"
    with pytest.raises(SystemExit) as exited:
        main([*command, "--testid", testid, "--state-dir", str(state)])
    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("perfstack: error: argument --testid: ")
    assert not state.exists() and not (tmp_path / "evil.json").exists()


def test_no_file_is_ever_written_outside_the_runs_folder(tmp_path: Path) -> None:
    from perfstack.core.errors import PerfstackError
    from perfstack.core.record import RunRecord, write_record

    record = RunRecord(testid="../../evil", scenario="s", generator="ws", target="", start=1.0)
    with pytest.raises(PerfstackError, match=r"testid '\.\./\.\./evil': expected"):
        write_record(tmp_path / "state", record)
    assert list(tmp_path.rglob("*")) == []


def test_argparse_errors_are_one_line_and_exit_2(capsys) -> None:
    from perfstack.cli import main

    for argv in (["run", "--users", "many"], ["gate", "check", "--bogus"], ["nope"]):
        with pytest.raises(SystemExit) as exited:
            main(argv)
        assert exited.value.code == 2
        error = capsys.readouterr().err
        assert error.count("\n") == 1 and error.startswith("perfstack: error: "), error


SLOW_LOCUSTFILE = """
from locust import HttpUser, constant, task


class Steady(HttpUser):
    wait_time = constant(0.05)

    @task
    def health(self):
        self.client.get("/health")
"""


def test_sigterm_stops_the_load_and_keeps_an_interrupted_record(
    demo_target, stack, tmp_path: Path
) -> None:
    """What CI does on cancel or timeout: `kill -TERM` the `perfstack run` process."""
    import signal
    import subprocess

    import psutil

    from perfstack.core.record import load_record
    from tests.helpers import wait_until
    from tests.loadgen.locust_runs import start_perfstack, write_locustfile

    state = tmp_path / "state"
    testid = f"sigterm-{tmp_path.name}"[:60]
    run = start_perfstack(
        write_locustfile(tmp_path, SLOW_LOCUSTFILE), demo_target.url, state,
        stack.prometheus_url, "-u", "2", "-t", "60s", "--testid", testid,
    )  # fmt: skip
    live = state / "runs" / f"{testid}.live"
    wait_until(lambda: live.is_file() and '"requests": 0,' not in live.read_text(), timeout=30)
    children = psutil.Process(run.pid).children(recursive=True)
    assert children, "Locust should be running under perfstack run"
    run.send_signal(signal.SIGTERM)
    try:
        output, _ = run.communicate(timeout=45)
    except subprocess.TimeoutExpired:
        run.kill()
        raise
    _gone, alive = psutil.wait_procs(children, timeout=10)
    for orphan in alive:  # never leave load running after a failed test
        orphan.kill()
    assert alive == [], f"children left loading the target: {alive}"
    assert run.returncode == 130, output
    record = load_record(state, testid)
    assert record.exit_status == "interrupted"
    assert record.requests > 0 and record.end is not None
    assert record.end - record.start < 50  # stopped, not run to its 60 s


STALLED_LOCUSTFILE = """
from locust import FastHttpUser, HttpUser, constant, task

class Fast(FastHttpUser):
    fixed_count = 3
    wait_time = constant(0.5)
    @task
    def items(self):
        self.client.get("/api/items?limit=5", name="/api/items")

class Classic(HttpUser):
    fixed_count = 2
    wait_time = constant(0.5)
    @task
    def items(self):
        self.client.get("/api/items?limit=5", name="/api/items")
"""
STALL_RULES = """
objectives:
  - {name: p95 latency, sli: latency_p95, pass: '< 500ms'}
  - {name: errors, sli: error_ratio, pass: '<= 5%'}
"""


def test_a_stall_outlasting_the_run_fails_the_gate(
    demo_target_factory, stack, gate_cli, tmp_path: Path
) -> None:
    """The target stops answering 3 s into an 8 s run and stays stalled past its end:
    every user hangs in one request when the run stops. Those requests are failures with
    their time from start to stop, so latency and errors both FAIL (before, the run had
    no failure and its p95 was that of the requests before the stall: a PASS)."""
    from perfstack.core.record import load_record
    from tests.helpers import wait_until
    from tests.loadgen.locust_runs import start_perfstack, write_locustfile

    users, target = 5, demo_target_factory()
    testid = f"stall-{tmp_path.name}"[:60]
    live = stack.state_dir / "runs" / f"{testid}.live"
    run = start_perfstack(
        write_locustfile(tmp_path, STALLED_LOCUSTFILE), target.url, stack.state_dir,
        stack.prometheus_url, "-u", str(users), "-r", str(users), "-t", "8s", "--testid", testid,
    )  # fmt: skip

    def elapsed() -> float:
        try:
            view = json.loads(live.read_text())
        except (OSError, ValueError):
            return 0.0
        return (view.get("now") or 0.0) - (view.get("start") or float("inf"))

    try:
        wait_until(lambda: elapsed() >= 3, timeout=30)
        stalled_at = time.time()
        target.set_knobs(stall_seconds=60)  # longer than the run; released below
        output, _ = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()
        target.set_knobs(stall_seconds=0)
    assert run.returncode == 0, output
    record = load_record(stack.state_dir, testid)
    assert record.errors_by_type == {"in_flight_at_stop": users}
    assert record.failures == users
    assert record.failures / record.requests > 0.05  # what the objective sees
    # every user sent its hanging request at most a think time (0.5 s) after the stall
    # began, and it was counted when the users were killed, just before the record's end
    assert record.end is not None
    hung_at_least = record.end - stalled_at - 0.5 - 0.5  # think time, and scheduling slack
    assert record.percentiles["p95"] >= hung_at_least

    rules = write_rules(tmp_path, STALL_RULES)
    code = gate_cli("gate", "check", "--rules", rules, "--testid", testid, "--no-push")
    assert code == 1
    result = judge(stack.prometheus_url, STALL_RULES, record)
    by_name = {entry.objective.name: entry for entry in result.objectives}
    assert by_name["p95 latency"].status is Status.FAIL
    assert by_name["p95 latency"].value == record.percentiles["p95"]
    assert by_name["errors"].status is Status.FAIL
    assert by_name["errors"].value == pytest.approx(record.failures / record.requests)


def test_a_url_that_is_a_web_page_is_named_not_quoted(tmp_path: Path) -> None:
    """`--prometheus` pointing at a web server: the push error is one line, no HTML."""
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from perfstack.metrics.registry import Registry
    from perfstack.metrics.schema import RunMetrics
    from perfstack.push.config import PushConfig
    from perfstack.push.pusher import RemoteWritePusher

    server = ThreadingHTTPServer(("127.0.0.1", 0), SimpleHTTPRequestHandler)  # no POST: 501
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        registry = Registry()
        RunMetrics(registry).started("http://127.0.0.1:1", "U", 1.0)
        url = f"http://127.0.0.1:{server.server_address[1]}/api/v1/write"
        pusher = RemoteWritePusher(registry, PushConfig(url=url, stop_timeout=0.5))
        assert pusher.flush(timeout=0.5) is False
        error = pusher.stats.last_error or ""
    finally:
        server.shutdown()
    assert error.startswith("HTTP 501: an HTML page ('Error response'), not a remote-write")
    assert "<" not in error and "\n" not in error


WRONG_UNITS = [
    ("latency_p95", "< 500mb", "is a size in bytes, but the SLI is in seconds (use s or ms)"),
    ("latency_p95", "< 5%", "is a ratio, but the SLI is in seconds (use s or ms)"),
    ("error_ratio", "<= 5ms", "is a time, but the SLI is in ratio (use %)"),
    ("throughput", ">= 10MB", "is a size in bytes, but the SLI is in rps (use rps)"),
    ("memory_peak", "< 2s", "is a time, but the SLI is in bytes (use MB, MiB, GB)"),
]


@pytest.mark.parametrize(("sli", "condition", "reason"), WRONG_UNITS)
def test_a_threshold_in_the_wrong_unit_is_a_rule_error_in_check_lint_and_live(
    sli: str, condition: str, reason: str, run_data, gate_cli, stack, tmp_path: Path, capsys
) -> None:
    from gate.live import LiveGate
    from perfstack.cli import main
    from perfstack.core.errors import PerfstackError

    run, _record = healthy_run(run_data)
    rules = write_rules(
        tmp_path, f"objectives:\n  - name: wrong\n    sli: {sli}\n    pass: '{condition}'\n"
    )
    expected = f"{rules}:4: objectives[0].pass: '{condition}' {reason}"
    capsys.readouterr()
    assert gate_cli("gate", "check", "--rules", rules, "--testid", run.testid, "--no-push") == 2
    assert capsys.readouterr().err.strip() == f"perfstack: error: {expected}"
    assert main(["gate", "lint", str(rules), "--prometheus", stack.prometheus_url]) == 2
    assert capsys.readouterr().err.strip() == f"perfstack: error: {expected}"
    with pytest.raises(PerfstackError, match=re.escape(expected)):
        LiveGate.from_file(rules, stack.prometheus_url, run.testid, run.scenario)


def test_thresholds_in_their_sli_units_and_bare_numbers_are_accepted(tmp_path: Path) -> None:
    from gate.rules import load_rules

    rules = write_rules(
        tmp_path,
        "objectives:\n"
        "  - {name: p95, sli: latency_p95, pass: '< 500ms', warn: '< 1s'}\n"
        "  - {name: errors, sli: error_ratio, pass: '<= 5%'}\n"
        "  - {name: rate, sli: throughput, pass: '>= 10rps'}\n"
        "  - {name: growth, sli: memory_growth, pass: '< 100MB'}\n"
        "  - {name: bare, sli: latency_p99, pass: '< 0.5'}\n"
        "  - {name: raw, query: 'vector(1)', pass: '< 5%'}\n",
    )
    assert len(load_rules(rules, {}).objectives) == 6


CUT_LOCUSTFILE = """
import os

from locust import HttpUser, constant, task

CUT = {cut!r}  # the test creates it once pushes can no longer reach Prometheus


class Steady(HttpUser):
    wait_time = constant(0.05)

    @task
    def page(self):
        if os.path.exists(CUT):
            self.client.get("/no-such-page", name="/after-cut")  # 404: a failure
        else:
            self.client.get("/health", name="/before-cut")
"""

LOSS_RULES = """
objectives:
  - {name: error ratio, sli: error_ratio, pass: "<= 5%", key: true}
  - {name: requests, sli: request_count, pass: ">= 1"}
  - {name: p95, sli: latency_p95, pass: "< 5s"}
  - {name: mean latency, sli: latency_mean, pass: "< 5s"}
"""


def _held(prometheus_url: str, metric: str, testid: str) -> float:
    from tests.helpers import prom_scalar

    held = prom_scalar(prometheus_url, f'sum(last_over_time({metric}{{testid="{testid}"}}[15m]))')
    return 0.0 if held is None else held


@pytest.mark.slow
def test_samples_lost_mid_run_never_pass_on_what_prometheus_holds(
    demo_target, stack, tmp_path: Path
) -> None:
    """Prometheus out of reach from the middle of a run to after its end (what a killed and
    later restarted Prometheus does): it holds the first requests, all successes, while
    every failure of the run is only in the run record. The gate judges what the record has
    exactly from the record, the rest is inconclusive; nothing passes on the partial data."""
    from urllib.parse import urlsplit

    from perfstack.core.record import load_record
    from tests.gate.relay import Relay
    from tests.helpers import wait_until
    from tests.loadgen.locust_runs import start_perfstack, write_locustfile

    cut = tmp_path / "cut"
    state = tmp_path / "state"
    testid = f"lost-{tmp_path.name}"[:60]
    relay = Relay(int(urlsplit(stack.prometheus_url).port or 0))
    locustfile = write_locustfile(tmp_path, CUT_LOCUSTFILE.format(cut=str(cut)))
    run = start_perfstack(
        locustfile, demo_target.url, state, stack.prometheus_url, "-u", "2", "-t", "8s",
        "--testid", testid, "--remote-write-url", f"{relay.url}/api/v1/write",
        "--", "--perfstack-push-stop-timeout", "1",
    )  # fmt: skip
    try:
        wait_until(lambda: _held(stack.prometheus_url, HTTP_TOTAL, testid) > 0, timeout=40)
        relay.cut()
        cut.touch()
        output, _ = run.communicate(timeout=60)
    finally:
        relay.cut()
        if run.poll() is None:
            run.kill()
            run.communicate()
    record = load_record(state, testid)
    assert record.failures > 0 and record.samples_dropped > 0, output
    held = _held(stack.prometheus_url, HTTP_TOTAL, testid)
    assert 0 < held < record.requests
    assert _held(stack.prometheus_url, "loadgen_http_request_failures_total", testid) == 0

    report = tmp_path / "gate.json"
    code = _gate_check(
        state, stack.prometheus_url, write_rules(tmp_path, LOSS_RULES),
        "--testid", testid, "--json", str(report),
    )  # fmt: skip
    assert code == 1  # the error ratio FAILs on the record's figures
    by_name = {o["name"]: o for o in json.loads(report.read_text())["objectives"]}
    loss = f"Prometheus holds {held:.0f} of the run's {record.requests} requests"
    errors = by_name["error ratio"]
    assert errors["status"] == "FAIL" and errors["source"] == "run record"
    assert errors["value"] == record.failures / record.requests
    assert loss in errors["reason"]
    count = by_name["requests"]
    assert (count["status"], count["value"], count["source"]) == (
        "PASS", record.requests, "run record"
    )  # fmt: skip
    assert by_name["p95"]["source"] == "run record"
    assert by_name["p95"]["value"] == record.percentiles["p95"]
    mean = by_name["mean latency"]  # the record has no mean: inconclusive, not judged
    assert mean["status"] == "NO_DATA" and mean["value"] is None
    assert loss in mean["reason"]


HEALTH_LOCUSTFILE = """
from locust import HttpUser, constant, task


class Steady(HttpUser):
    wait_time = constant(0.05)

    @task
    def health(self):
        self.client.get("/health")
"""


@pytest.mark.slow
def test_the_default_preset_judges_an_http_only_run_and_lists_what_it_skipped(
    demo_target, stack, tmp_path: Path, capsys
) -> None:
    """No WebSocket generator and no exporter in the run: their objectives are skipped with
    a note in every report, and the run gets its HTTP verdict instead of NO_DATA."""
    from tests.loadgen.locust_runs import run_perfstack, write_locustfile

    state = tmp_path / "state"
    testid = f"http-only-{tmp_path.name}"[:60]
    result = run_perfstack(
        write_locustfile(tmp_path, HEALTH_LOCUSTFILE), demo_target.url, state,
        stack.prometheus_url, "-u", "2", "-t", "4s", "--testid", testid,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    report, junit, markdown = tmp_path / "g.json", tmp_path / "g.xml", tmp_path / "g.md"
    preset = Path(__file__).resolve().parents[2] / "gate" / "presets" / "default.yaml"
    code = _gate_check(
        state, stack.prometheus_url, preset, "--testid", testid, "--json", str(report),
        "--junit", str(junit), "--markdown", str(markdown),
    )  # fmt: skip
    table = capsys.readouterr().out
    data = json.loads(report.read_text())
    assert code == 0, data
    assert [(o["name"], o["status"]) for o in data["objectives"]] == [
        ("p95 latency", "PASS"), ("error ratio", "PASS"), ("throughput", "PASS"),
    ]  # fmt: skip
    assert data["skipped"] == [
        "dropped iterations", "WebSocket connect success", "target memory growth"
    ]  # fmt: skip
    reasons = data["skip_reasons"]
    assert "arrival-rate" in reasons["dropped iterations"], reasons
    assert reasons["WebSocket connect success"].startswith("no WebSocket generator in run")
    assert reasons["target memory growth"].startswith("no resource exporter in run")
    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    assert cases["WebSocket connect success"].find("skipped") is not None
    assert cases["p95 latency"].find("skipped") is None
    text = markdown.read_text()
    assert "| WebSocket connect success | ⏭️ skipped |" in text
    assert "| target memory growth | ⏭️ skipped |" in text
    assert "skipped (not judged): WebSocket connect success: no WebSocket generator in" in table
    assert "skipped (not judged): target memory growth: no resource exporter in" in table


def test_a_websocket_generator_that_ran_and_produced_nothing_is_no_data(
    run_data, gate_cli, tmp_path: Path
) -> None:
    """The default preset on a run whose WebSocket part ran and pushed nothing: the ws
    objective is NO_DATA (exit 3), not skipped; the exporter it never had is skipped."""
    from tests.gate.conftest import IDLE_WS_SUMMARY

    run = run_data()
    run.write(run.counter(HTTP_TOTAL, 500, name="a", method="GET", status="200"))
    run.record(requests=500, percentiles={"p95": 0.01}, extra={"ws": IDLE_WS_SUMMARY})
    report = tmp_path / "g.json"
    preset = Path(__file__).resolve().parents[2] / "gate" / "presets" / "default.yaml"
    code = gate_cli(
        "gate", "check", "--rules", preset, "--testid", run.testid, "--json", report, "--no-push"
    )
    data = json.loads(report.read_text())
    assert code == 3
    statuses = {o["name"]: o["status"] for o in data["objectives"]}
    assert statuses == {
        "p95 latency": "PASS", "error ratio": "PASS", "throughput": "PASS",
        "WebSocket connect success": "NO_DATA",
    }  # fmt: skip
    assert data["skipped"] == ["dropped iterations", "target memory growth"]


def test_only_skipped_objectives_is_no_data_never_a_pass(
    run_data, gate_cli, stack, tmp_path: Path
) -> None:
    run, record = healthy_run(run_data)
    text = (
        "objectives:\n  - {name: rtt, sli: ws_rtt_p95, pass: '< 1s'}\n"
        "  - {name: growth, sli: memory_growth, pass: '< 1GB'}\n"
    )
    result = judge(stack.prometheus_url, text, record)
    assert result.objectives == [] and result.status is Status.NO_DATA
    assert [s.name for s in result.skipped] == ["rtt", "growth"]
    assert result.reason.startswith("no objective was judged: all 2 skipped")
    code = gate_cli(
        "gate", "check", "--rules", write_rules(tmp_path, text), "--testid", run.testid, "--no-push"
    )
    assert code == 3
