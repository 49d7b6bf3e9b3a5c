"""The terminal table: one row per objective with value, threshold, baseline, change and
the resolved query; colour only when the output is a terminal (rich decides)."""

from __future__ import annotations

import sys
from typing import IO

from rich.table import Table
from rich.text import Text

from gate.recommendations import recommend
from gate.units import format_value
from gate.verdicts import GateResult, Status
from perfstack.core.terminal import plain_console, styled

STYLES = {
    Status.PASS: "green",
    Status.WARN: "yellow",
    Status.FAIL: "bold red",
    Status.NO_DATA: "magenta",
    Status.ERROR: "bold red",
}


def print_table(result: GateResult, file: IO[str] | None = None, width: int | None = None) -> None:
    stream = file or sys.stdout
    if width is None and not stream.isatty():
        width = 160  # CI logs: wide enough for the queries, no terminal to ask
    console = plain_console(stream, width)
    table = Table(
        title=f"perfstack gate · {result.rules_name} · run {result.testid}", show_lines=True
    )
    for column in ("objective", "verdict", "value", "threshold", "baseline", "change", "details"):
        table.add_column(column, overflow="fold")
    for entry in result.objectives:
        unit = entry.objective.unit
        base = entry.baseline
        change = "" if base is None else base.change_text("\n", with_level=True)
        details = [entry.query, f"at {entry.evaluated_at:.3f} ({entry.source})"]
        if entry.samples is not None:
            details.append(f"samples {entry.samples} (min {entry.objective.min_samples})")
        if entry.reason:
            details.append(entry.reason)
        if base is not None and base.reason:
            details.append(f"baseline: {base.reason}")
        table.add_row(
            entry.objective.name + (" (key)" if entry.objective.key else ""),
            styled(str(entry.status), STYLES[entry.status]),
            format_value(entry.value, unit),
            entry.threshold_text,
            "" if base is None else format_value(base.value, unit),
            change,
            "\n".join(details),
        )
    console.print(table)
    console.print(
        Text.assemble(
            "verdict: ",
            styled(str(result.status), STYLES[result.status]),
            f"  score {result.score:.0%}  ({result.reason})",
            f"  baseline: {result.baseline_source}" if result.baseline_source else "",
        )
    )
    for skipped in result.skipped:
        console.print(f"skipped (not judged): {skipped.name}: {skipped.reason}")
    for entry in result.objectives:
        advice = recommend(entry)
        if advice:
            console.print(f"- {entry.objective.name}: {advice}")
