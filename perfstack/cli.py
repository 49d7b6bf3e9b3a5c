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

from perfstack import __version__
from perfstack.errors import ExitCode, PerfstackError

COMMAND_MODULES = (
    "perfstack.stack_cli",  # up, down, status
    "demo.cli",  # target
    "loadgen.cli",  # run
    "loadgen.ws.cli",  # ws
    "exporters.cli",  # exporter
    "gate.cli",  # gate, baseline
    "perfstack.alerts_cli",  # alerts listen
    "perfstack.demo_cli",  # demo
)

EPILOG = """exit codes:
  0 success / gate passed    1 gate failed             2 invalid arguments or files
  3 gate: no data            4 Prometheus unreachable  10 binary missing
  11 port in use             12 service failed to start 13 locustfile import error
  14 unknown scenario        15 bad target URL          16 bad config file
  17 target process not found  18 stack not (fully) running
  19 alerts listen: timed out before the expected notifications
  20 permission denied reading a target process
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="perfstack",
        description="Performance tests on Prometheus: load, live dashboards, a CI gate.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"perfstack {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return ExitCode.USAGE
    try:
        return int(args.func(args))
    except PerfstackError as error:
        print(f"perfstack: error: {error.message}", file=sys.stderr)
        return int(error.exit_code)
    except KeyboardInterrupt:
        print("perfstack: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
