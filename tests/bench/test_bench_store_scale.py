from __future__ import annotations

import math
import os
import re
import signal
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import bench_store_scale
from bench_store_scale import (
    KINDS,
    Ramp,
    Sample,
    Step,
    cost_line,
    parse_args,
    percentile,
    ratio_line,
    run,
    step_counts,
)

from perfstack.testing import PrometheusProcess

TINY = ["--start", "2", "--max-generators", "4", "--step-seconds", "3", "--warmup", "0",
        "--names", "1", "--store-cpus", "0", "--pusher-processes", "2"]  # fmt: skip


def test_steps_multiply_up_to_the_cap_and_always_grow() -> None:
    assert step_counts(8, 2.0, 100) == [8, 16, 32, 64, 100]
    assert step_counts(1, 1.2, 4) == [1, 2, 3, 4]  # rounding never stalls the ramp
    assert step_counts(5, 2.0, 5) == [5]


def test_the_percentile_is_nearest_rank_and_nothing_completed_is_never_on_time() -> None:
    assert percentile([0.1, 0.2, 0.3, 0.4], 0.5) == 0.2
    assert percentile([float(v) for v in range(1, 201)], 0.99) == 198.0
    assert percentile([], 0.99) == math.inf


def step(**figures: float) -> Step:
    """A step of 4 generators x 100 series over 10 s, every push on time unless told."""
    made = Step(generators=4, series_per_generator=100, interval=1.0, window=10.0)
    made.pushes = 40
    made.completions = [0.01] * 40
    made.durations = [0.01] * 40
    made.acked_samples = int(figures.get("acked", 4000))
    made.first = Sample(at=0.0, samples=0.0, series=400.0, store_cpu=1.0, store_rss=1e8,
                        pusher_cpu=0.0)  # fmt: skip
    made.last = Sample(at=10.0, samples=figures.get("stored", 4000.0), series=400.0,
                       store_cpu=1.0 + figures.get("store_cpu", 0.9) * 10, store_rss=1e8,
                       pusher_cpu=figures.get("pusher_cpu", 0.1) * 10, load=3.5)  # fmt: skip
    return made


def test_a_step_whose_pushes_completed_in_time_and_were_counted_kept_up() -> None:
    made = step()
    assert made.problems() == []
    assert made.stored_per_second == made.offered_per_second == 400.0
    assert made.store_cpu == pytest.approx(0.9)


def test_late_failed_pending_or_uncounted_pushes_each_say_why_the_step_did_not_keep_up() -> None:
    late = step()
    late.completions = [0.01] * 30 + [1.5] * 10
    assert late.problems()[0] == "p99 push completed 1.50 s after its scheduled time > 1 s interval"
    pending = step()
    pending.pending = 3
    assert pending.problems()[0].startswith(
        "over 1% of the pushes due in the window had not completed one interval after it "
        "ended (3 of 43)"
    )
    failed = step()
    failed.errors = {"ConnectionRefusedError": 7, "HTTP 503: busy": 2}
    assert failed.problems()[0] == "9 of 40 pushes failed (most: ConnectionRefusedError x7)"
    uncounted = step(stored=2000.0)  # the window holds 10 pushes a generator: 1 of slack
    assert uncounted.problems() == ["the store counted 200 samples/s of the 400 acknowledged"]
    assert step(stored=3400.0).problems() == []  # 340 >= 0.9 x 400 - 40


def test_a_failed_step_names_an_idle_store_or_busy_pushers_as_a_doubt() -> None:
    idle_store = step(store_cpu=0.1)
    idle_store.pending = 5
    assert idle_store.problems()[-1] == (
        "the store used 0.10 of its 1 cores: was a core shared (load average 3.5)?"
    )
    busy_pushers = step(pusher_cpu=0.95)
    busy_pushers.pending = 5
    assert busy_pushers.pushers_saturated
    assert busy_pushers.problems()[-1].startswith("the pushers were behind (CPU 0.95 of 1 cores")
    late_loop = step()
    late_loop.loop_lags = [0.01] * 90 + [0.6] * 10
    late_loop.pending = 5
    assert late_loop.pushers_saturated
    assert "loop lag p99 0.60 s" in late_loop.problems()[-1]


def ramp(name: str, stored_per_second: list[float], failed_last: bool) -> Ramp:
    made = Ramp(name, "1", 100)
    for index, stored in enumerate(stored_per_second):
        made_step = step(stored=stored * 10, acked=int(stored * 10))
        made_step.generators = 2**index
        made_step.last.series = 100.0 * 2**index  # type: ignore[union-attr]
        made.steps.append(made_step)
    if failed_last:
        made.steps[-1].pending = 10
    else:
        made.stopped_by = "--max-generators reached"
    return made


def test_the_ratio_compares_the_largest_steps_that_kept_up_and_marks_floors() -> None:
    prometheus = ramp("prometheus", [100.0, 200.0, 400.0], failed_last=True)
    vm = ramp("victoria-metrics", [100.0, 200.0, 400.0, 800.0], failed_last=True)
    assert ratio_line({"prometheus": prometheus, "victoria-metrics": vm}) == (
        "ratio victoria-metrics / prometheus, max sustained at 1 s pushes: "
        "samples/s 2.00, series 2.00"
    )  # 400 (its third step; the fourth failed) against 200 (its second)
    capped = ramp("victoria-metrics", [100.0, 200.0, 400.0, 800.0], failed_last=False)
    assert "samples/s >= 4.00, series >= 4.00" in ratio_line(
        {"prometheus": prometheus, "victoria-metrics": capped}
    )
    assert ratio_line({"prometheus": prometheus}).startswith("no ratio")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--stores", "mimir"], "--stores: expected some of prometheus, victoria-metrics"),
        (["--step-seconds", "3", "--warmup", "2.5"], "must hold at least one --interval"),
        (["--factor", "1"], "--factor must be above 1"),
        (["--start", "16", "--max-generators", "8"], "--max-generators must be at least"),
        (["--pusher-processes", "0"], "--pusher-processes must be at least 1"),
    ],
)
def test_bad_flags_are_a_usage_error(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse_args(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.exclusive  # whether 4 generators' pushes complete within 1 s needs a quiet machine
def test_a_tiny_ramp_against_both_stores_reports_what_the_stores_counted() -> None:
    lines: list[str] = []
    ramps = run(parse_args(TINY), lines.append)
    out = "\n".join(lines)
    for name in ("prometheus", "victoria-metrics"):
        ramp = ramps[name]
        assert [s.generators for s in ramp.steps] == [2, 4], out
        for made in ramp.steps:
            assert made.problems() == [], out
            # the store's own series count: every generator's series, no more
            assert made.series == made.generators * ramp.series_per_generator
            # samples/s the store counted: generators x series a second, give or take one
            # push a generator (the store's counters were read at two moments of the window)
            assert made.stored_per_second is not None
            slack = made.generators * ramp.series_per_generator / made.span
            assert abs(made.stored_per_second - made.offered_per_second) <= slack, out
        # every sample acknowledged was counted by the store, and nothing more
        assert ramp.stored_total == ramp.acked_total > 0
    assert "ratio victoria-metrics / prometheus, max sustained at 1 s pushes: samples/s " in out
    assert re.search(r"^store CPU per sample at 4 generators: prometheus [\d.]+ us", out, re.M)
    for name, ramp in ramps.items():
        series = f"{4 * ramp.series_per_generator:,}"
        assert re.search(rf"^{name}: kept up with 4 generators: {series} series, ", out, re.M)
        counted = f"{ramp.acked_total:,}"
        assert f"the store counted {counted} samples, the pushers saw {counted} acknowledged" in out


def test_a_stopped_store_makes_the_step_queue(tmp_path: Path) -> None:
    prometheus = PrometheusProcess(tmp_path / "prometheus").start()
    assert prometheus.pid is not None
    pid = prometheus.pid
    os.kill(pid, signal.SIGSTOP)  # up and listening, but answering nothing
    try:
        ramp = bench_store_scale.ramp_store(
            KINDS["prometheus"],
            prometheus,
            parse_args([*TINY, "--max-generators", "2"]),
            None,
            None,
            lambda _: os.kill(pid, signal.SIGCONT),  # let the pushes in flight complete
        )
    finally:
        os.kill(pid, signal.SIGCONT)
        prometheus.stop()
    (only,) = ramp.steps
    problems = only.problems()
    assert problems[0].startswith("over 1% of the pushes due in the window had not completed")
    assert "the store's own counters did not answer" in problems
    assert ramp.last_good is None and ramp.first_bad is only


def test_a_store_that_is_gone_fails_the_step_with_the_error(tmp_path: Path) -> None:
    prometheus = PrometheusProcess(tmp_path / "prometheus").start()
    prometheus.stop()
    ramp = bench_store_scale.ramp_store(
        KINDS["prometheus"], prometheus, parse_args([*TINY, "--max-generators", "2"]), None, None
    )
    (only,) = ramp.steps
    assert only.problems()[0].startswith(f"{only.pushes} of {only.pushes} pushes failed")
    assert "ConnectionRefusedError" in only.problems()[0]
    assert ramp.acked_total == 0


def test_the_cpu_cost_of_a_sample_is_compared_where_both_stores_kept_up() -> None:
    prometheus = ramp("prometheus", [100.0, 200.0, 400.0], failed_last=True)
    vm = ramp("victoria-metrics", [100.0, 200.0, 400.0, 800.0], failed_last=True)
    for made in vm.steps:  # a third of prometheus' CPU for the same samples
        made.last.store_cpu = 1.0 + 0.3 * 10  # type: ignore[union-attr]
    # both kept up with 1 and 2 generators: at 2, prometheus 0.9 cores for 200 samples/s
    assert cost_line({"prometheus": prometheus, "victoria-metrics": vm}) == (
        "store CPU per sample at 2 generators: prometheus 4500.0 us, victoria-metrics "
        "1500.0 us (prometheus / victoria-metrics 3.00; one core at that cost: 222 and 667 "
        "samples/s)"
    )
