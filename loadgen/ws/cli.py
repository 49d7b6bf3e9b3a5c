"""`perfstack ws`: WebSocket load from one asyncio process (registered by perfstack.cli)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from loadgen.ws.config import MODES
from loadgen.ws.options import build_run_config
from loadgen.ws.runner import WsRunOptions, run_ws
from loadgen.ws.summary_text import render_summary
from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.core.identity import testid_argument, validate_scenario_name
from perfstack.core.settings import prometheus_url_default
from perfstack.core.state import default_state_dir, state_dir_argument
from perfstack.history.labels import add_label_argument, run_labels
from perfstack.history.summary import push_run_summary
from perfstack.push.pusher import refused_writes_error


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "ws",
        help="WebSocket load: sessions, connection limit, throughput, typing delay, stability",
        description="Open WebSocket connections to a target on this machine, exchange "
        "correlated messages, push metrics to Prometheus and write a run record.",
    )
    target = parser.add_argument_group("target and run")
    target.add_argument(
        "--url", help="ws:// or wss:// URL (127.0.0.1/localhost unless --allow-remote-host)"
    )
    target.add_argument("--scenario", help="scenario YAML file with a websocket: section")
    target.add_argument(
        "--scenario-name",
        type=validate_scenario_name,
        help="scenario label (default: the file's name or adhoc)",
    )
    target.add_argument("--mode", choices=MODES, help="what to measure (default: session)")
    target.add_argument(
        "--connections",
        type=_positive_int,
        help="connections to open (default 10; connection-limit 10000)",
    )
    target.add_argument(
        "--ramp",
        type=_positive_float,
        help="connections opened per second (default 100; connection-limit 200)",
    )
    target.add_argument(
        "--duration",
        help="run length incl. the ramp, e.g. 30s or 2m (default 30s; connection-limit 5m)",
    )
    target.add_argument(
        "--allow-remote-host",
        action="store_true",
        help="allow a host other than 127.0.0.1/localhost",
    )
    conn = parser.add_argument_group("connection")
    conn.add_argument(
        "--header",
        action="append",
        metavar="NAME:VALUE",
        help="extra handshake header (repeatable)",
    )
    conn.add_argument("--subprotocol", action="append", help="offered subprotocol (repeatable)")
    conn.add_argument("--token", help="bearer token for the handshake (prefer --token-env)")
    conn.add_argument(
        "--token-env", metavar="VAR", help="read the bearer token from this environment variable"
    )
    conn.add_argument(
        "--ca-file",
        metavar="PEM",
        help="certificates to trust for a wss:// URL instead of the system's (e.g. a test CA)",
    )
    conn.add_argument("--connect-timeout", help="connect + handshake timeout (default 10s)")
    conn.add_argument(
        "--ping-interval", help="client keepalive pings (default off: one more task per connection)"
    )
    conn.add_argument(
        "--session-duration",
        help="close and reopen each connection after this long (default: hold)",
    )
    conn.add_argument(
        "--reconnect",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="reconnect with backoff after an unexpected close (default: on in stability mode)",
    )
    msg = parser.add_argument_group("messages")
    msg.add_argument(
        "--template",
        help="message text with an {id} placeholder (also {payload}, {conn}, {seq}); "
        'default {"id": "{id}", "text": "{payload}"}',
    )
    msg.add_argument(
        "--matcher",
        help="how a reply names its message: id:FIELD (default id:id), echo, regex:PATTERN",
    )
    msg.add_argument(
        "--payload-size", type=_non_negative_int, help="characters of {payload} filler (default 16)"
    )
    msg.add_argument(
        "--think-time", help="between messages: fixed:1s, uniform:1s:3s, exponential:2s or none"
    )
    msg.add_argument(
        "--window", type=_positive_int, help="messages in flight per connection (default 1)"
    )
    msg.add_argument(
        "--reply-timeout", help="a reply later than this counts as a timeout (default 5s)"
    )
    msg.add_argument("--no-messages", action="store_true", help="only hold connections")
    modes = parser.add_argument_group("modes")
    modes.add_argument(
        "--max-error-ratio",
        type=_ratio,
        help="connection-limit: stop ramping above this (default 0.05)",
    )
    modes.add_argument(
        "--settle", help="connection-limit: hold time after the ramp stops (default 2s)"
    )
    modes.add_argument(
        "--expected-delay", help="typing-delay: the server's configured reply delay, e.g. 200ms"
    )
    modes.add_argument("--seed", type=int, help="random seed for think times")
    out = parser.add_argument_group("metrics and record")
    out.add_argument(
        "--testid", type=testid_argument, help="run id (default: <scenario>-<UTC time>-<hex>)"
    )
    out.add_argument("--prometheus", help="Prometheus base URL (default: the local stack)")
    out.add_argument(
        "--remote-write-url", help="remote-write URL (default: <prometheus>/api/v1/write)"
    )
    out.add_argument("--no-push", action="store_true", help="do not push metrics")
    out.add_argument(
        "--push-interval", type=_positive_float, default=1.0, help="seconds between pushes"
    )
    out.add_argument(
        "--state-dir",
        type=state_dir_argument,
        help="run records go to <dir>/runs (default: .perfstack)",
    )
    out.add_argument("--no-record", action="store_true", help="do not write a run record")
    add_label_argument(out)
    out.add_argument(
        "--summary-json", type=Path, help="also write the WebSocket summary to this file"
    )
    out.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(func=run_command)


def run_command(args: argparse.Namespace) -> int:
    run = build_run_config(args)
    state_dir = args.state_dir or default_state_dir()
    prometheus = (args.prometheus or prometheus_url_default(state_dir)).rstrip("/")
    remote_write = None if args.no_push else (args.remote_write_url or f"{prometheus}/api/v1/write")
    remote_write_source = "--remote-write-url" if args.remote_write_url else "--prometheus"
    outcome = run_ws(
        WsRunOptions(
            run=run,
            testid=args.testid,
            remote_write_url=remote_write,
            remote_write_source=remote_write_source,
            prometheus_url=prometheus if remote_write else "",
            push_interval=args.push_interval,
            state_dir=None if args.no_record else state_dir,
            labels=run_labels(args.label),
        )
    )
    if args.summary_json:
        body = {
            "testid": outcome.identity.testid,
            **outcome.summary,
            "exit_status": outcome.record.exit_status,
        }
        args.summary_json.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps({"testid": outcome.identity.testid, **outcome.summary}, indent=2))
    else:
        print(render_summary(outcome))
    if remote_write and outcome.record_path is not None:
        # a run of its own (under `perfstack run` the parent pushes the joined summary)
        sent, detail = push_run_summary(outcome.record, prometheus, remote_write_url=remote_write)
        if not sent:
            print(f"perfstack: warning: run summary not pushed: {detail}", file=sys.stderr)
    refused = outcome.record.extra.get("store_refused")
    if outcome.pushed_ok is False and not refused:
        print(f"perfstack: warning: not every sample reached {remote_write}", file=sys.stderr)
    if outcome.record_error:
        # After the summary, so nothing measured is lost
        raise PerfstackError(outcome.record_error, ExitCode.RECORD_NOT_WRITTEN)
    if outcome.record.exit_status == "interrupted":
        return 130
    if refused:
        where = f"{remote_write_source} {remote_write}"
        raise refused_writes_error(where, refused, outcome.record.samples_dropped)
    return 0


def _number(
    text: str, convert: Callable[[str], Any], kind: str, holds: Callable[[Any], bool], bound: str
) -> Any:
    try:
        value = convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {kind}, got {text!r}") from None
    if not holds(value):
        raise argparse.ArgumentTypeError(f"expected {kind} {bound}, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    return int(_number(text, int, "a whole number", lambda v: v >= 1, ">= 1"))


def _non_negative_int(text: str) -> int:
    return int(_number(text, int, "a whole number", lambda v: v >= 0, ">= 0"))


def _positive_float(text: str) -> float:
    return float(_number(text, float, "a number", lambda v: v > 0, "> 0"))


def _ratio(text: str) -> float:
    return float(_number(text, float, "a ratio", lambda v: 0 <= v <= 1, "between 0 and 1"))
