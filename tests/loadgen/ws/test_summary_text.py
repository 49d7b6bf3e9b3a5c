from __future__ import annotations

from types import SimpleNamespace

from loadgen.ws.config import RunConfig, SessionConfig
from loadgen.ws.driver import DriveResult
from loadgen.ws.report import build_record, summary
from loadgen.ws.summary_text import render_summary
from loadgen.ws.tally import WsTally
from perfstack.core.identity import RunIdentity


def test_summary_lines() -> None:
    tally = WsTally()
    tally.opened(0.0042)
    tally.messages_sent, tally.messages_received = 5, 4
    for _ in range(4):
        tally.rtt.observe(0.2)
    tally.error("connect", "handshake_401")
    run = RunConfig(
        SessionConfig(url="ws://127.0.0.1:1/x"), mode="typing-delay", expected_delay=0.2
    )
    ws = summary(run, tally, DriveResult(elapsed=3.0))
    record = build_record(RunIdentity("t-9", "adhoc", "ws", "h:1"), ws, tally, 0.0, 3.0)
    text = render_summary(
        SimpleNamespace(summary=ws, identity=record, record=record, record_path=None)
    )
    lines = text.splitlines()
    assert lines[0].startswith("testid t-9  mode typing-delay  target ws://127.0.0.1:1  3.0s")
    assert "messages: 5 sent, 4 received; rtt p50 200.1ms" in lines[2]
    assert "errors (connect): handshake_401 1" in text
    assert "result: expected_delay_seconds=0.2, measured_p50_seconds=0.2001" in text
