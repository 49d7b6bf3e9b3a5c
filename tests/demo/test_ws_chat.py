"""WebSocket /ws/chat on a real target: ids echoed, typing delay, connection cap, stall."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import pytest
import websockets
from websockets.exceptions import InvalidStatus

from tests.fixtures.demo_target import DemoTarget
from tests.helpers import wait_until


async def round_trips(url: str, n: int) -> list[float]:
    result = []
    async with websockets.connect(url) as ws:
        for number in range(n):
            started = time.perf_counter()
            await ws.send(json.dumps({"id": number, "text": "hi"}))
            reply = json.loads(await ws.recv())
            result.append(time.perf_counter() - started)
            assert reply["id"] == number
    return result


def test_replies_carry_the_message_id_and_text(demo_target: DemoTarget) -> None:
    async def exchange() -> list[dict[str, Any]]:
        async with websockets.connect(demo_target.ws_url) as ws:
            for number in range(20):
                await ws.send(json.dumps({"id": f"m-{number}", "text": f"hello {number}"}))
            return [json.loads(await ws.recv()) for _ in range(20)]

    before = time.time()
    replies = asyncio.run(exchange())
    assert sorted(r["id"] for r in replies) == sorted(f"m-{n}" for n in range(20))
    for reply in replies:
        assert reply["echo"] == f"hello {reply['id'].removeprefix('m-')}"
        assert before - 1 <= reply["ts"] <= time.time() + 1


def test_other_frames_are_echoed_verbatim(demo_target: DemoTarget) -> None:
    async def exchange() -> list[str | bytes]:
        async with websockets.connect(demo_target.ws_url) as ws:
            answers: list[str | bytes] = []
            frames: list[str | bytes] = ["plain text", '{"no_id": 1}', "[1, 2]", b"\x00\x01binary"]
            for frame in frames:
                await ws.send(frame)
                answers.append(await ws.recv())
            return answers

    assert asyncio.run(exchange()) == ["plain text", '{"no_id": 1}', "[1, 2]", b"\x00\x01binary"]


def test_typing_delay_shows_up_in_every_round_trip(
    demo_target_factory: Callable[..., DemoTarget],
) -> None:
    target = demo_target_factory()
    baseline = asyncio.run(round_trips(target.ws_url, 10))
    target.set_knobs(ws_typing_delay_ms=200)
    delayed = asyncio.run(round_trips(target.ws_url, 10))
    assert min(delayed) >= 0.200
    increase = statistics.median(delayed) - statistics.median(baseline)
    assert 0.200 * 0.9 <= increase <= 0.200 * 3, (baseline, delayed)


def test_typing_delay_applies_per_message_not_queued(
    demo_target_factory: Callable[..., DemoTarget],
) -> None:
    target = demo_target_factory(ws_typing_delay_ms=300)

    async def burst() -> float:
        async with websockets.connect(target.ws_url) as ws:
            started = time.perf_counter()
            for number in range(5):
                await ws.send(json.dumps({"id": number, "text": "x"}))
            for _ in range(5):
                await ws.recv()
            return time.perf_counter() - started

    # Queued replies would take 5 x 300 ms; concurrent ones about 300 ms.
    assert 0.300 <= asyncio.run(burst()) < 5 * 0.300


def test_connection_cap_refuses_the_next_connection(
    demo_target_factory: Callable[..., DemoTarget],
) -> None:
    target = demo_target_factory(ws_max_connections=3)

    async def scenario() -> None:
        open_ones = [await websockets.connect(target.ws_url) for _ in range(3)]
        with pytest.raises(InvalidStatus) as refused:
            await websockets.connect(target.ws_url)
        assert refused.value.response.status_code == 403
        await open_ones.pop().close()
        await asyncio.to_thread(
            wait_until, lambda: target.get_knobs()["ws_connections_open"] == 2, 5
        )
        open_ones.append(await websockets.connect(target.ws_url))  # room again
        for ws in open_ones:
            await ws.close()

    asyncio.run(scenario())
    metrics = target.metrics_text()
    assert 'demo_ws_connections_total{result="refused"} 1.0' in metrics
    assert 'demo_ws_connections_total{result="accepted"} 4.0' in metrics


def test_connection_cap_changes_at_runtime(demo_target_factory: Callable[..., DemoTarget]) -> None:
    target = demo_target_factory()
    target.set_knobs(ws_max_connections=1)

    async def scenario() -> None:
        first = await websockets.connect(target.ws_url)
        with pytest.raises(InvalidStatus):
            await websockets.connect(target.ws_url)
        await asyncio.to_thread(target.set_knobs, ws_max_connections=0)
        second = await websockets.connect(target.ws_url)
        await first.close()
        await second.close()

    asyncio.run(scenario())


def test_stall_holds_replies_on_open_connections(
    demo_target_factory: Callable[..., DemoTarget],
) -> None:
    target = demo_target_factory()

    async def scenario() -> None:
        async with websockets.connect(target.ws_url) as ws:
            await asyncio.to_thread(target.set_knobs, stall_seconds=30)
            await ws.send(json.dumps({"id": 1, "text": "anyone?"}))
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(ws.recv(), timeout=0.5)
            await asyncio.to_thread(target.set_knobs, stall_seconds=0)
            reply = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
            assert reply["id"] == 1

    asyncio.run(scenario())


def test_cap_is_exact_under_simultaneous_connects(
    demo_target_factory: Callable[..., DemoTarget],
) -> None:
    target = demo_target_factory(ws_max_connections=40)

    async def scenario() -> tuple[int, int]:
        attempts = await asyncio.gather(
            *(websockets.connect(target.ws_url) for _ in range(50)), return_exceptions=True
        )
        accepted = [a for a in attempts if not isinstance(a, BaseException)]
        refused = [a for a in attempts if isinstance(a, InvalidStatus)]
        for ws in accepted:
            await ws.close()
        return len(accepted), len(refused)

    assert asyncio.run(scenario()) == (40, 10)
