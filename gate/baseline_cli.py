"""`perfstack baseline save|show`: a run's objective values in a file meant to be committed
(`baselines/<name>.json`), the reference for the gate's relative criteria."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gate.arguments import evaluate_from_args, load_rule_file
from gate.baselines import baseline_document
from gate.sources import baseline_path
from gate.verdicts import Status
from perfstack.core.errors import ExitCode, PerfstackError


def cmd_baseline_save(args: argparse.Namespace) -> int:

    rules = load_rule_file(Path(args.rules), args.var)
    rules = dataclasses.replace(rules, baseline=None)
    result = evaluate_from_args(args, rules, collect_intervals=True)
    if result.status is Status.ERROR:
        # a baseline with holes from a Prometheus or query problem would pass later runs
        # silently (an ERROR always has a non-zero exit code)
        failed = next((r for r in result.objectives if r.status is Status.ERROR), None)
        why = f"{failed.objective.name}: {failed.reason}" if failed else result.reason
        raise PerfstackError(f"run {result.testid}: {why}; no baseline saved", result.exit_code())
    if result.reason and "in progress" in result.reason:
        raise PerfstackError(result.reason, ExitCode.NO_DATA)
    document = baseline_document(result, args.name)
    if not document["objectives"]:
        raise PerfstackError(
            f"run {result.testid}: no objective had a value; nothing to save", ExitCode.NO_DATA
        )
    path = baseline_path(args.name, Path(args.baseline_dir))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    missing = [
        e.objective.name
        for e in result.objectives
        if e.objective.name not in document["objectives"]
    ]
    print(
        f"saved baseline {path} from run {result.testid}: {len(document['objectives'])} objectives"
    )
    if missing:
        print(f"perfstack: warning: no value for {', '.join(missing)}", file=sys.stderr)
    return int(ExitCode.OK)


def cmd_baseline_show(args: argparse.Namespace) -> int:
    path = baseline_path(args.name, Path(args.baseline_dir))
    if not path.is_file():
        raise PerfstackError(f"no baseline file {path}", ExitCode.USAGE)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise PerfstackError(f"{path}: not JSON: {error}", ExitCode.USAGE) from error
    print(f"baseline {data.get('name')} from run {data.get('testid')} (rules {data.get('rules')})")
    for name, entry in data.get("objectives", {}).items():
        intervals = entry.get("intervals") or []
        print(
            f"  {name}: {entry.get('value')}"
            + (f"  ({len(intervals)} intervals)" if intervals else "")
        )
    return int(ExitCode.OK)


def register_baseline(
    subparsers: argparse._SubParsersAction[Any],
    window_options: Callable[[argparse.ArgumentParser], None],
) -> None:
    baseline = subparsers.add_parser(
        "baseline", help="save or show baselines for the gate's relative criteria"
    )
    baseline.set_defaults(func=lambda args: (baseline.print_help(), int(ExitCode.USAGE))[1])
    actions = baseline.add_subparsers(dest="baseline_command", metavar="COMMAND")
    save = actions.add_parser("save", help="store a run's objective values as baselines/NAME.json")
    save.add_argument("--rules", required=True, help="rule file whose objectives to store")
    save.add_argument("--name", default="main", help="baseline name (default main) or a .json path")
    window_options(save)
    save.set_defaults(func=cmd_baseline_save)
    show = actions.add_parser("show", help="print a baseline file")
    show.add_argument(
        "name", nargs="?", default="main", help="baseline name or file (default main)"
    )
    show.add_argument("--baseline-dir", default="baselines")
    show.set_defaults(func=cmd_baseline_show)
