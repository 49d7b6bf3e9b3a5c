"""`python -m perfstack.kubernetes.gate_after_run --testid ID [--prometheus URL]
[--wait-timeout 2h] -- GATE CHECK ARGS`: the gate Job's entry point.

The gate Job is created with the master's, so it must not judge before the run has ended.
It waits in the store, not on the Kubernetes API (which would need a Role to read Jobs):
the master pushes `loadgen_run_end_timestamp_seconds` (0 until the run ends) in its last
push, after every worker's final report, so once the store holds a non-zero end, the run's
data is complete. It then waits the gate's settle time past that end and runs `perfstack
gate check` over the window the store states (`--testid --start --end --scenario`): the
record the master wrote stays in the master's pod.

Fails closed: no end within --wait-timeout is NO_DATA (exit 3), a store that cannot be
reached the whole time or does not speak the Prometheus API is exit 4, never a pass.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gate.prometheus import PrometheusClient, PrometheusUnavailable, QueryRejected
from gate.window import DEFAULT_SETTLE
from perfstack.cli import main as perfstack_main
from perfstack.cli import run_command
from perfstack.core.durations import duration_argument
from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.core.identity import testid_argument
from perfstack.core.settings import prometheus_url_default

# how far back the store is asked for the run: a testid is meant to name one run only
LOOKBACK = "1d"
POLL_SECONDS = 5.0
# flags this command sets on `gate check` itself, from what the store says
OWN_FLAGS = ("--testid", "--start", "--end", "--scenario", "--prometheus")
# an answer from something that is not a Prometheus API (a wrong path, another service)
_CLIENT_ERROR = re.compile(r"answered HTTP 4\d\d")


@dataclass(frozen=True)
class RunSpan:
    start: float
    end: float
    scenario: str


def run_span(client: PrometheusClient, testid: str, now: float) -> RunSpan | None:
    """The run's start, end and scenario as its generators pushed them; None until the end
    is there."""
    selector = f'{{testid="{testid}"}}'

    def value(query: str) -> float | None:
        series = client.instant(query, now)
        return series[0].value if series else None

    end = value(f"max(last_over_time(loadgen_run_end_timestamp_seconds{selector}[{LOOKBACK}])) > 0")
    if end is None:
        return None
    start = value(
        f"min(last_over_time(loadgen_run_start_timestamp_seconds{selector}[{LOOKBACK}]) > 0)"
    )
    if start is None or not start < end:
        raise PerfstackError(
            f"run {testid}: the store at {client.url} holds its end ({end:.3f}) but no start "
            "before it: cannot tell the run's window",
            ExitCode.NO_DATA,
        )
    info = client.instant(f"last_over_time(loadgen_run_info{selector}[{LOOKBACK}])", now)
    scenarios = sorted({series.labels.get("scenario", "") for series in info} - {""})
    return RunSpan(start, end, scenarios[0] if scenarios else "adhoc")


def wait_for_run(
    client: PrometheusClient,
    testid: str,
    timeout: float,
    poll: float = POLL_SECONDS,
    settle: float = DEFAULT_SETTLE,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> RunSpan:
    """Poll until the store holds the run's end, then until `settle` seconds past it."""
    deadline = clock() + timeout
    unavailable = ""
    while True:
        try:
            span = run_span(client, testid, clock())
            unavailable = ""
        except QueryRejected as error:
            raise PerfstackError(
                f"the store at {client.url} rejected a PromQL query ({error}): is it "
                "Prometheus-compatible?",
                ExitCode.PROMETHEUS_UNAVAILABLE,
            ) from error
        except PrometheusUnavailable as error:
            if _CLIENT_ERROR.search(str(error)):
                raise PerfstackError(
                    f"{error}: is PERFSTACK_PROMETHEUS_URL the store's Prometheus API?",
                    ExitCode.PROMETHEUS_UNAVAILABLE,
                ) from error
            span, unavailable = None, str(error)  # the store may still be starting: retry
        if span is not None:
            remaining = span.end + settle - clock()
            if remaining > 0:
                sleep(remaining)
            return span
        if clock() >= deadline:
            if unavailable:
                raise PerfstackError(
                    f"{unavailable} (for the whole {timeout:g}s waited for run {testid})",
                    ExitCode.PROMETHEUS_UNAVAILABLE,
                )
            raise PerfstackError(
                f"run {testid} has no end in the store at {client.url} after {timeout:g}s: "
                "it has not finished (see the master Job's log), or it pushed elsewhere",
                ExitCode.NO_DATA,
            )
        sleep(min(poll, max(0.0, deadline - clock())))


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m perfstack.kubernetes.gate_after_run",
        description="Wait until the store holds the run's end, then run `perfstack gate "
        "check` over it; the arguments after `--` go to gate check (docs/kubernetes.md).",
    )
    parser.add_argument("--testid", required=True, type=testid_argument, help="the run")
    parser.add_argument(
        "--prometheus", help="the store's Prometheus API (default: $PERFSTACK_PROMETHEUS_URL)"
    )
    parser.add_argument(
        "--wait-timeout",
        type=duration_argument,
        default=7200.0,
        help="give up (NO_DATA, exit 3) when the run has not ended by then (default 2h)",
    )
    parser.add_argument(
        "--poll", type=duration_argument, default=POLL_SECONDS, help=argparse.SUPPRESS
    )
    parser.add_argument("gate_args", nargs=argparse.REMAINDER, help="-- then gate check flags")
    return parser


def run(args: argparse.Namespace) -> int:
    gate_args = list(args.gate_args)
    if gate_args[:1] == ["--"]:
        gate_args = gate_args[1:]
    for flag in gate_args:
        if flag.split("=")[0] in OWN_FLAGS:
            raise PerfstackError(
                f"{flag.split('=')[0]}: set by this command from the store; drop it after `--`",
                ExitCode.USAGE,
            )
    url = (args.prometheus or prometheus_url_default()).rstrip("/")
    with PrometheusClient(url) as client:
        print(f"perfstack: waiting for the end of run {args.testid} in {url}", flush=True)
        span = wait_for_run(client, args.testid, args.wait_timeout, args.poll)
    print(
        f"perfstack: run {args.testid} ({span.scenario}) ran {span.start:.3f} .. {span.end:.3f}; "
        "judging it",
        flush=True,
    )
    return perfstack_main(
        [
            "gate",
            "check",
            f"--testid={args.testid}",
            f"--start={span.start:.3f}",
            f"--end={span.end:.3f}",
            f"--scenario={span.scenario}",
            f"--prometheus={url}",
            *gate_args,
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    args.func = run
    return run_command(args)


if __name__ == "__main__":
    sys.exit(main())
