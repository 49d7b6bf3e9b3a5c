from __future__ import annotations

import argparse
import random
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import bench_http_overhead
from bench_http_overhead import (
    Run,
    bootstrap_interval,
    describe,
    overhead,
    paired_ratios,
    steady_window,
    verdict,
)


def test_the_steady_window_is_returned_when_it_saw_requests() -> None:
    window = {"cpu": 4.0, "requests": 40_000}
    assert steady_window("perfstack", {"steady": window}) is window


@pytest.mark.parametrize(
    "result",
    [{"steady": None}, {}, {"steady": {"cpu": 4.0, "requests": 0}}],
)
def test_a_window_that_did_not_complete_or_saw_no_request_ends_the_bench(result: dict) -> None:
    with pytest.raises(SystemExit, match="perfstack: the steady-state window did not complete"):
        steady_window("perfstack", result)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--windows", "2"], "--windows must be at least 4"),
        (["--seconds", "5"], "--seconds must be at least 6"),
        (["--rounds", "1"], "--rounds must be at least 2"),
    ],
)
def test_too_few_windows_seconds_or_rounds_are_a_usage_error(
    argv: list[str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(sys, "argv", ["bench_http_overhead.py", *argv])
    with pytest.raises(SystemExit) as exit_info:
        bench_http_overhead.main()
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def invocation_env(layout_seed: int | None, tmp_path: Path) -> dict[str, str]:
    _, env = bench_http_overhead.locust_invocation(
        "none", 10, "http://127.0.0.1:1", "http://127.0.0.1:2", tmp_path, 8, {},
        tmp_path / "result.json", layout_seed=layout_seed,
    )  # fmt: skip
    return env


def test_a_layout_seed_reaches_the_locust_process(tmp_path: Path) -> None:
    assert invocation_env(1234, tmp_path)["BENCH_LAYOUT_SEED"] == "1234"
    assert "BENCH_LAYOUT_SEED" not in invocation_env(None, tmp_path)


def test_every_run_draws_a_new_seed_unless_the_layout_is_fixed() -> None:
    drawn = {
        bench_http_overhead.layout_seed(argparse.Namespace(fixed_layout=False)) for _ in "abcd"
    }
    assert len(drawn) == 4
    assert bench_http_overhead.layout_seed(argparse.Namespace(fixed_layout=True)) is None


def heap_shift_of_bench_locustfile(layout_seed: int | None, tmp_path: Path) -> list[int]:
    """Import the bench locustfile in a fresh interpreter (Locust stays out of this one) and
    return the sizes of the objects its heap shift keeps."""
    env = invocation_env(layout_seed, tmp_path)
    env["PYTHONPATH"] = f"{tmp_path}:{env['PYTHONPATH']}"
    (tmp_path / bench_http_overhead.LOCUSTFILE_NAME).write_text(bench_http_overhead.LOCUSTFILE)
    program = (
        "import sys, bench_locustfile as f\n"
        "print(*[sys.getsizeof(kept) for kept in getattr(f, 'HEAP_SHIFT', [])])"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return [int(size) for size in done.stdout.split()]


def test_the_bench_locustfile_shifts_its_heap_by_its_seed_and_only_when_given_one(
    tmp_path: Path,
) -> None:
    shifted = heap_shift_of_bench_locustfile(99, tmp_path)
    assert len(shifted) > 100
    assert max(shifted[:-1]) <= 512  # pymalloc's small objects, then one large block
    assert heap_shift_of_bench_locustfile(99, tmp_path) == shifted
    assert heap_shift_of_bench_locustfile(100, tmp_path) != shifted
    assert heap_shift_of_bench_locustfile(None, tmp_path) == []


def test_the_share_of_the_naive_listeners_overhead_is_printed_beside_the_issues() -> None:
    assert bench_http_overhead.peer_share(0.033, 0.086) == (
        "perfstack's overhead is 0.38 of the naive listener's "
        "(the issue's 3% against about 6%: 0.50)"
    )


@pytest.mark.parametrize("naive", [0.0, -0.01])
def test_no_share_when_the_naive_listener_measured_no_cost(naive: float) -> None:
    assert bench_http_overhead.peer_share(0.02, naive).startswith(
        "no share of the naive listener's overhead"
    )


def test_rounds_pair_with_the_baseline_of_the_same_round() -> None:
    rates = {"none": [10_000.0, 9_000.0], "perfstack": [9_700.0, 8_820.0]}
    runs = {
        variant: [Run(steady_rate=r, whole_rate=r * 0.99, fold_us=0.0, tick_us=0.0) for r in rs]
        for variant, rs in rates.items()
    }
    assert paired_ratios(runs, "perfstack") == pytest.approx([0.97, 0.98])
    assert paired_ratios(runs, "none") == [1.0, 1.0]


def test_the_overhead_is_one_minus_the_median_ratio() -> None:
    assert overhead([0.96, 0.98, 0.97]) == pytest.approx(0.03)
    assert overhead([1.02, 0.98]) == pytest.approx(0.0)
    with pytest.raises(ValueError):
        overhead([])


def test_the_interval_holds_the_estimate_and_narrows_with_more_rounds() -> None:
    rng = random.Random(7)
    few = [rng.gauss(0.97, 0.04) for _ in range(16)]
    many = [rng.gauss(0.97, 0.04) for _ in range(256)]
    few_low, few_high = bootstrap_interval(few)
    many_low, many_high = bootstrap_interval(many)
    assert few_low <= overhead(few) <= few_high
    assert many_low <= overhead(many) <= many_high
    assert many_high - many_low < (few_high - few_low) / 2  # about 1/sqrt(16) as wide
    assert many_low < 0.03 < many_high  # the true overhead, 3%, inside


def test_the_interval_covers_the_true_median_about_as_often_as_it_claims() -> None:
    rng = random.Random(11)
    covered = 0
    for _ in range(100):
        ratios = [rng.gauss(0.97, 0.04) for _ in range(16)]
        low, high = bootstrap_interval(ratios, resamples=1000, seed=rng.randrange(1 << 30))
        covered += low <= 0.03 <= high
    assert 78 <= covered <= 99  # claimed 90%; a percentile bootstrap of 16 runs a bit short


def test_the_same_rounds_give_the_same_interval() -> None:
    ratios = [0.95, 0.99, 0.97, 1.01, 0.96]
    assert bootstrap_interval(ratios) == bootstrap_interval(list(ratios))


def test_identical_rounds_have_a_point_interval() -> None:
    low, high = bootstrap_interval([0.98] * 8)
    assert low == pytest.approx(0.02) and high == pytest.approx(0.02)


def test_one_round_has_no_interval() -> None:
    with pytest.raises(ValueError, match="at least two rounds"):
        bootstrap_interval([0.97])


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0.01, 0.029, "meets"),
        (0.01, 0.03, "meets"),  # the goal is "at most 3%"
        (0.01, 1 - 0.97, "meets"),  # 0.030000000000000027
        (0.01, 0.030001, "CANNOT TELL whether it meets"),
        (0.0301, 0.05, "MISSES"),
        (0.03, 0.05, "CANNOT TELL whether it meets"),
        (0.02, 0.04, "CANNOT TELL whether it meets"),
    ],
)
def test_the_verdict_needs_the_whole_interval_on_one_side(
    low: float, high: float, expected: str
) -> None:
    assert verdict(low, high, 0.03) == expected


def test_a_median_within_the_goal_with_a_wide_spread_is_not_called_met() -> None:
    ratios = [0.90, 0.93, 0.96, 0.975, 0.98, 0.985, 1.0, 1.04]  # median 2.25% overhead
    text = describe(ratios, 0.03)
    assert text.startswith("2.2% (90% interval ")
    assert text.endswith("8 rounds): CANNOT TELL whether it meets the <= 3% goal")


def test_identical_rounds_are_described_with_a_point_interval_and_the_verdict() -> None:
    assert describe([0.98] * 8, 0.03) == (
        "2.0% (90% interval 2.0% .. 2.0%, 8 rounds): meets the <= 3% goal"
    )
