"""Turn `perfstack ws` flags (over a scenario's `websocket:` section) into a RunConfig.

Precedence for every setting: command-line flag, then the scenario file, then the
mode's default, then the dataclass default.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import ssl
from typing import Any
from urllib.parse import urlsplit

from loadgen.ws.config import RunConfig, SessionConfig
from loadgen.ws.messages import MessageSpecError
from loadgen.ws.scenario import load_ws_scenario
from loadgen.ws.target import check_ws_url
from loadgen.ws.thinktime import ThinkTime, ThinkTimeError
from perfstack.core.durations import DurationError, parse_duration
from perfstack.core.errors import ExitCode, PerfstackError

MODE_DEFAULTS: dict[str, dict[str, Any]] = {
    "session": {"think_time": ThinkTime.parse("1s")},
    "stability": {"think_time": ThinkTime.parse("1s"), "reconnect": True},
    "throughput": {"think_time": ThinkTime()},
    "typing-delay": {"think_time": ThinkTime()},
    "connection-limit": {
        "send_messages": False,
        "connections": 10000,
        "duration": 300.0,
        "ramp": 200.0,
    },
}
SESSION_FIELDS = {f.name for f in dataclasses.fields(SessionConfig)}
RUN_FIELDS = {f.name for f in dataclasses.fields(RunConfig)} - {"session"}


def _duration(flag: str, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return parse_duration(value, allow_zero=True)
    except DurationError as error:
        raise PerfstackError(f"{flag}: {error}", ExitCode.USAGE) from None


def _positive_duration(flag: str, value: str | None) -> float | None:
    """For timeouts and intervals: 0 would not mean "off", it would break every connection."""
    seconds = _duration(flag, value)
    if seconds is not None and seconds <= 0:
        raise PerfstackError(f"{flag}: expected a duration > 0, got {value!r}", ExitCode.USAGE)
    return seconds


def _header(value: str) -> tuple[str, str]:
    name, sep, content = value.partition(":")
    if not sep or not name.strip():
        raise PerfstackError(f"--header {value!r}: expected NAME:VALUE", ExitCode.USAGE)
    return name.strip(), content.strip()


def flag_values(args: argparse.Namespace) -> dict[str, Any]:
    """Only the flags the user gave (argparse defaults are None)."""
    values: dict[str, Any] = {
        "url": args.url,
        "mode": args.mode,
        "connections": args.connections,
        "ramp": args.ramp,
        "duration": _duration("--duration", args.duration),
        "template": args.template,
        "matcher": args.matcher,
        "payload_size": args.payload_size,
        "window": args.window,
        "reply_timeout": _positive_duration("--reply-timeout", args.reply_timeout),
        "connect_timeout": _positive_duration("--connect-timeout", args.connect_timeout),
        "session_duration": _duration("--session-duration", args.session_duration),
        "reconnect": args.reconnect,
        "max_error_ratio": args.max_error_ratio,
        "settle": _duration("--settle", args.settle),
        "expected_delay": _duration("--expected-delay", args.expected_delay),
        "ping_interval": _positive_duration("--ping-interval", args.ping_interval),
        "seed": args.seed,
        "ca_file": args.ca_file,
    }
    if args.think_time is not None:
        try:
            values["think_time"] = (
                ThinkTime() if args.think_time == "none" else ThinkTime.parse(args.think_time)
            )
        except ThinkTimeError as error:
            raise PerfstackError(f"--think-time: {error}", ExitCode.USAGE) from None
    if args.no_messages:
        values["send_messages"] = False
    if args.header:
        values["headers"] = tuple(_header(h) for h in args.header)
    if args.subprotocol:
        values["subprotocols"] = tuple(args.subprotocol)
    if args.token_env:
        if args.token_env not in os.environ:
            raise PerfstackError(
                f"--token-env: environment variable {args.token_env} is not set", ExitCode.USAGE
            )
        values["token"] = os.environ[args.token_env]
    if args.token:
        values["token"] = args.token
    return {key: value for key, value in values.items() if value is not None}


def _check_ca_file(session: SessionConfig, source: str) -> None:
    """Before anything connects: a CA file only for wss://, and one that loads."""
    if urlsplit(session.url).scheme != "wss":
        raise PerfstackError(
            f"{source}: applies to wss:// URLs only, the URL is {session.url}", ExitCode.USAGE
        )
    try:
        _ = session.ssl_context  # read now, so a bad file stops the run before it starts
    except (OSError, ssl.SSLError) as error:
        reason = getattr(error, "strerror", None) or getattr(error, "reason", None) or error
        raise PerfstackError(
            f"{source} {session.ca_file}: cannot load PEM certificates: {reason}",
            ExitCode.BAD_CONFIG_FILE,
        ) from None


def build_run_config(args: argparse.Namespace) -> RunConfig:
    scenario_values: dict[str, Any] = {}
    scenario_name = "adhoc"
    if args.scenario:
        loaded = load_ws_scenario(args.scenario)
        scenario_values, scenario_name = loaded.values, loaded.name
    flags = flag_values(args)
    mode = flags.get("mode") or scenario_values.get("mode") or "session"
    merged = {**MODE_DEFAULTS[mode], **scenario_values, **flags, "mode": mode}
    if "url" not in merged:
        raise PerfstackError("--url: required (or a websocket.url in --scenario)", ExitCode.USAGE)
    source = "--url" if "url" in flags else f"{args.scenario}: websocket.url"
    check_ws_url(merged["url"], allow_remote_host=args.allow_remote_host, source=source)
    if mode == "typing-delay" and merged.get("expected_delay") is None:
        raise PerfstackError(
            "--expected-delay: required in typing-delay mode (the server's configured reply delay)",
            ExitCode.USAGE,
        )
    session = SessionConfig(**{k: v for k, v in merged.items() if k in SESSION_FIELDS})
    if session.ca_file is not None:
        _check_ca_file(
            session, "--ca-file" if "ca_file" in flags else f"{args.scenario}: websocket.ca_file"
        )
    try:
        session.validate()
    except MessageSpecError as error:
        raise PerfstackError(f"--template/--matcher: {error}", ExitCode.USAGE) from None
    run_values = {k: v for k, v in merged.items() if k in RUN_FIELDS}
    run_values["scenario"] = args.scenario_name or scenario_name
    return RunConfig(session=session, **run_values)
