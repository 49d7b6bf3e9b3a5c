"""`python -m loadgen.ws ...`: the same as `perfstack ws ...`, without loading the other
commands (some of them import Locust, whose gevent monkey-patching must stay out of an
asyncio process)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from loadgen.ws import cli
from perfstack.cli import OneLineErrorParser, run_command


def main(argv: Sequence[str] | None = None) -> int:
    parser = OneLineErrorParser(prog="perfstack")
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["ws", *(sys.argv[1:] if argv is None else argv)])
    return run_command(args)


if __name__ == "__main__":
    sys.exit(main())
