from __future__ import annotations

import asyncio
from typing import Any

from loadgen.ws.config import RunConfig, SessionConfig
from loadgen.ws.driver import Driver, DriveResult
from loadgen.ws.session import SlotContext
from loadgen.ws.tally import WsTally


def drive(run: RunConfig) -> tuple[DriveResult, WsTally]:
    tally = WsTally()

    async def main() -> DriveResult:
        return await Driver(run, SlotContext(run.session, tally)).drive()

    return asyncio.run(main()), tally


def test_ramp_opens_connections_at_the_requested_rate(local_server: Any) -> None:
    server = local_server()
    run = RunConfig(
        SessionConfig(url=server.url, send_messages=False), connections=20, ramp=40, duration=1.0
    )
    result, tally = drive(run)
    assert result.ramp_stopped_by == "connections_reached"
    assert 0.4 <= result.ramp_end_elapsed <= 0.7  # 20 connections at 40/s: the last at ~0.475 s
    assert result.slots_started == 20 and tally.sessions == 20 and tally.peak_open == 20
    assert tally.connections_open == 0 and tally.disconnects_expected == 20


def test_connection_limit_finds_the_servers_cap(local_server: Any) -> None:
    server = local_server(max_connections=60)
    run = RunConfig(
        SessionConfig(url=server.url, send_messages=False),
        mode="connection-limit",
        connections=500,
        ramp=200,
        duration=10.0,
        settle=0.5,
    )
    result, tally = drive(run)
    assert result.ramp_stopped_by == "error_ratio"
    assert result.held_stable == 60
    assert tally.peak_open == 60
    assert tally.errors[("connect", "handshake_503")] >= 1
    assert result.elapsed < 3.0  # stopped soon after the cap, not at N or the duration


def test_connection_limit_reports_n_when_the_server_holds_all(local_server: Any) -> None:
    server = local_server()
    run = RunConfig(
        SessionConfig(url=server.url, send_messages=False),
        mode="connection-limit",
        connections=30,
        ramp=200,
        duration=10.0,
        settle=0.3,
    )
    result, _ = drive(run)
    assert result.ramp_stopped_by == "connections_reached" and result.held_stable == 30


def test_duration_cuts_a_slow_ramp_short(local_server: Any) -> None:
    server = local_server()
    run = RunConfig(
        SessionConfig(url=server.url, send_messages=False), connections=100, ramp=10, duration=0.5
    )
    result, tally = drive(run)
    assert result.ramp_stopped_by == "duration"
    assert 4 <= result.slots_started <= 7 and tally.sessions == result.slots_started
