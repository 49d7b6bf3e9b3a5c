"""`perfstack exporter`: watch target processes, push their resources and/or serve /metrics."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Sequence
from types import FrameType
from typing import Any

from exporters.targets import TargetSpec
from perfstack.core.errors import ExitCode, PerfstackError

EPILOG = """targets (repeatable, any mix; each sums its processes and all their children):
  --pid 1234 --target-name api     a process id; followed after a restart by its exact command line
  --cmdline 'uvicorn app:app'      regex on the command line; waits (warning) while nothing matches
  --name '^nginx$'                 regex on the process name
  --port 8000                      the process listening on a TCP port
  -- uvicorn app:app               launch the command; the exporter exits with its exit status
--target-name names the selector just before it (or the launched command when none precedes).
"""


class _Selector(argparse.Action):
    def __call__(self, parser: Any, namespace: Any, values: Any, option: str | None = None) -> None:
        targets = getattr(namespace, "targets", None) or []
        targets.append(TargetSpec(self.dest.removeprefix("select_"), str(values)))
        namespace.targets = targets


class _TargetName(argparse.Action):
    def __call__(self, parser: Any, namespace: Any, values: Any, option: str | None = None) -> None:
        targets = getattr(namespace, "targets", None) or []
        if targets and targets[-1].name is None:
            targets[-1].name = str(values)
        elif getattr(namespace, "launch_name", None) is None and not targets:
            namespace.launch_name = str(values)
        else:
            parser.error(f"--target-name {values}: must follow the selector it names")


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "exporter",
        help="watch target processes (psutil): push resources to Prometheus, serve /metrics",
        description="Sample target processes (children included) and the host every interval; "
        "push by remote write with the run's labels and/or serve /metrics.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    selectors = parser.add_argument_group("targets")
    for flag, metavar, text in (
        ("--pid", "PID", "a process id"),
        ("--name", "REGEX", "regex searched in process names"),
        ("--cmdline", "REGEX", "regex searched in command lines"),
        ("--port", "PORT", "the process listening on this TCP port"),
    ):
        selectors.add_argument(
            flag, dest=f"select_{flag[2:]}", action=_Selector, metavar=metavar, help=text
        )
    selectors.add_argument(
        "--target-name",
        action=_TargetName,
        metavar="NAME",
        help="the `target` label of the selector just before it",
    )
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between samples (1)")
    parser.add_argument("--duration", type=float, help="stop after this many seconds")
    parser.add_argument(
        "--testid",
        default=os.environ.get("PERFSTACK_TESTID", ""),
        help="run id label (default: $PERFSTACK_TESTID, else generated)",
    )
    parser.add_argument(
        "--scenario",
        default=os.environ.get("PERFSTACK_SCENARIO", "adhoc"),
        help="scenario label (default: adhoc)",
    )
    parser.add_argument(
        "--prometheus",
        "--prometheus-url",
        dest="prometheus_url",
        help="Prometheus base URL (default: the local stack)",
    )
    parser.add_argument(
        "--remote-write-url", help="remote-write URL (default: <prometheus-url>/api/v1/write)"
    )
    parser.add_argument("--no-push", action="store_true", help="only serve /metrics")
    parser.add_argument(
        "--buffer-seconds",
        type=float,
        default=300.0,
        help="seconds of samples kept while Prometheus is away (300)",
    )
    parser.add_argument(
        "--listen", metavar="HOST:PORT", help="serve /metrics here (e.g. 127.0.0.1:9105)"
    )
    parser.add_argument("--no-host", action="store_true", help="skip the host-wide metrics")
    parser.add_argument(
        "--no-uss",
        action="store_true",
        help="skip USS (reads /proc/PID/smaps_rollup: the costliest reading)",
    )
    parser.add_argument(
        "--no-connections", action="store_true", help="skip counting network connections"
    )
    parser.add_argument(
        "command", nargs="*", metavar="-- COMMAND", help="launch this command and watch it"
    )
    parser.set_defaults(func=run_exporter, targets=None, launch_name=None)


def parse_listen(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise PerfstackError(f"--listen {text!r}: expected HOST:PORT, e.g. 127.0.0.1:9105")
    return host, int(port)


def build_options(args: argparse.Namespace) -> Any:
    from exporters.runner import ExporterOptions
    from perfstack.core.identity import RunIdentity

    if args.launch_name is not None and not args.command:
        raise PerfstackError("--target-name given before any selector and no -- COMMAND")
    identity = RunIdentity.create(args.scenario, "exporter", testid=args.testid or None)
    remote_write = None
    if not args.no_push:
        remote_write = args.remote_write_url or f"{_prometheus_url(args)}/api/v1/write"
    return ExporterOptions(
        targets=list(args.targets or []),
        command=list(args.command),
        launch_name=args.launch_name,
        interval=args.interval,
        remote_write_url=remote_write,
        push_labels=identity.labels(),
        buffer_seconds=args.buffer_seconds,
        listen=parse_listen(args.listen) if args.listen else None,
        duration=args.duration,
        with_host=not args.no_host,
        with_uss=not args.no_uss,
        with_connections=not args.no_connections,
    )


def _prometheus_url(args: argparse.Namespace) -> str:
    if args.prometheus_url:
        return str(args.prometheus_url).rstrip("/")
    from perfstack.core.settings import prometheus_url_default

    return prometheus_url_default()


def run_exporter(args: argparse.Namespace) -> int:
    from exporters.runner import ExporterRun

    logging.basicConfig(
        level=logging.INFO, format="perfstack exporter: %(message)s", stream=sys.stderr
    )
    options = build_options(args)
    run = ExporterRun(options).start()

    def stop(signum: int, frame: FrameType | None) -> None:
        run.stop_event.set()

    previous = signal.signal(signal.SIGTERM, stop)
    testid = options.push_labels.get("testid", "")
    where = [f"push {options.remote_write_url}"] if options.remote_write_url else []
    if options.listen:
        where.append(f"serving http://{options.listen[0]}:{run.metrics_port}/metrics")
    names = ", ".join(t.spec.name or "?" for t in run.collector.trackers) if run.collector else ""
    print(
        f"perfstack exporter: watching {names} (testid {testid}); {'; '.join(where)}",
        file=sys.stderr,
        flush=True,
    )
    try:
        return run.run()
    except KeyboardInterrupt:
        return ExitCode.OK
    finally:
        signal.signal(signal.SIGTERM, previous)
        run.close()


def main(argv: Sequence[str] | None = None) -> int:
    from perfstack.cli import main as perfstack_main

    return perfstack_main(["exporter", *(argv or [])])
