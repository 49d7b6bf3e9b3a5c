"""`perfstack gate alerts RULES [-o FILE] [--tests FILE]`: Prometheus alerting rules (and
their promtool tests) generated from a gate rule file."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from gate.alert_rules import AlertSet, build_alerts, render_rules, uses_shorthand
from gate.alert_tests import render_tests
from gate.arguments import load_rule_file
from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.mixin.config import OBJECTIVE_THRESHOLD


def default_tests_path(rules_path: Path) -> Path:
    """`team.rules.yml` -> `team_test.yaml` beside it (the repo's tests/rules naming)."""
    stem = rules_path.name
    for suffix in (".yml", ".yaml", ".rules"):
        stem = stem.removesuffix(suffix)
    return rules_path.with_name(f"{stem}_test.yaml")


def _write(path: Path, text: str, what: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise PerfstackError(
            f"{what} {path}: cannot write it ({error.strerror or error})", ExitCode.USAGE
        ) from error


def summary_lines(alerts: AlertSet) -> list[str]:
    count = sum(len(a.rules) for a in alerts.alerts)
    lines = [
        f"{count} alerting rules for {len(alerts.alerts)} of {len(alerts.rules.objectives)} "
        f"objectives of {alerts.rules.name}"
    ]
    lines.append(
        f"{len(alerts.thresholds)} pass/warn levels published as {OBJECTIVE_THRESHOLD} "
        "(the dashboards' threshold lines)"
    )
    lines += [f"not an alert: {o.name}: {why}" for o, why in alerts.skipped]
    lines += [f"partly alerted: {o.name}: {why}" for o, why in alerts.notes]
    untested = [a.objective.name for a in alerts.alerts if not uses_shorthand(a.objective)]
    if untested:
        lines.append(
            "no generated promtool test (raw query or live_query, your metrics): "
            + ", ".join(untested)
        )
    return lines


def cmd_alerts(args: argparse.Namespace) -> int:
    rules = load_rule_file(Path(args.rules_file), args.var)
    alerts = build_alerts(rules)
    text = render_rules(alerts)
    tests_path = Path(args.tests) if args.tests else None
    if args.output:
        output = Path(args.output)
        _write(output, text, "-o")
        tests_path = tests_path or default_tests_path(output)
        rules_ref = os.path.relpath(output.resolve(), tests_path.resolve().parent)
    else:
        sys.stdout.write(text)
        rules_ref = "RULES_FILE"  # the user saves stdout somewhere: they name it here
    if tests_path is not None:
        _write(tests_path, render_tests(alerts, rules_ref), "--tests")
    for line in summary_lines(alerts):
        print(f"perfstack: {line}", file=sys.stderr)
    if args.output:
        print(f"perfstack: wrote {args.output}", file=sys.stderr)
    if tests_path is not None:
        print(f"perfstack: wrote {tests_path} (promtool test rules {tests_path})", file=sys.stderr)
    return int(ExitCode.OK)


def register_alerts(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    alerts = commands.add_parser(
        "alerts",
        help="generate Prometheus alerting rules (and promtool tests) from a rule file",
        description="Alerting rules from the rule file's pass/warn levels and sustained "
        "windows, over the live gate's queries; objectives that cannot be an alert are "
        "listed with the reason. Exit 0, or 2 for an invalid rule file or an unwritable "
        "output.",
    )
    alerts.add_argument("rules_file", metavar="RULES")
    alerts.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write the rules here (default: stdout); the tests go beside it as NAME_test.yaml",
    )
    alerts.add_argument("--tests", metavar="FILE", help="write the promtool tests here")
    alerts.add_argument(
        "--var", action="append", default=[], metavar="NAME=VALUE", help="rule variable"
    )
    alerts.set_defaults(func=cmd_alerts)
