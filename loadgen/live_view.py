"""The terminal view of `perfstack run`: a live panel on a TTY, a progress line every 5 s
otherwise (CI logs), and one summary table at the end."""

from __future__ import annotations

import time
from typing import Any, TextIO

from rich.console import Console
from rich.live import Live
from rich.table import Table

from perfstack.core.durations import format_duration
from perfstack.core.record import PERCENTILE_KEYS, MethodStats, RunRecord
from perfstack.core.terminal import plain_console

PROGRESS_EVERY_SECONDS = 5.0


def _console(stream: TextIO | None) -> Console:
    """Wide enough for the summary table in CI logs, where there is no terminal width."""
    console = plain_console(stream)
    return console if console.is_terminal else plain_console(stream, width=160)


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f} ms"


def _age(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.1f} s"


def status_fields(live: dict[str, Any] | None, planned: float, now: float) -> dict[str, str]:
    if not live or not live.get("start"):
        return {"state": "starting"}
    if live.get("state") == "stopped" and live.get("now"):
        now = float(live["now"])  # the clock stops with the load, not with the final flush
    elapsed = max(0.0, now - float(live["start"]))
    fields = {
        "state": str(live.get("state", "")),
        "elapsed": format_duration(elapsed),
        "remaining": _remaining(live, planned, elapsed),
        "users": str(live.get("users", 0)),
        "rps": f"{float(live.get('rps') or 0):.1f}",
        "in_flight": str(live.get("in_flight", 0)),
        "oldest_in_flight": _age(live.get("oldest_in_flight_seconds")),
        "p95": _ms(live.get("p95_seconds")),
        "errors": f"{float(live.get('error_ratio') or 0) * 100:.2f}%",
        "requests": str(live.get("requests", 0)),
    }
    if "dropped_iterations" in live:  # open model: iterations no free user could start
        fields["dropped"] = f"{live['dropped_iterations']} of {live['scheduled_iterations']}"
    if live.get("saturated"):
        fields["saturated"] = "yes: the generator cannot keep up; figures are unreliable"
    return fields


def _remaining(live: dict[str, Any], planned: float, elapsed: float) -> str:
    """The countdown follows what Locust plays: the length the generator reports when it
    knows one (a scenario's stages), else the planned --duration; a locustfile's own load
    shape that states no length ends when its tick() says so, and no countdown can know."""
    reported = live.get("planned_seconds")  # the plugin's: a positive number or None
    if isinstance(reported, int | float):
        planned = float(reported)
    elif live.get("shape"):
        return f"decided by the shape {live['shape']}"
    return format_duration(max(0.0, planned - elapsed))


class LiveView:
    """Call `update(live_status)` often; it decides what to draw and when."""

    def __init__(
        self,
        testid: str,
        planned_seconds: float,
        links: dict[str, str],
        stream: TextIO | None = None,
    ):
        self.console = _console(stream)
        self.testid, self.planned, self.links = testid, planned_seconds, links
        self.interactive = self.console.is_terminal
        self._live: Live | None = None
        self._last_line = 0.0

    def __enter__(self) -> LiveView:
        if self.interactive:
            self._live = Live(self._panel(None), console=self.console, refresh_per_second=2)
            self._live.__enter__()
        else:
            self.console.print(
                f"perfstack run {self.testid}: "
                + ", ".join(f"{k} {v}" for k, v in self.links.items())
            )
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._live is not None:
            self._live.__exit__(*exc)

    def update(self, live: dict[str, Any] | None) -> None:
        now = time.time()
        if self._live is not None:
            self._live.update(self._panel(live, now))
        elif now - self._last_line >= PROGRESS_EVERY_SECONDS and live:
            self._last_line = now
            fields = status_fields(live, self.planned, now)
            self.console.out(
                " ".join(f"{key}={value}" for key, value in fields.items()), highlight=False
            )

    def _panel(self, live: dict[str, Any] | None, now: float | None = None) -> Table:
        table = Table(title=f"perfstack run {self.testid}", show_header=False, expand=False)
        for key, value in status_fields(live, self.planned, now or time.time()).items():
            table.add_row(key, value)
        for key, value in self.links.items():
            table.add_row(key, value)
        return table


def summary_rows(record: RunRecord) -> list[tuple[str, str, MethodStats]]:
    """(method, name, figures), one row per method of each name as Locust's own stats keep
    them; a name recorded without methods (older records, WebSocket records) is one row
    with no method."""
    rows: list[tuple[str, str, MethodStats]] = []
    for name, stats in record.names.items():
        if not stats.methods:
            rows.append(("", name, stats))
        rows.extend((method, name, figures) for method, figures in stats.methods.items())
    return rows


def summary_table(record: RunRecord) -> Table:
    table = Table(title=f"run {record.testid} ({record.scenario}): {record.exit_status}")
    table.add_column("method")
    table.add_column("name")
    table.add_column("requests", justify="right")
    table.add_column("failures", justify="right")
    for key in PERCENTILE_KEYS.values():
        table.add_column(key, justify="right")
    for method, name, stats in summary_rows(record):
        table.add_row(
            method,
            name,
            str(stats.requests),
            str(stats.failures),
            *(_ms(stats.percentiles.get(k)) for k in PERCENTILE_KEYS.values()),
        )
    table.add_row(
        "",
        "total",
        str(record.requests),
        str(record.failures),
        *(_ms(record.percentiles.get(k)) for k in PERCENTILE_KEYS.values()),
        style="bold",
    )
    if record.corrected_percentiles:  # from each request's intended start
        table.add_row(
            "",
            "total (corrected)",
            "",
            "",
            *(_ms(record.corrected_percentiles.get(k)) for k in PERCENTILE_KEYS.values()),
            style="bold",
        )
    return table


def print_summary(record: RunRecord, record_file: str, stream: TextIO | None = None) -> None:
    console = _console(stream)
    console.print(summary_table(record))
    notes = [f"record: {record_file}"]
    if record.errors_by_type:
        notes.append(
            "errors: " + ", ".join(f"{k}={v}" for k, v in sorted(record.errors_by_type.items()))
        )
    if record.name_overflow:
        notes.append(f"{record.name_overflow} requests over the name cap were recorded as _other_")
    if record.samples_dropped:
        notes.append(f"{record.samples_dropped} samples could not be pushed to Prometheus")
    arrival = record.arrival
    if arrival is not None:
        notes.append(
            f"open model: {arrival.get('started')} of {arrival.get('scheduled')} iterations "
            f"started, {record.dropped_iterations} dropped; achieved "
            f"{float(arrival.get('achieved_rate') or 0):.1f}/s of "
            f"{float(arrival.get('requested_rate') or 0):.1f}/s requested"
        )
    if record.generator_saturated:
        notes.append(
            "generator saturated (CPU, or behind its arrival rate): latencies are unreliable"
        )
    if record.message:
        notes.append(record.message)
    for note in notes:
        console.print(note, highlight=False)
