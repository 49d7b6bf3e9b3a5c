"""What the report's run-history section shows: each whole-run SLI of the run's scenario
over its past runs and the change points in it, as perfstack/history loads and detects
them (nothing of that is done again here). charts.history_chart draws one SLI;
html.history_section says what could not be charted."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.core.record import RunRecord
from perfstack.history.detect import MIN_RUNS, ChangePoint, detect
from perfstack.history.store import History, HistoryQuery, Key, load_history
from perfstack.history.summary import ERROR_RATIO, LATENCY_SLIS, THROUGHPUT

# the SLIs charted first, in this order; the history's other whole-run SLIs follow
FIRST = (LATENCY_SLIS["p95"], ERROR_RATIO, THROUGHPUT)


@dataclass
class SliHistory:
    sli: str
    xs: list[int]  # the run's position in the scenario's history, from 1
    values: list[float]
    testids: list[str]
    ends: list[float]
    own: int | None  # index into xs of the report's own run, if it is in the series
    change_points: list[ChangePoint] = field(default_factory=list)

    @property
    def judged(self) -> bool:
        return len(self.values) >= MIN_RUNS


@dataclass
class RunHistory:
    scenario: str
    since: str  # as the user wrote it (90d)
    runs: int = 0
    slis: list[SliHistory] = field(default_factory=list)
    # why no change point could be looked for at all (no Otava, history unreadable)
    undetected: str = ""
    notes: list[str] = field(default_factory=list)


def _keys(history: History) -> list[Key]:
    keys = history.keys()  # a History's keys, not a dict's
    whole_run = {sli for sli, name in keys if name == ""}
    return [(sli, "") for sli in (*[s for s in FIRST if s in whole_run],
                                  *sorted(whole_run - set(FIRST)))]  # fmt: skip


def gather_history(
    record: RunRecord,
    prometheus_url: str,
    state_dir: Path,
    since: float,
    since_text: str,
    timeout: float = 10.0,
) -> RunHistory:
    """The scenario's history and its change points. Nothing here stops the report: a
    history that cannot be read is a sentence in its section."""
    found = RunHistory(record.scenario, since_text)
    query = HistoryQuery(record.scenario, since, prometheus_url, state_dir, timeout=timeout)
    try:
        history = load_history(query)
    except PerfstackError as error:
        found.undetected = f"run history not read: {error.message}"
        return found
    found.runs, found.notes = len(history.runs), list(history.notes)
    position = {id(run): index + 1 for index, run in enumerate(history.runs)}
    keys = _keys(history)
    for sli, name in keys:
        series = history.series((sli, name))
        testids = [run.testid for run, _ in series]
        found.slis.append(
            SliHistory(
                sli,
                [position[id(run)] for run, _ in series],
                [value for _, value in series],
                testids,
                [run.end for run, _ in series],
                testids.index(record.testid) if record.testid in testids else None,
            )
        )
    judged = [(s.sli, "") for s in found.slis if s.judged]
    try:
        points = detect(history, judged) if judged else []
    except PerfstackError as error:
        if error.exit_code != ExitCode.BINARY_MISSING:
            raise
        found.undetected = f"change points not looked for: {error.message}"
        points = []
    by_sli = {s.sli: s for s in found.slis}
    for point in points:
        by_sli[point.sli].change_points.append(point)
    return found


def change_text(point: ChangePoint) -> str:
    return f"{point.direction} {point.change_ratio:+.1%}"
