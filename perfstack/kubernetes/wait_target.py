"""`python -m perfstack.kubernetes.wait_target --url URL [--timeout 5m] -- COMMAND...`:
wait until the target answers HTTP, then become COMMAND (the master Job's `perfstack run`).

A test applied together with the system under test (the example's demo target, or a
service the same pipeline deploys) would otherwise start its users against a target
that is not listening yet, and count the refused connections as the target's errors.
Any HTTP answer counts (the target is up; judging its answers is the gate's job). The
command replaces this process, so the container's exit code stays the command's.

Not an initContainer: a pod whose init container failed never runs its main container,
and CI reading the master's exit code would wait for one that never comes.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence

import httpx

from loadgen.target_url import validate_target
from perfstack.core.durations import duration_argument
from perfstack.core.errors import ExitCode, PerfstackError


def wait_for_target(
    url: str,
    timeout: float,
    poll: float = 1.0,
    clock: Callable[[], float] = time.monotonic,
) -> float:
    """Seconds until `url` answered HTTP; SERVICE_START_FAILED when it did not in time."""
    started = clock()
    last = ""
    with httpx.Client(timeout=min(5.0, max(timeout, 0.1)), trust_env=False) as client:
        while True:
            try:
                client.get(url)
                return clock() - started
            except httpx.HTTPError as error:
                last = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            if clock() - started >= timeout:
                raise PerfstackError(
                    f"target {url} did not answer within {timeout:g}s (last: {last})",
                    ExitCode.SERVICE_START_FAILED,
                )
            time.sleep(poll)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m perfstack.kubernetes.wait_target",
        description="Wait until the target answers HTTP, then run the command after `--`.",
    )
    parser.add_argument("--url", required=True, help="the target's base URL")
    parser.add_argument(
        "--timeout",
        type=duration_argument,
        default=300.0,
        help="give up (exit 12) when it has not answered by then (default 5m)",
    )
    parser.add_argument("--poll", type=duration_argument, default=1.0, help=argparse.SUPPRESS)
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    command = list(args.command)
    if command[:1] == ["--"]:
        command = command[1:]
    try:
        if not command:
            raise PerfstackError("give the command to run after `--`", ExitCode.USAGE)
        url = validate_target(args.url, allow_remote=True, flag="--url")
        waited = wait_for_target(url, args.timeout, args.poll)
    except PerfstackError as error:
        print(f"perfstack: error: {error.message}", file=sys.stderr)
        return int(error.exit_code)
    print(
        f"perfstack: target {url} answered after {waited:.1f}s; starting {command[0]}", flush=True
    )
    os.execvp(command[0], command)


if __name__ == "__main__":
    sys.exit(main())
