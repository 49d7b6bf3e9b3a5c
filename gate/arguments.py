"""From parsed command-line arguments to loaded rules and a judged window: shared by
`gate check` and `baseline save`, which judge a run the same way."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from gate.evaluate import Gate
from gate.model import BaselineSpec, RuleSet
from gate.prometheus import PrometheusClient
from gate.rules import load_rules
from gate.sources import baseline_source
from gate.verdicts import GateResult
from gate.window import parse_time, window_for
from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.core.settings import prometheus_url_and_source
from perfstack.core.state import default_state_dir


def rule_variables(pairs: list[str]) -> dict[str, str]:
    values = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise PerfstackError(f"--var {pair!r}: expected name=value", ExitCode.USAGE)
        values[name] = value
    return values


def load_rule_file(path: Path, pairs: list[str]) -> RuleSet:
    try:
        return load_rules(path, rule_variables(pairs))
    except ValueError as error:
        raise PerfstackError(f"{path}: {error}", ExitCode.USAGE) from error


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
    url, source = prometheus_url_and_source(args.prometheus, state_dir)
    start = parse_time(args.start, "--start") if args.start else None
    end = parse_time(args.end, "--end") if args.end else None
    window = window_for(state_dir, args.testid, start, end, args.scenario, args.settle)
    with PrometheusClient(url, timeout=args.timeout) as client:
        # bad arguments first (exit 2), then a URL that is no store: one line, not a table
        # of ERROR verdicts
        client.require_query_api(source)
        gate = Gate(client, rules)
        gate.collect_intervals = collect_intervals
        spec = _baseline_spec(args, rules) if hasattr(args, "baseline") else None
        gate.baseline = baseline_source(
            spec, gate, client, state_dir, Path(args.baseline_dir), window
        )
        return gate.evaluate(window)
