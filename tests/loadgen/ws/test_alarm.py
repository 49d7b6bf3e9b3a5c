from __future__ import annotations

import asyncio

import pytest

from loadgen.ws.alarm import Alarm


async def waiter(alarm_box: list[Alarm], deadlines: list[float], woken: list[float]) -> None:
    """Waits 'in recv' (an unset event); records each wake-up by the alarm."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    alarm = Alarm(loop, task)
    alarm_box.append(alarm)
    never = asyncio.Event()
    for deadline in deadlines:
        alarm.arm(loop.time() + deadline)
        alarm.waiting = True
        try:
            await never.wait()
        except asyncio.CancelledError:
            if not alarm.consume():
                raise
            woken.append(loop.time())
        finally:
            alarm.waiting = False
    alarm.disarm()


def test_wakes_at_the_deadline_and_keeps_one_handle() -> None:
    async def main() -> tuple[list[float], float]:
        woken: list[float] = []
        start = asyncio.get_running_loop().time()
        await waiter([], [0.05, 0.05], woken)
        return woken, start

    woken, start = asyncio.run(main())
    assert len(woken) == 2 and woken[0] - start >= 0.05 and woken[1] - woken[0] >= 0.05


def test_arming_later_keeps_the_earlier_wake_up() -> None:
    async def main() -> list[float]:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        alarm = Alarm(loop, task)
        alarm.arm(loop.time() + 0.05)
        alarm.arm(loop.time() + 10)  # later: the 0.05 s handle stays
        alarm.waiting = True
        start = loop.time()
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError:
            assert alarm.consume()
        return [loop.time() - start]

    assert asyncio.run(main())[0] < 0.5


def test_an_outside_cancel_is_never_swallowed() -> None:
    async def main() -> None:
        boxes: list[Alarm] = []
        task = asyncio.create_task(waiter(boxes, [10.0], []))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())


def test_an_outside_cancel_together_with_the_alarm_still_ends_the_task() -> None:
    async def main() -> None:
        boxes: list[Alarm] = []
        task = asyncio.create_task(waiter(boxes, [0.02, 10.0], []))
        await asyncio.sleep(0.01)
        loop = asyncio.get_running_loop()
        # fire the alarm and cancel from outside in the same loop iteration
        loop.call_at(boxes[0]._when, task.cancel)
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 2)

    asyncio.run(main())
