"""`perfstack up | down | status`: the local store (Prometheus, or VictoriaMetrics and
vmalert), Alertmanager and Grafana."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from gate.arguments import rule_variables
from perfstack.core.errors import ExitCode
from perfstack.core.settings import (
    DEFAULT_WEBHOOK_PORT,
    GRAFANA,
    PROMETHEUS_STORE,
    SERVICES,
    STORE_ENV,
    STORES,
    WEBHOOK_PORT_ENV,
    StackSettings,
    resolve_settings,
)
from perfstack.core.state import state_dir_argument
from perfstack.stack import gate_alerts
from perfstack.stack import lifecycle as stack
from perfstack.stack.configs import render_prometheus_config


def add_stack_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state-dir",
        type=state_dir_argument,
        help="PID files, logs and data (default: $PERFSTACK_STATE_DIR or ./.perfstack)",
    )
    for service in SERVICES:
        parser.add_argument(
            service.port_flag,
            type=int,
            metavar="PORT",
            help=f"{service.title} port (env {service.port_env}; default {service.default_port})",
        )
    parser.add_argument(
        "--webhook-port",
        type=int,
        metavar="PORT",
        help="port Alertmanager's webhooks post to, where `perfstack alerts listen` listens "
        f"(env {WEBHOOK_PORT_ENV}; default {DEFAULT_WEBHOOK_PORT})",
    )


def settings_from_args(args: argparse.Namespace) -> StackSettings:
    ports = {s.key: getattr(args, f"{s.key}_port", None) for s in SERVICES}
    return resolve_settings(
        args.state_dir,
        ports,
        getattr(args, "alertmanager_config", None),
        webhook_port=getattr(args, "webhook_port", None),
        store=getattr(args, "store", None),
    )


def print_states(states: list[stack.ServiceState]) -> None:
    for item in states:
        name = item.service.key
        if item.state == "not installed":
            hint = "run it with: docker compose up grafana" if item.service is GRAFANA else ""
            print(f"{name:<16} not installed  {hint}".rstrip())
        elif item.state == "running":
            health = "healthy" if item.healthy else "not ready"
            print(f"{name:<16} running        pid {item.pid:<8} {item.url}  {health}")
        elif item.state == "dead":
            print(f"{name:<16} dead           pid {item.pid} ({item.detail or 'not running'})")
        else:
            print(f"{name:<16} stopped")


def cmd_up(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    installed = (
        gate_alerts.install(settings.state_dir, args.rules, rule_variables(args.var))
        if args.rules
        else []
    )
    states = stack.up(settings, timeout=args.timeout)
    if installed:
        # a Prometheus (or vmalert) started earlier reads the new rule files only on reload
        if settings.store == PROMETHEUS_STORE:
            render_prometheus_config(settings)
        # a rule file without any alertable objective writes no group to look for
        groups = [group for _, group, count in installed if count]
        rules = settings.rules_service
        gate_alerts.reload_and_check(settings.url(rules), groups, rules.title)
    print_states(states)
    for path, group, count in installed:
        print(f"alerts from gate rules: {count} rules in group {group} ({path})")
    print(f"store:        {settings.store}")
    print(f"query API:    {settings.prometheus_url}")
    print(f"remote write: {settings.remote_write_url}")
    print(f"state dir:    {settings.state_dir}")
    return ExitCode.OK


def cmd_down(args: argparse.Namespace) -> int:
    for item in stack.down(settings_from_args(args)):
        what = "stopped" if item.state == "stopped" else "cleaned stale PID file of"
        print(f"{what} {item.service.key} (pid {item.pid})")
    return ExitCode.OK


def cmd_status(args: argparse.Namespace) -> int:
    states = stack.status(settings_from_args(args))
    print_states(states)
    required = [s for s in states if s.service is not GRAFANA]
    all_up = all(s.state == "running" and s.healthy for s in required)
    return ExitCode.OK if all_up else ExitCode.STACK_NOT_RUNNING


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    up = subparsers.add_parser("up", help="start the local Prometheus, Alertmanager (and Grafana)")
    add_stack_options(up)
    up.add_argument(
        "--store",
        choices=STORES,
        help="where metrics go and queries are answered: Prometheus, or VictoriaMetrics with "
        f"vmalert evaluating the rules (env {STORE_ENV}; default: the state dir's last `up`, "
        f"else {PROMETHEUS_STORE}; docs/stores.md)",
    )
    up.add_argument("--alertmanager-config", type=Path, help="Alertmanager config file")
    up.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for readiness")
    up.add_argument(
        "--rules",
        type=Path,
        action="append",
        metavar="RULES",
        help="load alerting rules generated from this gate rule file (repeatable; replaces "
        "those of an earlier --rules, a plain `up` keeps them)",
    )
    up.add_argument(
        "--var", action="append", default=[], metavar="NAME=VALUE", help="rule-file variable"
    )
    up.set_defaults(func=cmd_up)

    down = subparsers.add_parser("down", help="stop what `perfstack up` started")
    add_stack_options(down)
    down.set_defaults(func=cmd_down)

    status = subparsers.add_parser(
        "status", help="state, PID, URL and health of each service (exit 18 unless all are up)"
    )
    add_stack_options(status)
    status.set_defaults(func=cmd_status)
