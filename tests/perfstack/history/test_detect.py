"""Change points: Otava's E-divisive + t-test on run histories, direction-aware; and the
issue's 12-run proof on real runs of the demo target."""

from __future__ import annotations

import random
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from perfstack.cli import main
from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.history.detect import MIN_RUNS, ChangePoint, change_points, detect
from perfstack.history.store import History, HistoryQuery, Run, load_history
from tests.perfstack.history.histories import unique_scenario

P50 = ("latency_p50_seconds", "")
P95 = ("latency_p95_seconds", "")
RPS = ("throughput_rps", "")
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile_history.py"


def _history(series: dict[tuple[str, str], list[float]], lower: set[str] | None = None) -> History:
    count = len(next(iter(series.values())))
    runs = [Run(f"run{i + 1:02d}", 1000.0 + 60 * i) for i in range(count)]
    for key, values in series.items():
        for run, value in zip(runs, values, strict=True):
            run.values[key] = value
    return History("s", runs, lower_is_worse=lower or set())


def _noisy(seed: int, level: float, count: int, shift_at: int | None = None, shift: float = 0.0):
    rng = random.Random(seed)
    return [
        level * (1 + rng.gauss(0, 0.03)) + (shift if shift_at is not None and i >= shift_at else 0)
        for i in range(count)
    ]


def test_a_latency_rise_is_one_change_point_for_the_worse_with_its_size() -> None:
    values = _noisy(1, 0.100, 12, shift_at=7, shift=0.030)
    (point,) = detect(_history({P50: values}))
    assert point.index == 7
    assert (point.run_before.testid, point.run_after.testid) == ("run07", "run08")
    assert point.direction == "worse"
    assert point.mean_before == pytest.approx(statistics.fmean(values[:7]))
    assert point.mean_after == pytest.approx(statistics.fmean(values[7:]))
    assert point.change_ratio == pytest.approx(point.mean_after / point.mean_before - 1)
    assert 0 < point.p_value < 0.001


def test_without_otava_the_detector_says_which_extra_to_install(monkeypatch) -> None:
    """Otava is an extra (perfstack[history]); an install without it gets one line, exit 10,
    never an empty list of change points that reads as "no regression"."""
    monkeypatch.setitem(sys.modules, "otava.analysis", None)  # makes its import fail
    with pytest.raises(PerfstackError) as raised:
        change_points([1.0] * 6 + [2.0] * 6)
    assert raised.value.exit_code == ExitCode.BINARY_MISSING
    assert "pip install 'perfstack[history]'" in raised.value.message


def test_direction_follows_the_sli() -> None:
    down = _noisy(2, 100.0, 12, shift_at=6, shift=-40.0)
    history = _history({RPS: down, P95: [v / 1000 for v in down]})
    by_sli = {cp.sli: cp for cp in detect(history)}
    assert by_sli["throughput_rps"].direction == "worse"  # fewer requests per second
    assert by_sli["latency_p95_seconds"].direction == "better"  # faster
    assert by_sli["throughput_rps"].change_ratio < -0.3


def test_an_objective_is_worse_in_the_direction_its_threshold_bounds() -> None:
    down = _noisy(3, 100.0, 10, shift_at=5, shift=-30.0)
    bounded_below = _history({("objective:rps", ""): down}, lower={"objective:rps"})
    assert [cp.direction for cp in detect(bounded_below)] == ["worse"]
    bounded_above = _history({("objective:rps", ""): down})
    assert [cp.direction for cp in detect(bounded_above)] == ["better"]


def test_a_small_drift_is_not_reported_and_a_short_series_is_not_judged() -> None:
    drift = _noisy(4, 0.100, 12, shift_at=6, shift=0.002)  # 2%: under the 5% minimum
    assert detect(_history({P50: drift})) == []
    short = _history({P50: [0.1, 0.1, 0.2][: MIN_RUNS - 1]})
    assert detect(short) == []


# --- the proof on real runs -------------------------------------------------------

# Few users and long requests: the machine's own queueing (which shrinks when the added
# latency slows a closed loop down) stays small against the latency added
BASE_LATENCY_MS = 100
ADDED_LATENCY_MS = 100
USERS = 3
RUN_SECONDS = 2  # ~50 requests of 3 users at 100 ms
WARM_UP_REQUESTS = 20  # the target's first requests are slow; no run should pay for them


def _run(target_url: str, testid: str, scenario: Path, stack: Any) -> None:
    code = main(
        [
            "run",
            "-f",
            str(LOCUSTFILE),
            "--host",
            target_url,
            "--scenario",
            str(scenario),
            "--testid",
            testid,
            "--prometheus",
            stack.prometheus_url,
            "--state-dir",
            str(stack.state_dir),
        ]
    )
    assert code == 0, f"run {testid} exited {code}"


def _scenario_file(directory: Path) -> Path:
    """A scenario rather than --duration: its stages run on the real clock, while Locust's
    --run-time timer can fire early after a slow start (loadgen/locust/run_end.py)."""
    name = unique_scenario("history")
    path = directory / f"{name}.yaml"
    path.write_text(
        f"name: {name}\n"
        f"stages:\n  - {{kind: hold, duration: {RUN_SECONDS}s, users: {USERS}, spawn_rate: 100}}\n"
    )
    return path


def _subset(history: History, testids: list[str]) -> History:
    by_id = {run.testid: run for run in history.runs}
    return History(history.scenario, [by_id[t] for t in testids])


def _assert_one_change_at_run_8(points: list[ChangePoint], added: float) -> None:
    """Exactly one change point in the latency (p50), at run 8, for the worse, the size of
    the latency added."""
    (point,) = points
    assert (point.sli, point.name, point.index, point.direction) == (*P50, 7, "worse")
    assert point.mean_after - point.mean_before == pytest.approx(added, rel=0.10), point


@pytest.mark.slow(seconds=90)
@pytest.mark.timeout(400)
def test_twelve_real_runs_find_the_added_latency_at_run_8_and_none_without_it(
    stack: Any,
    demo_target_factory: Callable[..., Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Runs 1-7 at the base latency are shared; runs 8-12 follow with latency added (the
    change history) and again without it (the steady history): 17 real runs, not 24. The
    "5 seeds" are then bootstrap histories resampled from these runs' own values."""
    scenario = _scenario_file(tmp_path)
    target = demo_target_factory(latency_ms=BASE_LATENCY_MS)
    shared = [f"base-{i:02d}" for i in range(1, 8)]
    slow = [f"slow-{i:02d}" for i in range(8, 13)]
    steady = [f"steady-{i:02d}" for i in range(8, 13)]
    with httpx.Client(timeout=5) as client:
        for _ in range(WARM_UP_REQUESTS):
            client.get(f"{target.url}/api/items").raise_for_status()
    for testid in shared:
        _run(target.url, testid, scenario, stack)
    target.set_knobs(latency_ms=BASE_LATENCY_MS + ADDED_LATENCY_MS)
    for testid in slow:
        _run(target.url, testid, scenario, stack)
    target.set_knobs(latency_ms=BASE_LATENCY_MS)
    for testid in steady:
        _run(target.url, testid, scenario, stack)
    capsys.readouterr()  # the runs' live view
    query = HistoryQuery(scenario.stem, 3600.0, stack.prometheus_url, stack.state_dir)
    history = load_history(query)
    assert {run.source for run in history.runs} == {"both"}  # pushed, and kept in records
    assert len(history.runs) == 17
    added = ADDED_LATENCY_MS / 1000
    # p50: p95/p99 of a 2-second run of 3 users (~50 requests) are each user's first, slow
    # request rather than the service's latency, and are not claimed here
    changed_history = _subset(history, shared + slow)
    _assert_one_change_at_run_8(detect(changed_history, [P50]), added)
    # fewer requests per second with the latency: a change for the worse at run 8 too (a
    # one-run segment may follow it: a 2-second run's throughput moves with its stop)
    assert any((cp.index, cp.direction) == (7, "worse") for cp in detect(changed_history, [RPS]))
    # the steady history: no change point, in latency or throughput
    assert detect(_subset(history, shared + steady), [P50, RPS]) == []

    base_pool = [run.values[P50] for run in _subset(history, shared + steady).runs]
    slow_pool = [run.values[P50] for run in _subset(history, slow).runs]
    for seed in range(5):
        rng = random.Random(seed)
        changed = [rng.choice(base_pool) for _ in range(7)] + [
            rng.choice(slow_pool) for _ in range(5)
        ]
        unchanged = [rng.choice(base_pool) for _ in range(12)]
        _assert_one_change_at_run_8(detect(_history({P50: changed})), added)
        assert detect(_history({P50: unchanged})) == [], f"seed {seed}: {unchanged}"
