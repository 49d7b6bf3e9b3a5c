"""The terminal verdict: one row per objective (objective, verdict, value, threshold,
baseline and change, a short source), no row over two lines; under it the overall verdict,
why each objective that did not pass (or carries a note) got its verdict, the skipped
objectives and the recommendations. `verbose` adds each objective's resolved query,
evaluation time and samples. Colour only when the output is a terminal (rich decides)."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from typing import IO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from gate.measure import record_figure
from gate.recommendations import recommend
from gate.table_layout import clip, fit_widths
from gate.units import format_value
from gate.verdicts import GateResult, ObjectiveResult, Status
from perfstack.core.terminal import plain_console, styled

STYLES = {
    Status.PASS: "green",
    Status.WARN: "yellow",
    Status.FAIL: "bold red",
    Status.NO_DATA: "magenta",
    Status.ERROR: "bold red",
}

ROW_LINES = 2
# width a log without a terminal is printed at (CI): the table fits it without a wide
# terminal to read it on; COLUMNS overrides it
LOG_WIDTH = 100


def source_label(entry: ObjectiveResult) -> str:
    """Where the value came from, short: `prometheus`, `record p95 exact`."""
    if entry.source == "run record":
        return f"record {record_figure(entry.query)} exact"
    return entry.source


def why(entry: ObjectiveResult) -> str:
    """Why the objective got its verdict: its reason and the baseline's; for a value that
    simply missed its threshold, the value against the threshold."""
    parts = [entry.reason] if entry.reason else []
    if entry.baseline is not None and entry.baseline.reason:
        parts.append(f"baseline: {entry.baseline.reason}")
    if not parts and entry.status in (Status.WARN, Status.FAIL):
        parts.append(
            f"{format_value(entry.value, entry.objective.unit)} against {entry.threshold_text}"
        )
    return "; ".join(parts)


def _cells(entry: ObjectiveResult, with_baseline: bool) -> list[Text]:
    unit = entry.objective.unit
    base = entry.baseline
    cells = [
        Text(entry.objective.name + (" (key)" if entry.objective.key else "")),
        styled(str(entry.status), STYLES[entry.status]),
        Text(format_value(entry.value, unit)),
        # the relative criterion on a line of its own: next to `pass < 500ms; warn < 1s`
        # it would be the part cut off in a narrow column
        Text("\n".join(line for line in entry.threshold_lines if line)),
    ]
    if with_baseline:
        cells += [
            Text("" if base is None else format_value(base.value, unit)),
            Text("" if base is None else base.change_text(" ", with_level=True)),
        ]
    return [*cells, Text(source_label(entry))]


def _table(console: Console, result: GateResult) -> Table:
    with_baseline = any(entry.baseline is not None for entry in result.objectives)
    headers = ["objective", "verdict", "value", "threshold"]
    headers += ["baseline", "change"] if with_baseline else []
    headers.append("source")
    rows = [_cells(entry, with_baseline) for entry in result.objectives]
    # box.MINIMAL without edges: each column costs its padding (2) and a divider (1),
    # less the missing outer divider
    available = console.width - (3 * len(headers) - 1)
    # a name cut short is printed whole in the lines under the table
    widths = fit_widths(console, headers, rows, available, ROW_LINES, cut_first=(0,))
    table = Table(
        title=f"perfstack gate · {result.rules_name} · run {result.testid}",
        box=box.MINIMAL,
        show_edge=False,
        show_lines=True,
    )
    for header, width in zip(headers, widths, strict=True):
        table.add_column(header, width=width, no_wrap=True, overflow="ellipsis")
    for row in rows:
        table.add_row(
            *(
                clip(console, cell, width, ROW_LINES)
                for cell, width in zip(row, widths, strict=True)
            )
        )
    return table


def _when(seconds: float) -> str:
    iso = datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")
    return f"{seconds:.3f} ({iso.replace('+00:00', 'Z')})"


def _details(console: Console, result: GateResult) -> None:
    """Everything behind each row, one line per fact: queries are printed whole and
    unwrapped so they can be copied into Prometheus."""
    console.print(f"evaluated at {_when(result.evaluated_at)}", soft_wrap=True)
    for entry in result.objectives:
        console.print(
            Text.assemble(
                entry.objective.name, ": ", styled(str(entry.status), STYLES[entry.status])
            )
        )
        facts = [
            ("query", entry.query),
            ("evaluated", f"{_when(entry.evaluated_at)} from {entry.source}"),
        ]
        if entry.samples is not None:
            facts.append(("samples", f"{entry.samples} (min {entry.objective.min_samples})"))
        if entry.baseline is not None:
            facts.append(("baseline", entry.baseline.source))
        if entry.reason:
            facts.append(("reason", entry.reason))
        for label, text in facts:
            console.print(f"    {label:<10} {text}", soft_wrap=True)


def print_table(
    result: GateResult,
    file: IO[str] | None = None,
    width: int | None = None,
    verbose: bool = False,
) -> None:
    stream = file or sys.stdout
    if width is None and not stream.isatty() and "COLUMNS" not in os.environ:
        width = LOG_WIDTH
    console = plain_console(stream, width)
    console.print(_table(console, result))
    console.print(
        Text.assemble(
            "verdict: ",
            styled(str(result.status), STYLES[result.status]),
            f"  score {result.score:.0%}  ({result.reason})",
            f"  baseline: {result.baseline_source}" if result.baseline_source else "",
        )
    )
    for entry in result.objectives:
        reason = why(entry)
        if reason:
            console.print(
                Text.assemble(
                    styled(str(entry.status), STYLES[entry.status]),
                    f" {entry.objective.name}: {reason}",
                )
            )
    for skipped in result.skipped:
        console.print(f"skipped (not judged): {skipped.name}: {skipped.reason}")
    if verbose:
        _details(console, result)
    for entry in result.objectives:
        advice = recommend(entry)
        if advice:
            console.print(f"- {entry.objective.name}: {advice}")
