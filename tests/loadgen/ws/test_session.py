"""One slot's behaviour against small local servers: matching, timeouts, unmatched, reconnect."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

from loadgen.ws.config import SessionConfig
from loadgen.ws.session import SlotContext, run_slot
from loadgen.ws.tally import WsTally
from loadgen.ws.thinktime import ThinkTime
from tests.helpers import self_signed_certificate


def run_slots(config: SessionConfig, seconds: float, slots: int = 1) -> WsTally:
    tally = WsTally()

    async def main() -> None:
        ctx = SlotContext(config, tally)
        tasks = [asyncio.create_task(run_slot(i, ctx)) for i in range(slots)]
        await asyncio.wait(tasks, timeout=seconds)
        ctx.stopping = True
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks, timeout=5)

    asyncio.run(main())
    return tally


def test_every_reply_is_matched_by_id_and_timed(local_server: Any) -> None:
    server = local_server()
    config = SessionConfig(url=server.url, think_time=ThinkTime.parse("10ms"))
    tally = run_slots(config, 1.0, slots=3)
    assert tally.sessions == 3
    assert tally.messages_received > 20
    assert tally.rtt.count == tally.messages_received
    assert tally.messages_sent - tally.messages_received <= 3  # at most one in flight per slot
    assert tally.unmatched == tally.reply_timeouts == 0
    assert tally.disconnects_expected == 3 and tally.disconnects_unexpected == 0
    assert tally.connections_open == 0


def test_echo_matcher_and_byte_counts(local_server: Any) -> None:
    server = local_server(behaviour="echo")
    config = SessionConfig(
        url=server.url,
        template="hello {id} {payload}",
        matcher="echo",
        payload_size=50,
        think_time=ThinkTime(),
    )
    tally = run_slots(config, 0.5)
    assert tally.rtt.count == tally.messages_received > 10
    # every message is "hello " + id + " " + 50 filler characters; echoed back unchanged
    assert tally.bytes_received >= tally.messages_received * 57
    assert tally.bytes_sent - tally.bytes_received == len(f"hello 0-{tally.messages_sent} ") + 50


def test_non_ascii_text_counts_utf8_bytes_both_ways(local_server: Any) -> None:
    server = local_server(behaviour="echo")
    template = "héllo → {id} {payload}"
    config = SessionConfig(
        url=server.url, template=template, matcher="echo", payload_size=5, think_time=ThinkTime()
    )
    tally = run_slots(config, 0.5)
    assert tally.rtt.count == tally.messages_received > 10
    # echoed unchanged, so the two sides differ only by a message still in flight at the end
    in_flight = tally.messages_sent - tally.messages_received
    last = template.replace("{id}", f"0-{tally.messages_sent}").replace("{payload}", "x" * 5)
    assert tally.bytes_sent - tally.bytes_received == in_flight * len(last.encode("utf-8"))


def test_window_keeps_several_messages_in_flight(local_server: Any) -> None:
    server = local_server(behaviour="slow_reply")
    single = run_slots(SessionConfig(url=server.url, think_time=ThinkTime()), 1.0)
    windowed = run_slots(SessionConfig(url=server.url, think_time=ThinkTime(), window=4), 1.0)
    # the server answers sequentially per connection, so a window of 4 cannot go 4x faster,
    # but more than one message must have been outstanding at once (sent before replies)
    assert single.messages_sent - single.messages_received <= 1
    assert windowed.messages_sent - windowed.messages_received > 1


def test_missing_replies_become_timeouts(local_server: Any) -> None:
    server = local_server(behaviour="never_reply")
    config = SessionConfig(url=server.url, think_time=ThinkTime(), window=2, reply_timeout=0.1)
    tally = run_slots(config, 0.75)
    assert tally.messages_received == 0
    assert tally.reply_timeouts >= 8  # 2 in flight per 0.1 s for ~0.7 s
    assert tally.messages_sent - tally.reply_timeouts <= 2  # the rest were in flight at the end


def test_replies_matching_nothing_are_counted(local_server: Any) -> None:
    server = local_server(behaviour="wrong_ids")
    config = SessionConfig(url=server.url, think_time=ThinkTime(), reply_timeout=0.1)
    tally = run_slots(config, 0.5)
    assert tally.unmatched == tally.messages_received >= 4
    assert tally.rtt.count == 0


def test_server_close_is_unexpected_and_reconnect_recovers(local_server: Any) -> None:
    server = local_server(behaviour="close_after_two")
    config = SessionConfig(
        url=server.url,
        think_time=ThinkTime(),
        reconnect=True,
        backoff_initial=0.02,
        backoff_max=0.05,
    )
    tally = run_slots(config, 1.0)
    assert tally.disconnects_unexpected >= 3
    assert tally.reconnects >= 3
    assert tally.sessions == tally.reconnects + 1
    closed = (
        tally.errors[("read", "closed_by_server")] + tally.errors[("write", "closed_by_server")]
    )
    assert closed == tally.disconnects_unexpected  # write: the close arrived as we sent
    assert tally.close_codes[1001] == tally.disconnects_unexpected


def test_without_reconnect_the_slot_ends_after_a_server_close(local_server: Any) -> None:
    server = local_server(behaviour="close_at_once")
    tally = run_slots(SessionConfig(url=server.url), 0.5)
    assert tally.sessions == 1 and tally.disconnects_unexpected == 1 and tally.reconnects == 0


def test_session_duration_closes_cleanly_and_starts_a_new_session(local_server: Any) -> None:
    server = local_server()
    config = SessionConfig(url=server.url, session_duration=0.2, think_time=ThinkTime.parse("20ms"))
    tally = run_slots(config, 0.9)
    assert 4 <= tally.sessions <= 5
    assert tally.disconnects_unexpected == 0
    assert tally.disconnects_expected == tally.sessions
    assert not tally.errors


def test_headers_token_and_subprotocol_reach_the_server(local_server: Any, tmp_path: Path) -> None:
    server = local_server(record=tmp_path / "seen.jsonl")
    config = SessionConfig(
        url=server.url,
        headers=(("X-Team", "perf"),),
        token="s3cret",
        subprotocols=("chat.v1",),
        send_messages=False,
    )
    run_slots(config, 0.2)
    seen = server.seen()
    headers = seen[0]["headers"]
    assert headers["X-Team"] == "perf"
    assert headers["Authorization"] == "Bearer s3cret"
    assert seen[1] == {"subprotocol": "chat.v1"}


def test_refused_handshake_is_classified_with_its_status(local_server: Any) -> None:
    server = local_server(reject_status=401)
    tally = run_slots(SessionConfig(url=server.url), 0.3)
    assert tally.errors == {("connect", "handshake_401"): 1}
    assert tally.sessions == 0
    retrying = run_slots(
        dataclasses.replace(
            SessionConfig(url=server.url), reconnect=True, backoff_initial=0.02, backoff_max=0.02
        ),
        0.3,
    )
    assert retrying.errors[("connect", "handshake_401")] >= 5


def test_wss_with_a_private_certificate_connects_only_when_its_ca_file_is_given(
    local_server: Any, tmp_path: Path
) -> None:
    cert, key = self_signed_certificate(tmp_path)
    server = local_server(tls=(cert, key))
    assert server.url.startswith("wss://127.0.0.1:")

    untrusted = run_slots(SessionConfig(url=server.url, think_time=ThinkTime.parse("10ms")), 0.5)
    assert untrusted.sessions == 0 and untrusted.messages_received == 0
    assert sum(untrusted.errors.values()) >= 1
    assert {error for _, error in untrusted.errors} == {"tls"}

    trusted = run_slots(
        SessionConfig(url=server.url, think_time=ThinkTime.parse("10ms"), ca_file=str(cert)), 1.0
    )
    assert trusted.sessions == 1 and trusted.messages_received > 10
    assert trusted.rtt.count == trusted.messages_received
    assert not trusted.errors
