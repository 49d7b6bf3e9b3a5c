"""Histories pushed for the history tests: a run's summary the way `perfstack run` pushes
it (push_run_summary, stamped at the run's end), for runs ended in the last minutes (the
real Prometheus takes samples up to about an hour old), optionally kept as local records."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from perfstack.core.record import RunRecord, write_record
from perfstack.history.summary import SummaryValue, attach_summary, push_run_summary

SPACING_SECONDS = 60.0


def unique_scenario(prefix: str) -> str:
    """Each test its own scenario: the session Prometheus is shared."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def make_record(scenario: str, index: int, end: float) -> RunRecord:
    return RunRecord(
        testid=f"{scenario}-run{index + 1:02d}",
        scenario=scenario,
        generator="locust",
        target="http://127.0.0.1:1",
        start=end - 2.0,
        end=end,
        exit_status="completed",
    )


def push_history(
    prometheus_url: str | None,
    scenario: str,
    values: Sequence[dict[str, float]],
    *,
    state_dir: Path | None = None,
    labels: dict[str, str] | None = None,
    first_end: float | None = None,
) -> list[RunRecord]:
    """One run per entry of `values` ({sli: value}, whole run), oldest first, SPACING
    apart and ending a minute ago. Pushed when prometheus_url is given; records written
    (with their summary) when state_dir is."""
    count = len(values)
    start = first_end if first_end is not None else time.time() - 60 - count * SPACING_SECONDS
    records = []
    for index, run_values in enumerate(values):
        record = make_record(scenario, index, start + index * SPACING_SECONDS)
        summary = [SummaryValue(sli, "", value) for sli, value in run_values.items()]
        attach_summary(record, labels, summary)
        if prometheus_url is not None:
            sent, detail = push_run_summary(record, prometheus_url)
            assert sent, detail
        if state_dir is not None:
            write_record(state_dir, record)
        records.append(record)
    return records
