"""`perfstack gate check|lint` and `perfstack baseline save|show`."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

from gate.baseline_cli import register_baseline
from gate.evaluate import Gate
from gate.model import BaselineSpec, RuleSet
from gate.prometheus import PrometheusClient
from gate.report_json import write_json
from gate.report_junit import write_junit
from gate.report_markdown import write_markdown
from gate.report_table import print_table
from gate.rules import load_rules
from gate.sources import baseline_source, history_dir
from gate.verdicts import GateResult
from gate.window import DEFAULT_SETTLE, parse_time, window_for
from perfstack.errors import ExitCode, PerfstackError
from perfstack.stack_settings import prometheus_url_default
from perfstack.state import default_state_dir, state_dir_argument

EXIT_CODES = """exit codes:
  0  passed (warnings allowed unless --strict)
  1  failed: an objective FAILed (or, with --strict, WARNed)
  2  invalid rule file or arguments, or a query needs fixing: Prometheus rejected it
     (400/422), or it returned several series (on_multi_series: error) or series of
     another run
  3  no data / inconclusive: an objective had no data or too few samples, or the run is
     still in progress
  4  Prometheus unreachable or answering errors (connection, timeout, 5xx, or a partial
     answer with warnings)
"""


def _variables(pairs: list[str]) -> dict[str, str]:
    values = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise PerfstackError(f"--var {pair!r}: expected name=value", ExitCode.USAGE)
        values[name] = value
    return values


def load_rule_file(path: Path, pairs: list[str]) -> RuleSet:
    try:
        return load_rules(path, _variables(pairs))
    except ValueError as error:
        raise PerfstackError(f"{path}: {error}", ExitCode.USAGE) from error


def _rules_path(args: argparse.Namespace) -> Path:
    path = args.rules or args.rules_file
    if path is None:
        raise PerfstackError(
            "give the rule file: perfstack gate check --rules RULES.yaml", ExitCode.USAGE
        )
    return Path(path)


def _baseline_spec(args: argparse.Namespace, rules: RuleSet) -> BaselineSpec | None:
    given = [
        flag for flag in ("baseline", "baseline_testid", "baseline_last") if getattr(args, flag)
    ]
    if len(given) > 1:
        raise PerfstackError(
            "give only one of --baseline, --baseline-testid, --baseline-last", ExitCode.USAGE
        )
    if args.baseline:
        return BaselineSpec(file=args.baseline)
    if args.baseline_testid:
        return BaselineSpec(testid=args.baseline_testid)
    if args.baseline_last:
        if args.baseline_last < 1:
            raise PerfstackError("--baseline-last must be at least 1", ExitCode.USAGE)
        return BaselineSpec(last=args.baseline_last, aggregate=args.baseline_aggregate)
    return rules.baseline


def evaluate_from_args(
    args: argparse.Namespace, rules: RuleSet, collect_intervals: bool = False
) -> GateResult:
    if not (math.isfinite(args.settle) and args.settle >= 0):
        # NaN would crash at query time; a negative settle judges before the run's end
        raise PerfstackError(
            f"--settle {args.settle:g}: expected seconds, 0 or more", ExitCode.USAGE
        )
    state_dir = Path(args.state_dir) if args.state_dir else default_state_dir()
    url = args.prometheus or prometheus_url_default(state_dir)
    start = parse_time(args.start, "--start") if args.start else None
    end = parse_time(args.end, "--end") if args.end else None
    window = window_for(state_dir, args.testid, start, end, args.scenario, args.settle)
    with PrometheusClient(url, timeout=args.timeout) as client:
        gate = Gate(client, rules)
        gate.collect_intervals = collect_intervals
        spec = _baseline_spec(args, rules) if hasattr(args, "baseline") else None
        gate.baseline = baseline_source(
            spec, gate, client, state_dir, Path(args.baseline_dir), window
        )
        return gate.evaluate(window)


def cmd_check(args: argparse.Namespace) -> int:
    rules = load_rule_file(_rules_path(args), args.var)
    result = evaluate_from_args(args, rules)
    state_dir = Path(args.state_dir) if args.state_dir else default_state_dir()
    print_table(result)
    if args.json:
        write_json(result, Path(args.json), args.strict)
    if args.junit:
        write_junit(result, Path(args.junit))
    write_markdown(result, Path(args.markdown) if args.markdown else None)
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


def cmd_lint(args: argparse.Namespace) -> int:
    from gate.lint import lint_command

    return lint_command(Path(args.rules_file), _variables(args.var), args.prometheus, args.testid)


def _window_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--testid", help="the run to judge (default: the last run record)")
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
        "--no-push", action="store_true", help="do not push the verdict to Prometheus"
    )
    check.add_argument(
        "--remote-write", help="where to push the verdict (default: PROMETHEUS/api/v1/write)"
    )
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
    register_baseline(subparsers, _window_options)
