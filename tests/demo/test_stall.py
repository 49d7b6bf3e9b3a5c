"""The stall: waiters are held until the deadline, or released at once when cleared."""

from __future__ import annotations

import asyncio

from demo.stall import Stall


def test_no_stall_does_not_wait() -> None:
    stall = Stall()
    assert stall.remaining() == 0
    asyncio.run(asyncio.wait_for(stall.wait_over(), timeout=1))


def test_waiters_are_held_then_released_when_cleared() -> None:
    async def scenario() -> None:
        stall = Stall()
        stall.start(60)
        assert 59 < stall.remaining() <= 60
        waiter = asyncio.create_task(stall.wait_over())
        await asyncio.sleep(0.05)
        assert not waiter.done()
        stall.start(0)
        await asyncio.wait_for(waiter, timeout=1)

    asyncio.run(scenario())


def test_stall_ends_by_itself_on_the_clock() -> None:
    now = [100.0]
    stall = Stall(clock=lambda: now[0])
    stall.start(5)
    assert stall.remaining() == 5
    now[0] = 104.0
    assert stall.remaining() == 1
    now[0] = 106.0
    assert stall.remaining() == 0
