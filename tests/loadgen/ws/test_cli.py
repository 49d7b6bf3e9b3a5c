"""`perfstack ws` through the real entry point: one-line errors with codes, and a real run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from perfstack.cli import main
from perfstack.core.errors import ExitCode
from perfstack.core.record import load_record

URL = "ws://127.0.0.1:9/ws"


def error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0, err
    return err


@pytest.mark.parametrize(
    ("argv", "code", "words"),
    [
        (["--url", "http://127.0.0.1:9/"], ExitCode.BAD_TARGET_URL, "--url: expected a ws://"),
        (["--url", "ws://example.com/"], ExitCode.BAD_TARGET_URL, "--allow-remote-host"),
        (["--url", URL, "--template", "hi"], ExitCode.USAGE, "needs an {id} placeholder"),
        (["--url", URL, "--template", '{"id": "{id}"'], ExitCode.USAGE, "not valid JSON"),
        (["--url", URL, "--matcher", "regex:("], ExitCode.USAGE, "invalid regular expression"),
        (["--url", URL, "--matcher", "idfield"], ExitCode.USAGE, "expected id:FIELD"),
        (["--url", URL, "--think-time", "uniform:2s:1s"], ExitCode.USAGE, "--think-time:"),
        (["--url", URL, "--duration", "forever"], ExitCode.USAGE, "--duration: expected"),
        (["--url", URL, "--header", "NoColon"], ExitCode.USAGE, "--header 'NoColon'"),
        (["--url", URL, "--mode", "typing-delay"], ExitCode.USAGE, "--expected-delay: required"),
        (
            ["--url", URL, "--token-env", "PERFSTACK_NOPE"],
            ExitCode.USAGE,
            "PERFSTACK_NOPE is not set",
        ),
        ([], ExitCode.USAGE, "--url: required"),
        (["--scenario", "/nonexistent/x.yaml"], ExitCode.UNKNOWN_SCENARIO, "cannot read"),
    ],
)
def test_bad_input_is_one_line_with_its_code(
    argv: list[str], code: ExitCode, words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ws", "--no-push", "--no-record", *argv]) == code
    line = error_line(capsys)
    assert line.startswith("perfstack: error: ") and words in line, line


def test_a_zero_timeout_or_interval_is_refused_before_the_run(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """0 would not mean "off": every reply, connect or keepalive would fail instead."""
    for flag in ("--reply-timeout", "--ping-interval", "--connect-timeout"):
        assert main(["ws", "--no-push", "--no-record", "--url", URL, flag, "0"]) == ExitCode.USAGE
        assert error_line(capsys) == f"perfstack: error: {flag}: expected a duration > 0, got '0'"


def test_argparse_rejects_bad_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["ws", "--url", URL, "--connections", "0"])
    assert caught.value.code == ExitCode.USAGE
    assert "expected a whole number >= 1" in capsys.readouterr().err


def test_scenario_error_names_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "chat.yaml"
    scenario.write_text("websocket:\n  url: ws://127.0.0.1:9/\n  message:\n    matcher: nope\n")
    assert main(["ws", "--scenario", str(scenario), "--no-push"]) == ExitCode.USAGE
    assert f"{scenario}:4: websocket.message.matcher: matcher 'nope'" in error_line(capsys)


def test_a_scenario_run_writes_its_record_and_summary(
    demo_target: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "chat.yaml"
    scenario.write_text(
        "name: chatcli\n"
        "websocket:\n"
        "  url: ws://127.0.0.1:1/never-used\n"
        "  connections: 50\n"
        "  duration: 1s\n"
        "  message: {payload_size: 100, think_time: 10ms}\n"
    )
    summary = tmp_path / "summary.json"
    argv = [
        "ws",
        "--scenario",
        str(scenario),
        "--url",
        demo_target.ws_url,
        "--connections",
        "4",
        "--ramp",
        "100",
        "--no-push",
        "--state-dir",
        str(tmp_path),
        "--summary-json",
        str(summary),
        "--testid",
        "chatcli-test-1",
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "testid chatcli-test-1" in out and "record:" in out
    record = load_record(tmp_path, "chatcli-test-1")
    assert record.scenario == "chatcli" and record.generator == "ws"
    ws = json.loads(summary.read_text())
    assert ws["testid"] == "chatcli-test-1" and ws["connections"]["sessions"] == 4  # flag won
    assert ws["messages"]["sent"] == record.requests > 4 * 10
    assert ws["messages"]["bytes_sent"] >= ws["messages"]["sent"] * 100


def test_an_unwritable_record_keeps_the_summary_and_is_one_line_with_its_code(
    local_server: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = local_server()
    state = tmp_path / "state"
    state.mkdir()
    (state / "runs").write_text("a file where the run records' directory should be\n")
    summary = tmp_path / "summary.json"
    argv = ["ws", "--url", server.url, "--connections", "2", "--duration", "0.5s", "--no-push"]
    argv += ["--state-dir", str(state), "--summary-json", str(summary)]
    argv += ["--testid", "unwritable-1", "--prometheus", "http://127.0.0.1:9"]
    assert main(argv) == ExitCode.RECORD_NOT_WRITTEN
    # what was measured comes first: the summary is printed and written, then the error
    captured = capsys.readouterr()
    assert "testid unwritable-1" in captured.out and "record:" not in captured.out
    assert json.loads(summary.read_text())["connections"]["sessions"] == 2
    record = state / "runs" / "unwritable-1.json"
    assert captured.err.strip() == (
        f"perfstack: error: cannot write the run record {record}: File exists"
    )


def test_a_run_of_its_own_pushes_its_summary_with_its_labels(
    demo_target: Any, stack: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """perfstack history: the RTT p95 of the record, pushed stamped at the run's end."""
    from tests.helpers import prom_query

    testid = f"wssummary-{tmp_path.name[-12:]}".replace("_", "-")
    argv = ["ws", "--url", demo_target.ws_url, "--connections", "2", "--duration", "1s"]
    argv += ["--scenario-name", "wssummary", "--testid", testid, "--label", "env=ci"]
    argv += ["--prometheus", stack.prometheus_url, "--state-dir", str(tmp_path)]
    assert main(argv) == 0, capsys.readouterr().err
    record = load_record(tmp_path, testid)
    rtt = record.extra["ws"]["rtt_seconds"]["p95"]
    assert record.extra["summary"]["labels"]["env"] == "ci"
    info = prom_query(stack.prometheus_url, f'perfstack_run_info{{testid="{testid}"}}[10m]')
    ((stamp, _),) = info[0]["values"]
    assert float(stamp) == pytest.approx(record.end, abs=0.001)
    selector = 'scenario="wssummary",sli="ws_rtt_p95_seconds",env="ci"'
    pushed = prom_query(stack.prometheus_url, f"perfstack_run_summary{{{selector}}} @ {stamp}")
    assert [float(s["value"][1]) for s in pushed] == [rtt]


def test_a_store_that_refuses_writes_keeps_the_record_and_is_one_line_exit_25(
    local_server: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from perfstack.testing import start_nginx

    nginx, proxy = start_nginx(tmp_path / "proxy", body="no tenant", status=401)
    write_url = f"{proxy}/api/v1/write"
    argv = ["ws", "--url", local_server().url, "--connections", "2", "--duration", "0.5s"]
    argv += ["--state-dir", str(tmp_path / "state"), "--testid", "refused-1"]
    argv += ["--remote-write-url", write_url, "--prometheus", "http://127.0.0.1:9"]
    try:
        assert main(argv) == ExitCode.STORE_REFUSED_WRITES
    finally:
        nginx.kill()
        nginx.wait()
    record = load_record(tmp_path / "state", "refused-1")
    assert record.requests > 0 and record.samples_dropped > 0
    assert record.extra["store_refused"] == "HTTP 401: no tenant"
    errors = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert errors == [
        f"perfstack: error: --remote-write-url {write_url}: the store refused writes "
        f"(HTTP 401: no tenant); {record.samples_dropped} samples dropped, counted in the run "
        "record's samples_dropped"
    ]
