"""`python -m demo`: the same as `perfstack target`, without loading the other areas."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from demo.cli import add_target_arguments, run_target
from perfstack.core.errors import ExitCode, PerfstackError


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description="Run the demo target.")
    add_target_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run_target(args)
    except PerfstackError as error:
        print(f"perfstack: error: {error.message}", file=sys.stderr)
        return int(error.exit_code)
    except KeyboardInterrupt:
        return int(ExitCode.INTERRUPTED)


if __name__ == "__main__":
    sys.exit(main())
