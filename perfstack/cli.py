"""The one `perfstack` entry point.

Each area owns the module that defines its subcommands; this file only collects them.
A module exposes ``register(subparsers)``, which adds its parsers and sets
``func(args) -> int`` on each of them.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from perfstack import __version__
from perfstack.core.errors import ExitCode, PerfstackError, epilog
from perfstack.core.processes import take_sigint

COMMAND_MODULES = (
    "perfstack.stack.cli",  # up, down, status
    "demo.cli",  # target
    "loadgen.cli",  # run
    "loadgen.ws.cli",  # ws
    "exporters.cli",  # exporter
    "gate.cli",  # gate, baseline
    "perfstack.alerts.cli",  # alerts listen
    "perfstack.demo_run.cli",  # demo
    "perfstack.report.cli",  # report
    "perfstack.pytest_plugin.import_cli",  # import pytest-benchmark
    "perfstack.history.cli",  # history, regressions
    "perfstack.agent.cli",  # agent (vmagent with a disk queue on a generator host)
)


class OneLineErrorParser(argparse.ArgumentParser):
    """A bad flag is one line, like every other error, and exit 2; the usage is one
    `--help` away instead of 14-21 lines above the message in a CI log."""

    def error(self, message: str) -> NoReturn:
        self.exit(ExitCode.USAGE, f"perfstack: error: {message} (see: {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(
        prog="perfstack",
        description="Performance tests on Prometheus: load, live dashboards, a CI gate.",
        epilog=epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"perfstack {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    take_sigint()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return ExitCode.USAGE
    return run_command(args)


def run_command(args: argparse.Namespace) -> int:
    """Run the parsed command: an error is one line on stderr and its exit code."""
    try:
        return int(args.func(args))
    except PerfstackError as error:
        print(f"perfstack: error: {error.message}", file=sys.stderr)
        return int(error.exit_code)
    except KeyboardInterrupt:
        print("perfstack: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)


if __name__ == "__main__":
    sys.exit(main())
