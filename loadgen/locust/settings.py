"""The plugin's settings: Locust command-line arguments, each with an environment variable.

Plain `locust` users set `PERFSTACK_*` variables or pass `--perfstack-*` flags; `perfstack
run` passes flags. Custom arguments travel from the Locust master to its workers with the
spawn message, so workers see the master's values without being given them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadgen.locust.names import DEFAULT_MAX_NAMES
from perfstack.core.settings import prometheus_url_default
from perfstack.core.state import default_state_dir

# named in the pusher's messages when the store refuses writes
REMOTE_WRITE_URL_SOURCE = "--perfstack-remote-write-url / PERFSTACK_REMOTE_WRITE_URL"

ARGUMENTS: tuple[tuple[str, str, str, Any], ...] = (
    # flag, environment variable, help, default
    ("--perfstack-testid", "PERFSTACK_TESTID", "Run id (default: generated from the scenario)", ""),
    ("--perfstack-scenario", "PERFSTACK_SCENARIO", "Scenario label of the run", "adhoc"),
    (
        "--perfstack-prometheus-url",
        "PERFSTACK_PROMETHEUS_URL",
        "Prometheus base URL (default: the local stack)",
        "",
    ),
    (
        "--perfstack-remote-write-url",
        "PERFSTACK_REMOTE_WRITE_URL",
        "Remote-write URL (default: <prometheus>/api/v1/write)",
        "",
    ),
    ("--perfstack-push-interval", "PERFSTACK_PUSH_INTERVAL", "Seconds between pushes", 1.0),
    (
        "--perfstack-buffer-seconds",
        "PERFSTACK_BUFFER_SECONDS",
        "Seconds of samples kept while the endpoint is down",
        300.0,
    ),
    (
        "--perfstack-push-stop-timeout",
        "PERFSTACK_PUSH_STOP_TIMEOUT",
        "Seconds the final flush may wait for the endpoint",
        15.0,
    ),
    (
        "--perfstack-max-names",
        "PERFSTACK_MAX_NAMES",
        "Distinct request names before _other_",
        DEFAULT_MAX_NAMES,
    ),
    (
        "--perfstack-state-dir",
        "PERFSTACK_STATE_DIR",
        "Where run records go (<dir>/runs/<testid>.json)",
        "",
    ),
    (
        "--perfstack-live-file",
        "PERFSTACK_LIVE_FILE",
        "File the master rewrites every second with live totals",
        "",
    ),
    (
        "--perfstack-record-file",
        "PERFSTACK_RECORD_FILE",
        "Hand the run record to this file instead of <state dir>/runs/<testid>.json "
        "(set by `perfstack run`, which writes the record itself)",
        "",
    ),
    (
        "--perfstack-master-connect-timeout",
        "PERFSTACK_MASTER_CONNECT_TIMEOUT",
        "Worker: seconds to wait for the master before giving up (exit code 24)",
        60.0,
    ),
    ("--perfstack-disable", "PERFSTACK_DISABLE", "1 to turn the plugin off", ""),
)


@dataclass(frozen=True)
class PluginSettings:
    testid: str
    scenario: str
    prometheus_url: str
    remote_write_url: str
    push_interval: float
    buffer_seconds: float
    push_stop_timeout: float
    max_names: int
    state_dir: Path
    live_file: Path | None
    record_file: Path | None
    disabled: bool

    @classmethod
    def from_options(cls, options: Any) -> PluginSettings:
        def value(flag: str) -> Any:
            return getattr(options, flag.lstrip("-").replace("-", "_"), None)

        state_dir = Path(value("--perfstack-state-dir") or default_state_dir())
        prometheus_url = (
            value("--perfstack-prometheus-url") or prometheus_url_default(state_dir)
        ).rstrip("/")
        live_file = value("--perfstack-live-file")
        record_file = value("--perfstack-record-file")
        return cls(
            testid=str(value("--perfstack-testid") or ""),
            scenario=str(value("--perfstack-scenario") or "adhoc"),
            prometheus_url=prometheus_url,
            remote_write_url=value("--perfstack-remote-write-url")
            or f"{prometheus_url}/api/v1/write",
            push_interval=float(value("--perfstack-push-interval") or 1.0),
            buffer_seconds=float(value("--perfstack-buffer-seconds") or 300.0),
            push_stop_timeout=float(value("--perfstack-push-stop-timeout") or 15.0),
            max_names=int(value("--perfstack-max-names") or DEFAULT_MAX_NAMES),
            state_dir=state_dir,
            live_file=Path(live_file) if live_file else None,
            record_file=Path(record_file) if record_file else None,
            disabled=str(
                value("--perfstack-disable") or os.environ.get("PERFSTACK_DISABLE", "")
            ).lower()
            in ("1", "true", "yes"),
        )


def add_arguments(parser: Any) -> None:
    """Registers the flags on Locust's parser (an `init_command_line_parser` listener)."""
    for flag, env_var, help_text, default in ARGUMENTS:
        parser.add_argument(
            flag,
            type=type(default),
            default=default,
            env_var=env_var,
            help=help_text,
            include_in_web_ui=False,
        )
