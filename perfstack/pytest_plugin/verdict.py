"""The gate's verdict as the fixtures hand it to a test: judged exactly as `perfstack gate
check` judges (its own argument parser, rule loading, evaluation, history file and verdict
push), with the gate's table as the explanation a failing assertion shows.

`assert verdict.passed` fails closed like the gate's exit code: only an exit code of 0
passes (PASS, or WARN unless strict); FAIL, NO_DATA and ERROR never do.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from gate.arguments import evaluate_from_args, load_rule_file
from gate.cli import register as register_gate
from gate.feedback import push_verdict
from gate.report_json import write_json
from gate.report_table import print_table, why
from gate.sources import history_dir
from gate.verdicts import GateResult, Status
from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.core.settings import prometheus_url_default
from perfstack.core.state import default_state_dir

EXPLANATION_WIDTH = 100
SUMMARY_LIMIT = 200  # pytest cuts a value's repr at 240 characters in an assertion's story


@dataclass(frozen=True)
class Verdict:
    result: GateResult
    strict: bool = False
    explanation: str = ""  # the gate's table, as `perfstack gate check` prints it

    @property
    def status(self) -> Status:
        return self.result.status

    @property
    def exit_code(self) -> int:
        return int(self.result.exit_code(self.strict))

    @property
    def passed(self) -> bool:
        return self.exit_code == ExitCode.OK

    @property
    def summary(self) -> str:
        """One line: the verdict, then every objective that did not pass and why."""
        parts = [f"gate {self.status} for {self.result.testid} ({self.result.reason})"]
        for entry in self.result.objectives:
            if entry.status is not Status.PASS:
                parts.append(f"{entry.objective.name} {entry.status}: {why(entry)}")
        text = "; ".join(parts)
        return text if len(text) <= SUMMARY_LIMIT else text[: SUMMARY_LIMIT - 3] + "..."

    def __repr__(self) -> str:
        # what pytest prints for `assert run.verdict.passed`: the why, not the object's fields
        return f"<Verdict {self.summary}>"

    __str__ = __repr__


def gate_check_args(argv: list[str]) -> argparse.Namespace:
    """`perfstack gate check ARGV` parsed by the gate's own parser; a bad flag is one
    PerfstackError line (exit 2) instead of argparse's exit."""
    parser = argparse.ArgumentParser(prog="perfstack")
    register_gate(parser.add_subparsers(dest="command"))
    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors):
            return parser.parse_args(["gate", "check", *argv])
    except SystemExit:
        last = (errors.getvalue().strip().splitlines() or ["invalid arguments"])[-1]
        raise PerfstackError(
            f"gate arguments {' '.join(argv)}: {last.removeprefix('perfstack gate check: ')}",
            ExitCode.USAGE,
        ) from None


def judge(argv: list[str], strict: bool = False, push: bool = True) -> Verdict:
    """Judge as `perfstack gate check ARGV` does; PerfstackError for bad rules or flags."""
    args = gate_check_args(argv)
    strict = strict or args.strict  # `--strict` among the flags means the same
    rules = load_rule_file(Path(args.rules or args.rules_file), args.var)
    result = evaluate_from_args(args, rules)
    state_dir = Path(args.state_dir) if args.state_dir else default_state_dir()
    with contextlib.suppress(OSError):  # what --baseline-last reads, as after `gate check`
        write_json(result, history_dir(state_dir) / f"{result.testid}.json", strict)
    if push and not args.no_push:
        _push(result, args, state_dir)
    table = io.StringIO()
    print_table(result, file=table, width=EXPLANATION_WIDTH)
    return Verdict(result, strict, table.getvalue())


def _push(result: GateResult, args: argparse.Namespace, state_dir: Path) -> None:
    """The verdict back into Prometheus as gate_* series; a failed push is a warning on
    stderr and never changes the verdict (as in `gate check`)."""
    prometheus = (args.prometheus or prometheus_url_default(state_dir)).rstrip("/")
    url = args.remote_write or f"{prometheus}/api/v1/write"
    try:
        sent, reason = push_verdict(result, url, timeout=args.timeout), "not accepted"
    except PerfstackError as error:
        sent, reason = False, error.message
    if not sent:
        print(f"perfstack: warning: verdict not pushed to {url}: {reason}", file=sys.stderr)


def wait_for_settle(end: float, settle: float) -> None:
    """Right after a run its last pushes may still be on their way: the gate evaluates at
    end + settle, so wait until then (as `perfstack report` does)."""
    time.sleep(max(0.0, min(settle, end + settle - time.time())))
