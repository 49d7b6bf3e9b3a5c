"""`perfstack alerts listen`: print the notifications Alertmanager sends to its webhook."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from perfstack.alerts.listen import DEFAULT_PORT, WebhookReceiver, format_notification
from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.core.settings import WEBHOOK_PORT_ENV, resolve_settings

# Ask for a dedicated code in perfstack/core/errors.py; until then the number is reserved here.
TIMEOUT_EXIT = int(ExitCode.NOTIFICATION_TIMEOUT)


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    alerts = subparsers.add_parser("alerts", help="Alertmanager notifications")
    commands = alerts.add_subparsers(dest="alerts_command", metavar="COMMAND", required=True)
    listen = commands.add_parser(
        "listen",
        help="receive Alertmanager webhooks on 127.0.0.1 and print each alert on one line",
        description="Receive Alertmanager webhook notifications and print each alert as "
        "'STATUS alertname testid=... severity=... summary=\"...\"' (or the raw JSON).",
    )
    listen.add_argument(
        "--port",
        type=int,
        help="port on 127.0.0.1 (default: the local stack's webhook port, as `perfstack up "
        f"--webhook-port` or ${WEBHOOK_PORT_ENV} set it, else {DEFAULT_PORT})",
    )
    listen.add_argument("--json", action="store_true", help="print each notification's raw JSON")
    listen.add_argument("--count", type=int, default=None, help="exit 0 after N notifications")
    listen.add_argument(
        "--timeout",
        type=float,
        default=None,
        help=f"give up after S seconds (exit {TIMEOUT_EXIT} if --count not reached)",
    )
    listen.set_defaults(func=run_listen)


def run_listen(args: argparse.Namespace) -> int:
    if args.port is None:
        args.port = resolve_settings().webhook_port
    if not 0 < args.port < 65536:
        raise PerfstackError(f"--port: expected 1-65535, got {args.port}", ExitCode.USAGE)
    if args.count is not None and args.count < 1:
        raise PerfstackError(f"--count: expected a positive number, got {args.count}")
    if args.timeout is not None and args.timeout <= 0:
        raise PerfstackError(f"--timeout: expected seconds > 0, got {args.timeout}")
    deadline = None if args.timeout is None else time.monotonic() + args.timeout
    received = 0
    with WebhookReceiver(port=args.port) as receiver:
        print(f"listening for Alertmanager webhooks on {receiver.url}", file=sys.stderr, flush=True)
        while args.count is None or received < args.count:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                break
            notification = receiver.next(timeout=min(remaining or 1.0, 1.0))
            for problem in receiver.rejected():
                print(f"perfstack: warning: {problem}", file=sys.stderr, flush=True)
            if notification is None:
                continue
            received += 1
            if args.json:
                print(json.dumps(notification, sort_keys=True), flush=True)
            else:
                for line in format_notification(notification):
                    print(line, flush=True)
    if args.count is not None and received < args.count:
        print(
            f"perfstack: error: timed out after {args.timeout:g}s with {received} of "
            f"{args.count} notifications",
            file=sys.stderr,
        )
        return TIMEOUT_EXIT
    return ExitCode.OK
