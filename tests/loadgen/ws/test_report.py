from __future__ import annotations

from loadgen.ws.config import RunConfig, SessionConfig
from loadgen.ws.driver import DriveResult
from loadgen.ws.report import build_record, mode_result, summary, target_label
from loadgen.ws.tally import WsTally
from perfstack.core.identity import RunIdentity


def test_target_label_drops_path_query_and_credentials() -> None:
    assert target_label("ws://user:pw@127.0.0.1:8000/ws/chat?token=x") == "ws://127.0.0.1:8000"


def test_throughput_counts_only_the_hold_after_the_ramp() -> None:
    tally = WsTally()
    tally.messages_received, tally.messages_sent = 1500, 1510
    drive = DriveResult(
        ramp_end_elapsed=1.0, elapsed=11.0, received_at_ramp_end=500, sent_at_ramp_end=505
    )
    run = RunConfig(SessionConfig(url="ws://127.0.0.1:1/"), mode="throughput")
    result = mode_result(run, tally, drive)
    assert result["messages_per_second"] == 100.0 and result["sent_per_second"] == 100.5


def test_typing_delay_difference() -> None:
    tally = WsTally()
    for _ in range(10):
        tally.rtt.observe(0.21)
    run = RunConfig(SessionConfig(url="ws://127.0.0.1:1/"), mode="typing-delay", expected_delay=0.2)
    result = mode_result(run, tally, DriveResult())
    assert abs(result["difference_seconds"] - 0.01) < 0.0002
    assert abs(result["relative_difference"] - 0.05) < 0.001


def test_record_carries_ws_fields_for_the_common_loader() -> None:
    tally = WsTally()
    tally.opened(0.002)
    tally.messages_sent, tally.reply_timeouts = 10, 2
    tally.rtt.observe(0.1)
    tally.error("read", "connection_lost")
    run = RunConfig(SessionConfig(url="ws://127.0.0.1:1/x"))
    ws = summary(run, tally, DriveResult())
    identity = RunIdentity("t-1", "adhoc", "ws", "host:1")
    record = build_record(identity, ws, tally, 100.0, 110.0)
    assert record.generator == "ws" and record.target == "ws://127.0.0.1:1"
    assert record.requests == 10 and record.failures == 3 and record.users == 1
    assert record.errors_by_type == {"read:connection_lost": 1, "reply_timeout": 2}
    assert record.names["ws_message"].failures == 2 and record.percentiles["p50"] > 0.09
    assert record.extra["ws"]["errors"] == {"read": {"connection_lost": 1}}
    assert record.to_json()["duration"] == 10.0
