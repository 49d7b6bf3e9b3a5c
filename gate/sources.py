"""Builds the gate's inputs from command-line choices: the baseline source and the window
of a baseline run (its run record, else its start/end timestamps in Prometheus)."""

from __future__ import annotations

import math
from pathlib import Path

from gate.baselines import BaselineSource, FileBaseline, LastRunsBaseline, RunBaseline
from gate.evaluate import Gate, run_baseline_measure
from gate.model import BaselineSpec
from gate.prometheus import PrometheusClient
from gate.window import RunWindow, from_record
from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.core.record import load_record
from perfstack.core.state import runs_dir

HISTORY_DIR = "gate"


def history_dir(state_dir: Path) -> Path:
    """Where `gate check` keeps each run's JSON result (read by `baseline: {last: N}`)."""
    return state_dir / HISTORY_DIR


def baseline_path(name_or_path: str, baseline_dir: Path) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix == ".json" or candidate.is_file() or len(candidate.parts) > 1:
        return candidate
    return baseline_dir / f"{name_or_path}.json"


def run_window_of(
    testid: str, state_dir: Path, client: PrometheusClient, settle: float
) -> RunWindow | None:
    """A run's window from its record, else from the run timestamps it pushed."""
    if (runs_dir(state_dir) / f"{testid}.json").is_file():
        return from_record(load_record(state_dir, testid), settle)
    bounds = []
    for metric in ("loadgen_run_start_timestamp_seconds", "loadgen_run_end_timestamp_seconds"):
        series = client.instant(f'max(last_over_time({metric}{{testid="{testid}"}}[30d]))', _now())
        bounds.append(series[0].value if series and math.isfinite(series[0].value) else None)
    if bounds[0] is None or bounds[1] is None:
        return None
    return RunWindow(testid, "baseline", bounds[0], bounds[1], settle)


def _now() -> float:
    import time

    return time.time()


def baseline_source(
    spec: BaselineSpec | None,
    gate: Gate,
    client: PrometheusClient,
    state_dir: Path,
    baseline_dir: Path,
    current: RunWindow,
) -> BaselineSource | None:
    if spec is None:
        return None
    if spec.file is not None:
        return FileBaseline(baseline_path(spec.file, baseline_dir))
    if spec.testid is not None:
        if spec.testid == current.testid:
            raise PerfstackError(
                f"the baseline run {spec.testid} is the run being judged", ExitCode.USAGE
            )
        window = run_window_of(spec.testid, state_dir, client, current.settle)
        if window is None:
            return _Missing(
                f"run {spec.testid} (no run record and no run timestamps in Prometheus)"
            )
        return RunBaseline(spec.testid, run_baseline_measure(gate, window))
    assert spec.last is not None
    return LastRunsBaseline(
        history_dir(state_dir), spec.last, spec.aggregate, current.testid, current.scenario
    )


class _Missing:
    def __init__(self, description: str) -> None:
        self.description = description

    def get(self, objective: object) -> None:
        return None
