"""`perfstack up --rules RULES.yaml`: the team's gate rule file as alerting rules in the
local Prometheus, so the live alert and the gate verdict use the same thresholds.

The rules are generated (gate/alert_rules.py) into `<state>/gate-alerts/`, which the
rendered prometheus.yml always lists (a glob that may match nothing); a later `up --rules`
replaces them and a plain `up` keeps them. A Prometheus already running reloads.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

from gate.alert_rules import build_alerts, render_rules
from gate.rules import load_rules
from perfstack.core.errors import ExitCode, PerfstackError

DIRECTORY = "gate-alerts"
PATTERN = "*.rules.yml"
RELOAD_WAIT = 5.0  # seconds for the reloaded groups to show


def gate_alerts_dir(state_dir: Path) -> Path:
    return state_dir / DIRECTORY


def install(
    state_dir: Path, rule_files: Sequence[Path], variables: Mapping[str, str]
) -> list[tuple[Path, str, int]]:
    """Generate every rule file's alerts into the state dir, replacing earlier ones.
    Returns (written file, group name, rule count); an invalid rule file is exit 2 before
    anything is replaced."""
    generated = []
    for path in rule_files:
        try:
            alerts = build_alerts(load_rules(path, variables))
        except ValueError as error:
            raise PerfstackError(f"--rules {path}: {error}", ExitCode.USAGE) from error
        generated.append((path, alerts))
    target = gate_alerts_dir(state_dir)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    written = []
    for index, (path, alerts) in enumerate(generated):
        out = target / f"{index:02d}-{path.stem}.rules.yml"
        out.write_text(render_rules(alerts), encoding="utf-8")
        written.append((out, alerts.group_name, sum(len(a.rules) for a in alerts.alerts)))
    return written


def reload_and_check(
    prometheus_url: str, groups: Sequence[str], name: str = "Prometheus", timeout: float = 10.0
) -> None:
    """Ask Prometheus (or vmalert: the same endpoints) to reload its configuration and
    confirm the groups are loaded."""
    try:
        response = httpx.post(f"{prometheus_url}/-/reload", timeout=timeout)
        if response.status_code != 200:
            raise PerfstackError(
                f"{name} refused to reload the generated alert rules: "
                f"{response.text.strip()[:300]}",
                ExitCode.SERVICE_START_FAILED,
            )
        # vmalert answers the reload at once and loads the files after: poll a little
        deadline = time.monotonic() + RELOAD_WAIT
        while True:
            loaded = httpx.get(f"{prometheus_url}/api/v1/rules", timeout=timeout).json()
            names = {group["name"] for group in loaded["data"]["groups"]}
            missing = [g for g in groups if g not in names]
            if not missing or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    except httpx.HTTPError as error:
        raise PerfstackError(
            f"{name} at {prometheus_url} did not reload: {error}",
            ExitCode.SERVICE_START_FAILED,
        ) from error
    if missing:
        raise PerfstackError(
            f"{name} reloaded without the generated groups {', '.join(missing)}",
            ExitCode.SERVICE_START_FAILED,
        )
