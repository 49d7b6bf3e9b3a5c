"""Change points in a run history: E-divisive means with a Student's t-test, the method of
Hunter ("Hunter: Using Change Point Detection to Hunt for Performance Regressions",
Fleming et al., ICPE 2023) as Apache Otava implements it (`otava.analysis.
compute_change_points`), one SLI series at a time.

Why Otava and not signal-processing-algorithms (MongoDB's E-divisive; both were measured
on the same synthetic histories, docs/history.md): Otava is the t-test variant the issue
asks for, gives each change point's p-value and means, and works on the numpy 2 line;
signal-processing-algorithms uses a permutation test, pins numpy < 2 and gevent < 25
(Locust's gevent is newer) and Python < 3.12.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.history.store import History, Key, Run
from perfstack.history.summary import LOWER_IS_WORSE, OBJECTIVE_PREFIX

# Otava's defaults (its CLI's --max-pvalue); a change smaller than MIN_MAGNITUDE is not
# reported however significant: a 2% drift of a loopback p50 is no regression
DEFAULT_MAX_PVALUE = 0.001
DEFAULT_MIN_MAGNITUDE = 0.05
# the t-test needs two runs on each side of a change to have a variance on each side
MIN_RUNS = 4
WINDOW_RUNS = 50  # Otava's sliding window (its default)


@dataclass(frozen=True)
class ChangePoint:
    sli: str
    name: str
    index: int  # position in the SLI's series of the first run after the change
    run_before: Run
    run_after: Run
    mean_before: float
    mean_after: float
    change_ratio: float  # mean_after / mean_before - 1
    p_value: float
    direction: str  # worse | better

    def to_json(self) -> dict[str, object]:
        return {
            "sli": self.sli,
            "name": self.name,
            "index": self.index,
            "run_before": self.run_before.testid,
            "run_after": self.run_after.testid,
            "run_after_end": self.run_after.end,
            "mean_before": self.mean_before,
            "mean_after": self.mean_after,
            "change_ratio": self.change_ratio,
            "p_value": self.p_value,
            "direction": self.direction,
        }


def lower_is_worse(history: History, sli: str) -> bool:
    if sli.startswith(OBJECTIVE_PREFIX):
        return sli in history.lower_is_worse
    return sli in LOWER_IS_WORSE


def direction_of(change_ratio: float, lower_worse: bool) -> str:
    return "worse" if (change_ratio < 0) == lower_worse else "better"


def change_points(
    values: list[float],
    max_pvalue: float = DEFAULT_MAX_PVALUE,
    min_magnitude: float = DEFAULT_MIN_MAGNITUDE,
) -> list[tuple[int, float, float, float]]:
    """(index, mean_before, mean_after, p_value) of each change point in `values`."""
    # imported here: scipy's import costs most of a second, and only this command needs it
    try:
        from otava.analysis import compute_change_points
    except ImportError as missing:
        raise PerfstackError(
            "change-point detection needs Apache Otava, which is not installed: "
            "pip install 'perfstack[history]'",
            ExitCode.BINARY_MISSING,
        ) from missing

    found, _weak = compute_change_points(
        list(values), window_len=WINDOW_RUNS, max_pvalue=max_pvalue, min_magnitude=min_magnitude
    )
    return [
        (
            int(point.index),
            float(point.stats.mean_before()),
            float(point.stats.mean_after()),
            float(point.stats.pvalue),
        )
        for point in found
    ]


def _ratio(before: float, after: float) -> float:
    """after / before - 1; from zero (an error ratio that appeared) it is infinite."""
    if before == 0:
        return float("inf") if after > 0 else 0.0
    return after / before - 1.0


def detect(
    history: History,
    keys: Iterable[Key] | None = None,
    max_pvalue: float = DEFAULT_MAX_PVALUE,
    min_magnitude: float = DEFAULT_MIN_MAGNITUDE,
) -> list[ChangePoint]:
    """Change points of every SLI series (or of `keys`) with at least MIN_RUNS runs."""
    found = []
    for sli, name in history.keys() if keys is None else keys:
        series = history.series((sli, name))
        if len(series) < MIN_RUNS:
            continue
        runs = [run for run, _ in series]
        for index, before, after, p_value in change_points(
            [value for _, value in series], max_pvalue, min_magnitude
        ):
            ratio = _ratio(before, after)
            found.append(
                ChangePoint(
                    sli,
                    name,
                    index,
                    runs[index - 1],
                    runs[index],
                    before,
                    after,
                    ratio,
                    p_value,
                    direction_of(ratio, lower_is_worse(history, sli)),
                )
            )
    return sorted(found, key=lambda cp: (cp.run_after.end, cp.sli, cp.name))
