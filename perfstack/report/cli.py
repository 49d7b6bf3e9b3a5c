"""`perfstack report --testid X [--baseline-testid Y] -o report.html`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from gate.window import DEFAULT_SETTLE
from perfstack.core.errors import ExitCode, PerfstackError, epilog
from perfstack.core.identity import testid_argument
from perfstack.core.state import default_state_dir, state_dir_argument
from perfstack.history.cli import DEFAULT_SINCE, parse_since
from perfstack.report.data import ReportRequest, gather

EXIT_CODES = epilog(
    {
        ExitCode.OK: "report written",
        ExitCode.USAGE: "invalid arguments or rule file, or Prometheus rejected a query",
        ExitCode.NO_DATA: "no run record, the run still in progress, or no series of the run\n"
        "       in Prometheus (no report is written)",
        ExitCode.PROMETHEUS_UNAVAILABLE: "Prometheus unreachable or answering errors",
        ExitCode.REPORT_NOT_WRITTEN: "the report file could not be written",
        ExitCode.INTERRUPTED: "interrupted",
    }
)


def make_report(request: ReportRequest, output: Path) -> Path:
    """Gather and write the report; an unwritable output is one line naming it, exit 23."""
    # imported here: Bokeh alone is ~1.5 s of CPU, which every `perfstack` command paid
    # at start-up while only a report draws with it
    from perfstack.report.html import write_report

    data = gather(request)
    try:
        return write_report(data, output)
    except OSError as error:
        raise PerfstackError(
            f"-o {output}: could not write the report: {error.strerror or error}",
            ExitCode.REPORT_NOT_WRITTEN,
        ) from error


def _since(text: str) -> float:
    try:
        return parse_since(text)
    except PerfstackError as error:  # its message names perfstack history's --since
        raise PerfstackError(
            f"--history-since {text!r}: expected a duration like 90d, 2w, 12h",
            ExitCode.USAGE,
        ) from error


def cmd_report(args: argparse.Namespace) -> int:
    request = ReportRequest(
        testid=args.testid,
        state_dir=Path(args.state_dir) if args.state_dir else default_state_dir(),
        prometheus=args.prometheus,
        baseline_testid=args.baseline_testid,
        rules=Path(args.rules) if args.rules else None,
        variables=tuple(args.var),
        settle=args.settle,
        timeout=args.timeout,
        baseline_dir=Path(args.baseline_dir),
        history_since=None if args.no_history else _since(args.history_since),
        history_since_text=args.history_since,
    )
    path = make_report(request, Path(args.output))
    print(f"report: {path}")
    return int(ExitCode.OK)


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "report",
        help="write a run's HTML report (verdicts, charts; one offline file)",
        description="Write one self-contained HTML report of a run: the gate's verdicts, "
        "charts over the run's time from Prometheus, the run record's exact figures.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--testid", type=testid_argument, help="the run (default: the last run record)"
    )
    parser.add_argument(
        "--baseline-testid", type=testid_argument, help="overlay and compare another run"
    )
    parser.add_argument("-o", "--output", required=True, metavar="FILE", help="the HTML file")
    parser.add_argument("--rules", help="gate rule file for the verdicts (default: demo preset)")
    parser.add_argument(
        "--var", action="append", default=[], metavar="NAME=VALUE", help="rule variable"
    )
    parser.add_argument("--prometheus", help="Prometheus URL (default: the run record's)")
    parser.add_argument(
        "--state-dir", type=state_dir_argument, help="perfstack state directory (run records)"
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=DEFAULT_SETTLE,
        help=f"seconds after the run end the data reach to (default {DEFAULT_SETTLE:g})",
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="per-query timeout in seconds")
    parser.add_argument(
        "--history-since",
        default=DEFAULT_SINCE,
        metavar="SINCE",
        help="how far back the run-history section looks, as perfstack history's --since "
        f"(default {DEFAULT_SINCE})",
    )
    parser.add_argument(
        "--no-history", action="store_true", help="leave the run-history section out"
    )
    parser.add_argument("--baseline-dir", default="baselines", help=argparse.SUPPRESS)
    parser.set_defaults(func=cmd_report)
