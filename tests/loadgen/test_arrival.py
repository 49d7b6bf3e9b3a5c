"""The arrival-rate schedule: intended start times, the exact split across generator
processes, rate parsing, and the 10 s honesty window."""

from __future__ import annotations

import pytest

from loadgen.arrival import ArrivalSchedule, ArrivalStage, parse_rate, split_evenly, worst_shortfall


@pytest.mark.parametrize(
    ("text", "per_second"),
    [("200/s", 200.0), ("12000/m", 200.0), ("12000/min", 200.0), ("5/ms", 5000.0),
     ("7200/h", 2.0), ("0.5/s", 0.5), ("50", 50.0), (50, 50.0), (" 1e2 / s ", 100.0),
     ("-3/s", -3.0), ("0/s", 0.0)],
)  # fmt: skip
def test_parse_rate(text, per_second):
    assert parse_rate(text) == pytest.approx(per_second)


@pytest.mark.parametrize("text", ["fast", "/s", "5/d", "", True, None, "5/s/s"])
def test_parse_rate_refuses_what_is_not_a_rate(text):
    with pytest.raises(ValueError, match="expected a rate like 200/s"):
        parse_rate(text)


def test_constant_rate_slots_are_evenly_spaced():
    schedule = ArrivalSchedule((ArrivalStage(2.0, 50.0, 50.0),))
    offsets = list(schedule.offsets())
    assert schedule.total == len(offsets) == 100
    assert offsets[:3] == pytest.approx([0.0, 0.02, 0.04])
    assert offsets[-1] == pytest.approx(1.98)


def test_ramping_rate_follows_the_integral_of_the_rate():
    # 0 -> 100/s over 10 s: N(t) = 5 t^2, so slot i is due at sqrt(i / 5)
    schedule = ArrivalSchedule((ArrivalStage(10.0, 100.0, 0.0),))
    offsets = list(schedule.offsets())
    assert schedule.total == len(offsets) == 500
    for index in (1, 20, 125, 499):
        assert offsets[index] == pytest.approx((index / 5) ** 0.5)
    # a second, constant stage continues where the ramp's arrivals ended
    two = ArrivalSchedule((ArrivalStage(10.0, 100.0, 0.0), ArrivalStage(1.0, 100.0, 100.0)))
    assert list(two.offsets())[500:502] == pytest.approx([10.0, 10.01])


@pytest.mark.parametrize("parts", [1, 2, 3, 7])
def test_parts_split_the_one_schedule_exactly(parts):
    schedule = ArrivalSchedule((ArrivalStage(3.0, 10.0, 500.0), ArrivalStage(2.0, 333.0, 333.0)))
    whole = list(schedule.offsets())
    shares = [list(schedule.offsets(part, parts)) for part in range(parts)]
    assert sorted(offset for share in shares for offset in share) == whole
    assert [len(share) for share in shares] == [
        split_evenly(schedule.total, parts, part) for part in range(parts)
    ]
    # over any prefix of the run, the parts are at most one slot apart
    for moment in (0.5, 1.3, 2.9, 4.2):
        counts = [schedule.count_before(moment, part, parts) for part in range(parts)]
        assert max(counts) - min(counts) <= 1
        assert sum(counts) == schedule.count_before(moment)


def test_worst_shortfall_over_any_10_second_window():
    scheduled = {second: 100 for second in range(30)}
    started = dict(scheduled)
    assert worst_shortfall(scheduled, started) == 0.0
    started[12] = 40  # 60 missing in one second: 6% of every window holding it
    assert worst_shortfall(scheduled, started) == pytest.approx(0.06)
    # started late but within the window: not short
    late = dict(scheduled)
    late[20], late[21] = 50, 150  # half of second 20 started a second late
    assert worst_shortfall(scheduled, late) == pytest.approx(0.05)  # the window [11, 21)
    # a run shorter than the window is judged as one window
    assert worst_shortfall({0: 10, 1: 10}, {0: 10, 1: 8}) == pytest.approx(0.1)
    assert worst_shortfall({}, {}) == 0.0
