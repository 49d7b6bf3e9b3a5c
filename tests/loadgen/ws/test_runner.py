"""End to end against the demo target and a real Prometheus: what the generator counted is
what Prometheus stores, and faults on the target are classified while the run goes on."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from loadgen.ws.config import RunConfig, SessionConfig
from loadgen.ws.runner import WsProcess, WsRunOptions, attach_ws_summary, run_ws
from loadgen.ws.thinktime import ThinkTime
from perfstack.core.record import RunRecord, load_record
from tests.helpers import prom_scalar, wait_until


def last(stack: Any, expr: str) -> float | None:
    return prom_scalar(stack.prometheus_url, f"last_over_time({expr}[10m])")


def test_prometheus_holds_exactly_the_generators_counts(
    stack: Any, demo_target: Any, tmp_path: Path
) -> None:
    run = RunConfig(
        SessionConfig(url=demo_target.ws_url, think_time=ThinkTime.parse("5ms"), window=2),
        connections=8,
        ramp=40,
        duration=2.5,
        scenario="wscounts",
    )
    outcome = run_ws(
        WsRunOptions(
            run, remote_write_url=stack.remote_write_url, state_dir=tmp_path, push_interval=0.5
        )
    )
    assert outcome.pushed_ok is True
    tally, testid = outcome.tally, outcome.identity.testid
    assert tally.messages_received > 100 and tally.rtt.count == tally.messages_received
    selector = f'{{testid="{testid}",generator="ws"}}'
    expected = {
        "loadgen_ws_messages_sent_total": tally.messages_sent,
        "loadgen_ws_messages_received_total": tally.messages_received,
        "loadgen_ws_message_rtt_seconds_count": tally.rtt.count,
        "loadgen_ws_bytes_sent_total": tally.bytes_sent,
        "loadgen_ws_sessions_total": 8,
        "loadgen_ws_connect_duration_seconds_count": 8,
    }
    wait_until(lambda: last(stack, "loadgen_ws_messages_sent_total" + selector) is not None)
    stored = {name: last(stack, name + selector) for name in expected}
    assert stored == {name: float(value) for name, value in expected.items()}
    p50 = last(stack, f'loadgen_ws_message_rtt_run_seconds{{testid="{testid}",quantile="0.5"}}')
    record = load_record(tmp_path, testid)
    assert p50 == record.percentiles["p50"] == tally.rtt.percentiles()["p50"]
    assert record.generator == "ws" and record.requests == tally.messages_sent
    assert record.extra["ws"]["messages"]["received"] == tally.messages_received
    assert record.end is not None and record.end > record.start


@pytest.mark.exclusive  # a p50 within 10 ms of the server's delay: other tests' CPU would add
def test_typing_delay_shows_in_the_round_trip(demo_target_factory: Any) -> None:
    target = demo_target_factory(ws_typing_delay_ms=200)
    run = RunConfig(
        SessionConfig(url=target.ws_url, think_time=ThinkTime()),
        mode="typing-delay",
        connections=10,
        ramp=100,
        duration=2.0,
        expected_delay=0.2,
    )
    outcome = run_ws(WsRunOptions(run))
    result = outcome.summary["result"]
    assert outcome.tally.rtt.count >= 50  # 10 connections x ~9 round trips
    assert abs(result["relative_difference"]) < 0.05, result
    assert result["measured_p50_seconds"] > 0.2  # a server delay cannot be beaten


def test_a_stalled_server_produces_timeouts_then_recovers(demo_target_factory: Any) -> None:
    target = demo_target_factory()
    run = RunConfig(
        SessionConfig(url=target.ws_url, think_time=ThinkTime.parse("20ms"), reply_timeout=0.3),
        connections=4,
        ramp=100,
        duration=3.0,
    )
    timer = threading.Timer(0.8, lambda: target.set_knobs(stall_seconds=1.0))
    timer.start()
    try:
        outcome = run_ws(WsRunOptions(run))
    finally:
        timer.cancel()
    tally = outcome.tally
    # one message in flight per connection during the stall: each times out once per 0.3 s
    assert tally.reply_timeouts >= 4
    assert tally.disconnects_unexpected == 0
    assert outcome.record.exit_status == "ok"
    assert outcome.record.errors_by_type["reply_timeout"] == tally.reply_timeouts
    # late replies arrive after the stall and match nothing any more
    assert tally.unmatched >= 1
    assert tally.rtt.count > tally.reply_timeouts  # replies flowed before and after the stall


def test_a_capped_server_refuses_handshakes_and_they_are_classified(
    demo_target_factory: Any, tmp_path: Path
) -> None:
    target = demo_target_factory(ws_max_connections=3)
    run = RunConfig(
        SessionConfig(url=target.ws_url, send_messages=False), connections=6, ramp=100, duration=1.0
    )
    outcome = run_ws(WsRunOptions(run, state_dir=tmp_path))
    assert outcome.tally.sessions == 3
    assert dict(outcome.tally.errors) == {("connect", "handshake_403"): 3}
    record = load_record(tmp_path, outcome.identity.testid)
    assert record.errors_by_type == {"connect:handshake_403": 3}
    assert record.extra["ws"]["errors"] == {"connect": {"handshake_403": 3}}


def test_a_server_restart_mid_run_is_survived(demo_target_factory: Any, tmp_path: Path) -> None:
    target = demo_target_factory()
    run = RunConfig(
        SessionConfig(
            url=target.ws_url,
            think_time=ThinkTime.parse("50ms"),
            reconnect=True,
            backoff_initial=0.1,
            backoff_max=0.3,
        ),
        mode="stability",
        connections=5,
        ramp=100,
        duration=6.0,
    )

    def restart() -> None:
        target.kill()
        target.restart()

    timer = threading.Timer(1.0, restart)
    timer.start()
    try:
        outcome = run_ws(WsRunOptions(run, state_dir=tmp_path))
    finally:
        timer.join()
    tally = outcome.tally
    assert tally.disconnects_unexpected == 5
    assert tally.reconnects == 5
    assert tally.sessions == 10
    assert outcome.summary["result"]["unexpected_disconnects"] == 5
    lost = sum(n for (phase, _), n in tally.errors.items() if phase in ("read", "write"))
    assert lost == 5
    assert tally.errors[("connect", "refused")] >= 1  # while the target was down
    assert outcome.record.exit_status == "ok"
    assert load_record(tmp_path, outcome.identity.testid).extra["ws"]["reconnects"] == 5


def test_child_process_runs_beside_another_generator_under_one_testid(
    stack: Any, demo_target: Any, tmp_path: Path
) -> None:
    scenario = tmp_path / "mixed.yaml"
    scenario.write_text(
        "name: mixed\n"
        "stages: [{kind: hold, duration: 30s, users: 2}]\n"  # the HTTP part, not ours
        "websocket:\n"
        f"  url: {demo_target.ws_url}\n"
        "  connections: 3\n"
        "  message: {think_time: 20ms}\n"
    )
    child = WsProcess.start(
        scenario,
        testid="mixed-test-1",
        remote_write_url=stack.remote_write_url,
        duration=30,
        log_path=tmp_path / "ws.log",
    )
    selector = '{testid="mixed-test-1",generator="ws",scenario="mixed"}'
    wait_until(
        lambda: (last(stack, "loadgen_ws_messages_received_total" + selector) or 0) > 20, timeout=15
    )
    summary = child.stop()
    assert child.returncode == 130, (tmp_path / "ws.log").read_text()
    assert summary is not None and summary["testid"] == "mixed-test-1"
    assert summary["exit_status"] == "interrupted" and summary["connections"]["sessions"] == 3
    sent = wait_until(lambda: last(stack, "loadgen_ws_messages_sent_total" + selector))
    assert sent == summary["messages"]["sent"]
    record = RunRecord(
        testid="mixed-test-1", scenario="mixed", generator="locust", target="x", start=0.0
    )
    assert attach_ws_summary(record, summary).extra["ws"]["messages"]["sent"] == sent


def test_a_caller_can_end_the_run_early_and_keep_what_was_measured(demo_target: Any) -> None:
    stop = threading.Event()
    run = RunConfig(
        SessionConfig(url=demo_target.ws_url, think_time=ThinkTime.parse("10ms")),
        connections=2,
        ramp=100,
        duration=60.0,
    )
    timer = threading.Timer(0.7, stop.set)
    timer.start()
    outcome = run_ws(WsRunOptions(run, stop_event=stop))
    assert outcome.summary["elapsed_seconds"] < 5
    assert outcome.record.exit_status == "ok" and outcome.tally.rtt.count > 10
    assert outcome.tally.disconnects_expected == 2 and outcome.tally.connections_open == 0


def test_a_target_that_is_down_still_ends_with_a_record(tmp_path: Path) -> None:
    from perfstack.testing import free_port

    url = f"ws://127.0.0.1:{free_port()}/ws/chat"
    run = RunConfig(
        SessionConfig(url=url, reconnect=True, backoff_initial=0.05, backoff_max=0.1),
        mode="stability",
        connections=3,
        ramp=100,
        duration=0.8,
    )
    outcome = run_ws(WsRunOptions(run, state_dir=tmp_path))
    record = load_record(tmp_path, outcome.identity.testid)
    assert record.exit_status == "ok" and record.users == 0 and record.requests == 0
    refused = record.errors_by_type["connect:refused"]
    assert refused >= 3 * 2  # every slot kept retrying (backoff 25-100 ms) through the run
    connections = record.extra["ws"]["connections"]
    # an attempt still connecting when the run stops is neither refused nor opened
    assert connections["attempts"] == refused + connections["abandoned_at_stop"]
    assert record.percentiles == {}


def test_beside_another_generators_record_the_summary_joins_it(
    demo_target: Any, tmp_path: Path
) -> None:
    from perfstack.core.record import write_record

    http = RunRecord(
        testid="both-1",
        scenario="mixed",
        generator="locust",
        target="http://x",
        start=1.0,
        end=2.0,
        requests=500,
    )
    write_record(tmp_path, http)
    run = RunConfig(
        SessionConfig(url=demo_target.ws_url, think_time=ThinkTime.parse("10ms")),
        connections=2,
        ramp=100,
        duration=0.5,
        scenario="mixed",
    )
    outcome = run_ws(WsRunOptions(run, testid="both-1", state_dir=tmp_path))
    record = load_record(tmp_path, "both-1")
    assert record.generator == "locust" and record.requests == 500
    assert record.extra["ws"]["messages"]["sent"] == outcome.tally.messages_sent > 0


def test_connection_limit_finds_the_demo_targets_cap(demo_target_factory: Any) -> None:
    target = demo_target_factory(ws_max_connections=40)
    run = RunConfig(
        SessionConfig(url=target.ws_url, send_messages=False),
        mode="connection-limit",
        connections=200,
        ramp=200,
        duration=20,
        settle=0.5,
    )
    outcome = run_ws(WsRunOptions(run))
    result = outcome.summary["result"]
    assert result["held_stable"] == 40 and result["ramp_stopped_by"] == "error_ratio"
    assert set(outcome.tally.errors) == {("connect", "handshake_403")}
