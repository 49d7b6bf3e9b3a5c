"""`perfstack run` with the live gate (`--gate`) and with a scenario's `websocket:` section,
against a real Prometheus and the demo target."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from loadgen.scenarios import ws_url_for_host
from perfstack.core.errors import ExitCode
from perfstack.core.paths import examples_dir
from perfstack.core.record import load_record, record_path
from tests.helpers import prom_scalar, wait_until
from tests.loadgen.locust_runs import prom_by, run_perfstack, start_perfstack, write_locustfile

API_USER = """
from locust import HttpUser, constant, task

class ApiUser(HttpUser):
    wait_time = constant(0.05)

    @task
    def items(self):
        self.client.get("/api/items")
"""

ABORTING_RULES = """
name: live
objectives:
  - name: error ratio
    sli: error_ratio
    pass: "<= 10%"
    abort_on_fail: true
    sustained: 3s
    live_window: 4s
"""

EXAMPLE = examples_dir() / "scenario_http_and_ws.yaml"


def _rules(tmp_path: Path, text: str = ABORTING_RULES) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    return path


def test_live_gate_stops_a_failing_run_early(stack, demo_target_factory, tmp_path):
    target = demo_target_factory(error_ratio=0.5)
    state, testid, requested = tmp_path / "state", f"abort-{tmp_path.name}"[:60], 60
    result = run_perfstack(
        write_locustfile(tmp_path, API_USER), target.url, state, stack.prometheus_url,
        "-u", "4", "-t", f"{requested}s", "--testid", testid, "--gate", str(_rules(tmp_path)),
    )  # fmt: skip
    assert result.returncode == ExitCode.GATE_FAIL, result.stdout + result.stderr
    assert "live gate: error ratio" in result.stdout
    record = load_record(state, testid)
    assert record.exit_status == "aborted"
    assert record.message.startswith("live gate: error ratio") and "sustained 3s" in record.message
    assert record.end is not None and record.duration is not None
    assert record.duration < requested / 2
    assert record.requests > 0 and record.failures > 0


def test_live_gate_lets_a_healthy_run_finish(stack, demo_target, tmp_path):
    state, testid = tmp_path / "state", f"healthy-{tmp_path.name}"[:60]
    result = run_perfstack(
        write_locustfile(tmp_path, API_USER), demo_target.url, state, stack.prometheus_url,
        "-u", "4", "-t", "6s", "--testid", testid, "--gate", str(_rules(tmp_path)),
    )  # fmt: skip
    assert result.returncode == ExitCode.OK, result.stdout + result.stderr
    record = load_record(state, testid)
    assert record.exit_status == "completed" and record.failures == 0
    # ended by Locust's own -t timer, not by the gate (a duration check would depend on
    # how long Locust took to start on a busy machine: its timer starts before test_start)
    log = Path(record.extra["locust_log"]).read_text(encoding="utf-8")
    assert "--run-time limit reached" in log, log[-2000:]
    assert "live gate" not in result.stdout + result.stderr


def test_invalid_gate_rules_stop_before_any_load(stack, demo_target, tmp_path):
    state, testid = tmp_path / "state", f"badrules-{tmp_path.name}"[:60]
    rules = _rules(tmp_path, ABORTING_RULES.replace('pass: "<= 10%"', 'pass: "fast"'))
    result = run_perfstack(
        write_locustfile(tmp_path, API_USER), demo_target.url, state, stack.prometheus_url,
        "-t", "5s", "--testid", testid, "--gate", str(rules),
    )  # fmt: skip
    assert result.returncode == ExitCode.USAGE, result.stdout + result.stderr
    error_lines = result.stderr.strip().splitlines()
    assert len(error_lines) == 1 and str(rules) in error_lines[0], result.stderr
    assert not record_path(state, testid).exists()
    assert not (state / "runs" / f"{testid}.locust.log").exists()


def test_scenario_with_websocket_runs_both_under_one_testid(stack, demo_target, tmp_path):
    state, testid = tmp_path / "state", f"httpws-{tmp_path.name}"[:60]
    result = run_perfstack(
        examples_dir() / "locustfile_read_only.py", demo_target.url, state,
        stack.prometheus_url, "--scenario", str(EXAMPLE), "-u", "3", "-t", "8s",
        "--testid", testid,
    )  # fmt: skip
    assert result.returncode == ExitCode.OK, result.stdout + result.stderr
    record = load_record(state, testid)
    assert record.scenario == "http-and-ws" and record.requests > 0
    ws = record.extra["ws"]
    assert ws["target"].startswith(f"ws://127.0.0.1:{demo_target.port}")
    assert ws["messages"]["sent"] > 0 and ws["connections"]["peak_open"] == 20
    assert prom_by(stack.prometheus_url, "loadgen_http_requests_total", testid) == {
        "": record.requests
    }
    assert prom_by(stack.prometheus_url, "loadgen_ws_messages_sent_total", testid) == {
        "": ws["messages"]["sent"]
    }
    scenarios = prom_by(stack.prometheus_url, "loadgen_ws_messages_sent_total", testid, "scenario")
    assert set(scenarios) == {"http-and-ws"}


def test_ctrl_c_keeps_both_generators_measurements(stack, demo_target, tmp_path):
    state, testid = tmp_path / "state", f"ctrlc-{tmp_path.name}"[:60]
    process = start_perfstack(
        examples_dir() / "locustfile_read_only.py", demo_target.url, state,
        stack.prometheus_url, "--scenario", str(EXAMPLE), "-u", "3", "-t", "60s",
        "--testid", testid,
    )  # fmt: skip
    # interrupted once both generators have measured something (on a busy machine the
    # WebSocket child may take seconds to send its first message)
    for metric in ("loadgen_http_requests_total", "loadgen_ws_messages_sent_total"):
        wait_until(
            lambda metric=metric: prom_scalar(
                stack.prometheus_url, f'sum({metric}{{testid="{testid}"}})'
            ),
            timeout=30,
        )
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == ExitCode.INTERRUPTED, output
    record = load_record(state, testid)
    assert record.exit_status == "interrupted" and record.requests > 0  # Locust's own record
    assert record.names and record.percentiles
    assert "ws" in record.extra, (record.extra, output)
    assert record.extra["ws"]["messages"]["sent"] > 0


def test_malformed_websocket_section_is_one_line_before_any_load(stack, demo_target, tmp_path):
    scenario = tmp_path / "broken.yaml"
    scenario.write_text(
        EXAMPLE.read_text().replace("matcher: id:id", "matcher: nope"), encoding="utf-8"
    )
    state, testid = tmp_path / "state", f"badws-{tmp_path.name}"[:60]
    result = run_perfstack(
        examples_dir() / "locustfile_read_only.py", demo_target.url, state,
        stack.prometheus_url, "--scenario", str(scenario), "--testid", testid,
    )  # fmt: skip
    assert result.returncode == ExitCode.USAGE, result.stdout + result.stderr
    error_lines = result.stderr.strip().splitlines()
    assert len(error_lines) == 1, result.stderr
    assert f"{scenario}:" in error_lines[0] and "websocket.message.matcher" in error_lines[0]
    assert not (state / "runs").exists() or not any((state / "runs").iterdir())


@pytest.mark.parametrize(
    ("url", "host", "expected"),
    [
        ("/ws/chat", "http://127.0.0.1:8000", "ws://127.0.0.1:8000/ws/chat"),
        ("/ws/chat", "https://localhost:8443/base/", "wss://localhost:8443/base/ws/chat"),
        ("ws://{host}/ws/chat", "http://127.0.0.1:9001", "ws://127.0.0.1:9001/ws/chat"),
        ("ws://127.0.0.1:7000/x", "http://127.0.0.1:9001", "ws://127.0.0.1:7000/x"),
    ],
)
def test_websocket_url_follows_the_host(url, host, expected):
    assert ws_url_for_host(url, host) == expected
