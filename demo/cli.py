"""`perfstack target` (and `python -m demo`): run the demo target in the foreground."""

from __future__ import annotations

import argparse
from typing import Any

from demo.knobs import KnobError, Knobs, count, parse_knobs
from demo.server import TargetOptions, serve
from perfstack.core.errors import ExitCode, PerfstackError

# Knob name -> flag. Values are read as strings and checked by the knob parsers, so a bad
# value is one `perfstack: error:` line naming the flag (not argparse's usage dump).
KNOB_FLAGS = {
    "latency_ms": "--latency-ms",
    "error_ratio": "--error-ratio",
    "leak_bytes_per_second": "--leak-bytes-per-second",
    "stall_seconds": "--stall-seconds",
    "ws_typing_delay_ms": "--ws-typing-delay-ms",
    "ws_max_connections": "--ws-max-connections",
    "latency_distribution": "--latency-distribution",
    "flaky_ratio": "--flaky-ratio",
    "cache_size": "--cache-size",
}
_HELP = {
    "latency_ms": "milliseconds added to every /api request (default 0)",
    "error_ratio": "share of /api requests answering 500, 0..1 (default 0)",
    "leak_bytes_per_second": "bytes retained per second, e.g. 20MB or 512KiB (default 0)",
    "stall_seconds": "start stalled: answer nothing but /admin for N seconds (default 0)",
    "ws_typing_delay_ms": "delay before each /ws/chat reply in ms (default 0)",
    "ws_max_connections": "refuse WebSocket connections beyond N open ones; 0 = no cap",
    "latency_distribution": "shape of /api/latency: fixed:MS, uniform:LOW:HIGH, "
    "lognormal:MEDIAN:SIGMA, exponential:MEAN (ms; default lognormal:20:0.5)",
    "flaky_ratio": "share of /api/flaky requests answering 503, 0..1 (default 0.1)",
    "cache_size": "LRU entries in front of /api/items/{id} lookups (default 100)",
}


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", default="8000", help="port to bind; 0 picks a free one")
    for knob, flag in KNOB_FLAGS.items():
        parser.add_argument(flag, dest=knob, metavar="VALUE", help=_HELP[knob])
    parser.add_argument(
        "--seed", metavar="N", help="random seed for latency, error and flaky draws"
    )
    parser.add_argument(
        "--seed-items", default="100", metavar="N", help="items created at start (100)"
    )
    parser.add_argument(
        "--state-dir",
        metavar="DIR",
        help="register in DIR/targets/ for the local Prometheus "
        "(default: $PERFSTACK_STATE_DIR or ./.perfstack when it exists)",
    )
    parser.add_argument(
        "--no-register", action="store_true", help="never write a file_sd registration"
    )
    parser.add_argument(
        "--name", default="demo-target", help="service label and registration file name"
    )


def _flag_error(flag: str, problem: str) -> PerfstackError:
    return PerfstackError(f"{flag}: {problem}", ExitCode.USAGE)


def options_from_args(args: argparse.Namespace) -> TargetOptions:
    given = {k: getattr(args, k) for k in KNOB_FLAGS if getattr(args, k, None) is not None}
    try:
        parsed = parse_knobs(given)
        port = count("--port", args.port)
        seed_items = count("--seed-items", args.seed_items)
        seed = None if args.seed is None else count("--seed", args.seed)
    except KnobError as error:
        raise _flag_error(KNOB_FLAGS.get(error.knob, error.knob), error.problem) from None
    if port > 65535:
        raise _flag_error("--port", f"expected 0..65535, got {args.port}")
    if not args.name or "/" in args.name:
        raise _flag_error("--name", f"expected a plain name, got {args.name!r}")
    stall = float(parsed.pop("stall_seconds", 0.0))
    return TargetOptions(
        host=args.host,
        port=port,
        knobs=Knobs().updated(parsed),
        stall_seconds=stall,
        seed=seed,
        seed_items=seed_items,
        state_dir=args.state_dir,
        register=not args.no_register,
        name=args.name,
    )


def run_target(args: argparse.Namespace) -> int:
    return serve(options_from_args(args))


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "target",
        help="run the demo target (HTTP + WebSocket with latency/error/leak/stall knobs)",
        description="Run the demo target in the foreground. Knobs can be changed while it "
        "runs with GET/POST /admin/knobs (see docs/demo-target.md).",
    )
    add_target_arguments(parser)
    parser.set_defaults(func=run_target)
