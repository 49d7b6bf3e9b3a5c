"""`perfstack gate check|lint` and `perfstack baseline save|show`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from gate.alerts_cli import register_alerts
from gate.arguments import evaluate_from_args, load_rule_file, rule_variables
from gate.baseline_cli import register_baseline
from gate.report_json import write_json
from gate.report_junit import write_junit
from gate.report_markdown import CHART_MODES, report_url_argument, write_markdown
from gate.report_table import print_table
from gate.sources import history_dir
from gate.verdicts import GateResult
from gate.window import DEFAULT_SETTLE
from perfstack.core.errors import ExitCode, PerfstackError, epilog
from perfstack.core.identity import testid_argument
from perfstack.core.settings import prometheus_url_default
from perfstack.core.state import default_state_dir, state_dir_argument
from perfstack.history.labels import add_label_argument, run_labels

# the gate's codes in its own words; the numbers come from the one ExitCode enum
EXIT_CODES = epilog(
    {
        ExitCode.OK: "passed (warnings allowed unless --strict)",
        ExitCode.GATE_FAIL: "failed: an objective FAILed (or, with --strict, WARNed)",
        ExitCode.USAGE: "invalid rule file or arguments, or a query needs fixing: Prometheus\n"
        "       rejected it (400/422), or it returned several series (on_multi_series: error)\n"
        "       or series of another run",
        ExitCode.NO_DATA: "no data / inconclusive: an objective had no data, too few samples or\n"
        "       only part of the run's data, every objective was skipped, or the run is still\n"
        "       in progress",
        ExitCode.PROMETHEUS_UNAVAILABLE: "Prometheus unreachable or answering errors (connection,\n"
        "       timeout, 5xx, or a partial answer with warnings)",
        ExitCode.INTERRUPTED: "interrupted",
    }
)


def _rules_path(args: argparse.Namespace) -> Path:
    path = args.rules or args.rules_file
    if path is None:
        raise PerfstackError(
            "give the rule file: perfstack gate check --rules RULES.yaml", ExitCode.USAGE
        )
    return Path(path)


def cmd_check(args: argparse.Namespace) -> int:
    rules = load_rule_file(_rules_path(args), args.var)
    result = evaluate_from_args(args, rules)
    state_dir = Path(args.state_dir) if args.state_dir else default_state_dir()
    print_table(result, verbose=args.verbose)
    if args.json:
        write_json(result, Path(args.json), args.strict)
    if args.junit:
        write_junit(result, Path(args.junit))
    write_markdown(
        result,
        Path(args.markdown) if args.markdown else None,
        chart_mode=args.markdown_charts,
        report_url=args.report_url,
    )
    try:
        write_json(result, history_dir(state_dir) / f"{result.testid}.json", args.strict)
    except OSError as error:
        print(
            f"perfstack: warning: could not keep the result in {history_dir(state_dir)}: {error}",
            file=sys.stderr,
        )
    if not args.no_push:
        _push(result, args)
    return int(result.exit_code(args.strict))


def _push(result: GateResult, args: argparse.Namespace) -> None:
    from gate.feedback import push_verdict

    state_dir = Path(args.state_dir) if args.state_dir else default_state_dir()
    url = (
        args.remote_write
        or (args.prometheus or prometheus_url_default(state_dir)) + "/api/v1/write"
    )
    try:
        sent = push_verdict(result, url, timeout=args.timeout)
    except PerfstackError as error:
        sent, reason = False, error.message
    else:
        reason = "the endpoint did not accept it"
    if not sent:
        print(f"perfstack: warning: verdict not pushed to {url}: {reason}", file=sys.stderr)
    _push_summary(result, args, url)


def _push_summary(result: GateResult, args: argparse.Namespace, url: str) -> None:
    """Objective values (and the target's memory) as the run's summary: perfstack history."""
    from gate.prometheus import PrometheusClient
    from gate.run_summary import push_gate_summary

    state_dir = Path(args.state_dir) if args.state_dir else default_state_dir()
    prometheus = args.prometheus or prometheus_url_default(state_dir)
    labels = {**_run_summary_labels(state_dir, result.testid), **run_labels(args.label)}
    try:
        with PrometheusClient(prometheus, timeout=args.timeout) as client:
            sent, detail = push_gate_summary(result, url, client, labels, timeout=args.timeout)
    except PerfstackError as error:
        sent, detail = False, error.message
    if not sent:
        print(f"perfstack: warning: run summary not pushed to {url}: {detail}", file=sys.stderr)


def _run_summary_labels(state_dir: Path, testid: str) -> dict[str, str]:
    """The labels the run's own summary carries (its record), so the objectives' samples
    join the same series and the same run without repeating --label on the gate."""
    from perfstack.core.record import load_record
    from perfstack.history.summary import summary_of

    try:
        return summary_of(load_record(state_dir, testid))[0]
    except PerfstackError:  # no record (a window given with --start/--end): none kept
        return {}


def cmd_lint(args: argparse.Namespace) -> int:
    from gate.lint import lint_command

    return lint_command(
        Path(args.rules_file), rule_variables(args.var), args.prometheus, args.testid
    )


def _window_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--testid", type=testid_argument, help="the run to judge (default: the last run record)"
    )
    parser.add_argument(
        "--start", help="window start instead of the run record (unix s, ISO time, now-5m)"
    )
    parser.add_argument("--end", help="window end (with --start and --testid)")
    parser.add_argument("--scenario", help="scenario of the run when --start/--end are given")
    parser.add_argument("--prometheus", help="Prometheus URL (default: the local stack's)")
    parser.add_argument(
        "--state-dir", type=state_dir_argument, help="perfstack state directory (run records)"
    )
    parser.add_argument(
        "--var", action="append", default=[], metavar="NAME=VALUE", help="rule variable"
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=DEFAULT_SETTLE,
        help=f"seconds after the run end to evaluate at (default {DEFAULT_SETTLE:g})",
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="per-query timeout in seconds")
    parser.add_argument("--baseline-dir", default="baselines", help="where named baselines live")


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    gate = subparsers.add_parser(
        "gate",
        help="judge a run against SLA rules in Prometheus (CI exit code)",
        description="Judge a run against SLA rules evaluated in Prometheus.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    gate.set_defaults(func=lambda args: (gate.print_help(), int(ExitCode.USAGE))[1])
    commands = gate.add_subparsers(dest="gate_command", metavar="COMMAND")

    check = commands.add_parser(
        "check",
        help="evaluate the rules for a run and exit with the verdict",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("rules_file", nargs="?", metavar="RULES", help="rule file (or --rules)")
    check.add_argument("--rules", help="rule file (YAML)")
    _window_options(check)
    check.add_argument("--baseline", help="baseline name (baselines/NAME.json) or file")
    check.add_argument("--baseline-testid", help="compare against another run still in Prometheus")
    check.add_argument("--baseline-last", type=int, help="compare against the last N passing runs")
    check.add_argument("--baseline-aggregate", choices=("mean", "median", "p90"), default="median")
    check.add_argument("--strict", action="store_true", help="warnings fail the gate (exit 1)")
    check.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also print each objective's resolved query, evaluation time and samples",
    )
    check.add_argument("--json", metavar="FILE", help="write the result as JSON")
    check.add_argument(
        "--junit", metavar="FILE", help="write JUnit XML (one test case per objective)"
    )
    check.add_argument(
        "--markdown",
        metavar="FILE",
        help="write a Markdown report (also appended to $GITHUB_STEP_SUMMARY)",
    )
    check.add_argument(
        "--markdown-charts",
        choices=CHART_MODES,
        default="auto",
        help="Mermaid charts in the Markdown report (auto: on GitHub Actions and GitLab CI,"
        " which draw them)",
    )
    check.add_argument(
        "--report-url",
        type=report_url_argument,
        metavar="URL",
        help="link the Markdown report to the HTML report there (e.g. the CI artifact)",
    )
    check.add_argument(
        "--no-push", action="store_true", help="do not push the verdict to Prometheus"
    )
    check.add_argument(
        "--remote-write", help="where to push the verdict (default: PROMETHEUS/api/v1/write)"
    )
    add_label_argument(check, "run summary the check pushes")
    check.set_defaults(func=cmd_check)

    lint = commands.add_parser(
        "lint",
        help="check a rule file: schema, placeholders, queries, risky patterns",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    lint.add_argument("rules_file", metavar="RULES")
    lint.add_argument("--prometheus", help="also ask this Prometheus to parse every query")
    lint.add_argument("--testid", default="lint-testid", help="testid used to resolve placeholders")
    lint.add_argument(
        "--var", action="append", default=[], metavar="NAME=VALUE", help="rule variable"
    )
    lint.set_defaults(func=cmd_lint)
    register_alerts(commands)
    register_baseline(subparsers, _window_options)
