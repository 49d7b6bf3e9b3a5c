"""`perfstack history` (a scenario's past runs and their summary values) and `perfstack
regressions` (change points in that history; docs/history.md)."""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import re
import sys
import time
from pathlib import Path
from typing import Any

from perfstack.core.durations import DurationError, parse_duration
from perfstack.core.errors import ExitCode, PerfstackError, epilog
from perfstack.core.settings import prometheus_url_and_source
from perfstack.core.state import default_state_dir, state_dir_argument
from perfstack.history.labels import label_argument
from perfstack.history.store import SOURCES, History, HistoryQuery, known_scenarios, load_history

DEFAULT_SINCE = "90d"
CHANGE_RATIO_METRIC = "perfstack_regression_change_ratio"
P_VALUE_METRIC = "perfstack_regression_p_value"

HISTORY_EXIT_CODES = epilog(
    {
        ExitCode.OK: "the history was printed",
        ExitCode.USAGE: "invalid arguments",
        ExitCode.NO_DATA: "no run of the scenario in the window (unknown scenario, empty history)",
        ExitCode.PROMETHEUS_UNAVAILABLE: "--source prometheus and Prometheus cannot answer",
    }
)
REGRESSIONS_EXIT_CODES = epilog(
    {
        ExitCode.OK: "no regression (or regressions found without --fail-on-regression)",
        ExitCode.GATE_FAIL: "--fail-on-regression and a change point for the worse",
        ExitCode.USAGE: "invalid arguments",
        ExitCode.NO_DATA: "inconclusive: unknown scenario, empty history, or fewer runs than the"
        "\n       detector needs",
        ExitCode.PROMETHEUS_UNAVAILABLE: "--source prometheus and Prometheus cannot answer",
    }
)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scenario", required=True, help="scenario (or pytest suite) name")
    parser.add_argument(
        "--since", default=DEFAULT_SINCE, help=f"how far back (default {DEFAULT_SINCE})"
    )
    parser.add_argument(
        "--label",
        action="append",
        type=label_argument,
        default=[],
        metavar="NAME=VALUE",
        help="only runs with this summary label (repeatable), e.g. branch=main",
    )
    parser.add_argument(
        "--source",
        choices=SOURCES,
        default="auto",
        help="auto: Prometheus, plus the local run records of runs it lacks (default)",
    )
    parser.add_argument("--prometheus", help="Prometheus URL (default: the local stack's)")
    parser.add_argument(
        "--state-dir", type=state_dir_argument, help="perfstack state directory (run records)"
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="per-query timeout, seconds")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    history = subparsers.add_parser(
        "history",
        help="past runs of a scenario with their summary values",
        description="List the runs of a scenario with the summary each pushed at its end "
        "(read from Prometheus, and from local run records for runs Prometheus lacks).",
        epilog=HISTORY_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(history)
    history.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    history.add_argument(
        "--sli", action="append", default=[], help="only these SLIs (repeatable; default: all)"
    )
    history.add_argument(
        "--name",
        action="append",
        default=[],
        help="also the SLIs of this request name (repeatable; '*' for every name; default: "
        "the whole run only)",
    )
    history.set_defaults(func=cmd_history)

    regressions = subparsers.add_parser(
        "regressions",
        help="change points in a scenario's run history (E-divisive + t-test)",
        description="Find change points in each SLI over a scenario's runs (E-divisive means "
        "with a t-test, as Hunter/Apache Otava), say which are for the worse, and push them "
        "to Prometheus for the PerfstackRegressionDetected alert.",
        epilog=REGRESSIONS_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(regressions)
    regressions.add_argument(
        "--sli", action="append", default=[], help="only these SLIs (repeatable; default: all)"
    )
    regressions.add_argument(
        "--max-pvalue", type=float, default=None, help="significance (default 0.001)"
    )
    regressions.add_argument(
        "--min-magnitude",
        type=float,
        default=None,
        help="smallest relative change reported, 0.05 = 5%% (default 0.05)",
    )
    regressions.add_argument(
        "--recent",
        type=int,
        default=0,
        metavar="N",
        help="only change points whose run after is among the last N runs (default: all)",
    )
    regressions.add_argument(
        "--fail-on-regression",
        action="store_true",
        help="exit 1 when a change point is for the worse",
    )
    regressions.add_argument(
        "--no-push", action="store_true", help="do not push the change points to Prometheus"
    )
    regressions.add_argument(
        "--remote-write", help="where to push (default: PROMETHEUS/api/v1/write)"
    )
    regressions.set_defaults(func=cmd_regressions)


_DAYS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([dw])\s*$")


def parse_since(text: str) -> float:
    """Seconds in `--since`: what parse_duration reads, plus days and weeks (90d, 2w)."""
    days = _DAYS.match(text)
    if days:
        seconds = float(days.group(1)) * 86400 * (7 if days.group(2) == "w" else 1)
        if seconds > 0:
            return seconds
    try:
        return parse_duration(text)
    except DurationError as error:
        raise PerfstackError(
            f"--since {text!r}: {error}, or days/weeks like 90d, 2w", ExitCode.USAGE
        ) from error


def _query(args: argparse.Namespace) -> HistoryQuery:
    since = parse_since(args.since)
    state_dir = Path(args.state_dir) if args.state_dir else default_state_dir()
    url, source = prometheus_url_and_source(args.prometheus, state_dir)
    return HistoryQuery(
        scenario=args.scenario,
        since=since,
        prometheus_url=url,
        state_dir=state_dir,
        source=args.source,
        labels=dict(args.label),
        timeout=args.timeout,
        prometheus_source=source,
    )


def _loaded(args: argparse.Namespace) -> tuple[HistoryQuery, History]:
    query = _query(args)
    history = load_history(query)
    for note in history.notes:
        print(f"perfstack: note: {note}", file=sys.stderr)
    if not history.runs:
        known = [s for s in known_scenarios(query) if s != query.scenario]
        hint = f" (scenarios with runs: {', '.join(known)})" if known else ""
        raise PerfstackError(
            f"--scenario {query.scenario}: no runs since {args.since}{hint}; inconclusive",
            ExitCode.NO_DATA,
        )
    return query, history


def _wanted(history: History, slis: list[str]) -> list[tuple[str, str]]:
    keys = history.keys()
    if not slis:
        return keys
    unknown = sorted(set(slis) - {sli for sli, _ in keys})
    if unknown:
        have = ", ".join(sorted({sli for sli, _ in keys}))
        raise PerfstackError(
            f"--sli {', '.join(unknown)}: not in the history of {history.scenario} "
            f"(it has: {have})",
            ExitCode.NO_DATA,
        )
    return [key for key in keys if key[0] in slis]


def _column(key: tuple[str, str]) -> str:
    return key[0] if not key[1] else f"{key[0]}[{key[1]}]"


def _time(stamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp))


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"


def cmd_history(args: argparse.Namespace) -> int:
    _, history = _loaded(args)
    keys = [
        key
        for key in _wanted(history, args.sli)
        if key[1] == "" or "*" in args.name or key[1] in args.name
    ]
    if args.json:
        body = {
            "scenario": history.scenario,
            "runs": [
                {
                    "testid": run.testid,
                    "end": run.end,
                    "labels": run.labels,
                    "source": run.source,
                    "values": [
                        {"sli": sli, "name": name, "value": run.values[(sli, name)]}
                        for sli, name in keys
                        if (sli, name) in run.values
                    ],
                }
                for run in history.runs
            ],
        }
        print(json.dumps(body, indent=2))
        return int(ExitCode.OK)
    header = ["testid", "end", *(_column(k) for k in keys)]
    rows = [
        [run.testid, _time(run.end), *(_number(run.values.get(k)) for k in keys)]
        for run in history.runs
    ]
    if args.csv:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerows([header, *rows])
        print(out.getvalue(), end="")
        return int(ExitCode.OK)
    from rich.table import Table

    from perfstack.core.terminal import plain_console

    table = Table(title=f"{history.scenario}: {len(history.runs)} runs since {args.since}")
    for column in header:
        table.add_column(column, justify="left" if column in ("testid", "end") else "right")
    for row in rows:
        table.add_row(*row)
    # markup off: a testid or request name with [brackets] prints as it is
    plain_console(width=max(120, 24 * len(header))).print(table)
    return int(ExitCode.OK)


def cmd_regressions(args: argparse.Namespace) -> int:
    from perfstack.history.detect import (
        DEFAULT_MAX_PVALUE,
        DEFAULT_MIN_MAGNITUDE,
        MIN_RUNS,
        detect,
    )

    max_pvalue = DEFAULT_MAX_PVALUE if args.max_pvalue is None else args.max_pvalue
    min_magnitude = DEFAULT_MIN_MAGNITUDE if args.min_magnitude is None else args.min_magnitude
    if not 0 < max_pvalue < 1:
        raise PerfstackError(f"--max-pvalue {max_pvalue}: expected 0 < p < 1", ExitCode.USAGE)
    if min_magnitude < 0:
        raise PerfstackError(f"--min-magnitude {min_magnitude}: expected >= 0", ExitCode.USAGE)
    if args.recent < 0:
        raise PerfstackError(f"--recent {args.recent}: expected N >= 0", ExitCode.USAGE)
    query, history = _loaded(args)
    keys = _wanted(history, args.sli)
    judged = [key for key in keys if len(history.series(key)) >= MIN_RUNS]
    if not judged:
        most = max((len(history.series(key)) for key in keys), default=0)
        raise PerfstackError(
            f"--scenario {history.scenario}: {most} run(s) with a value since {args.since}; the "
            f"detector needs at least {MIN_RUNS}; inconclusive",
            ExitCode.NO_DATA,
        )
    found = detect(history, judged, max_pvalue, min_magnitude)
    if args.recent:
        recent = {run.testid for run in history.runs[-args.recent :]}
        found = [cp for cp in found if cp.run_after.testid in recent]
    worse = [cp for cp in found if cp.direction == "worse"]
    if args.json:
        body = {
            "scenario": history.scenario,
            "runs": len(history.runs),
            "slis_judged": [list(key) for key in judged],
            "change_points": [_finite(cp.to_json()) for cp in found],
            "regressions": len(worse),
        }
        print(json.dumps(body, indent=2))
    else:
        _print_change_points(history, judged, found)
    if found and not args.no_push:
        _push(found, history, query, args)
    return int(ExitCode.GATE_FAIL if worse and args.fail_on_regression else ExitCode.OK)


def _finite(body: dict[str, Any]) -> dict[str, Any]:
    """JSON has no infinity: a change from zero is reported with a null ratio."""
    return {
        k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in body.items()
    }


def _print_change_points(history: History, judged: list[tuple[str, str]], found: list[Any]) -> None:
    print(
        f"{history.scenario}: {len(history.runs)} runs, {len(judged)} SLI series judged, "
        f"{len(found)} change point(s)"
    )
    for cp in found:
        print(
            f"  {cp.direction.upper():6} {_column((cp.sli, cp.name))}: "
            f"{cp.mean_before:.6g} -> {cp.mean_after:.6g} ({cp.change_ratio:+.1%}), "
            f"p={cp.p_value:.2g}, between {cp.run_before.testid} and {cp.run_after.testid} "
            f"({_time(cp.run_after.end)})"
        )


def _push(found: list[Any], history: History, query: HistoryQuery, args: Any) -> None:
    from perfstack.history.summary import push_samples, remote_write_url_of

    series: list[tuple[dict[str, str], float]] = []
    for cp in found:
        labels = {
            "scenario": history.scenario,
            "sli": cp.sli,
            "name": cp.name,
            "direction": cp.direction,
            "run_before": cp.run_before.testid,
            "run_after": cp.run_after.testid,
        }
        ratio = cp.change_ratio if math.isfinite(cp.change_ratio) else 1e9
        series.append(({"__name__": CHANGE_RATIO_METRIC, **labels}, ratio))
        series.append(({"__name__": P_VALUE_METRIC, **labels}, cp.p_value))
    url = args.remote_write or remote_write_url_of(query.prometheus_url)
    try:
        sent, detail = push_samples(url, series, time.time(), args.timeout)
    except PerfstackError as error:
        sent, detail = False, error.message
    if not sent:
        print(f"perfstack: warning: change points not pushed to {url}: {detail}", file=sys.stderr)
