"""alerts/alertmanager.yml and the Slack/e-mail examples: valid, routed, free of secrets."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = [
    ROOT / "alerts" / "alertmanager.yml",
    *sorted((ROOT / "alerts" / "examples").glob("*.yml")),
]


@pytest.mark.skipif(shutil.which("amtool") is None, reason="amtool not installed")
@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_amtool_accepts_the_config(path: Path) -> None:
    result = subprocess.run(
        ["amtool", "check-config", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_amtool_rejects_a_broken_config(tmp_path: Path) -> None:
    if shutil.which("amtool") is None:
        pytest.skip("amtool not installed")
    broken = tmp_path / "alertmanager.yml"
    broken.write_text(
        (ROOT / "alerts/alertmanager.yml")
        .read_text()
        .replace("receiver: perfstack-critical", "receiver: nobody")
    )
    result = subprocess.run(
        ["amtool", "check-config", str(broken)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode != 0
    assert "nobody" in result.stdout + result.stderr


def test_default_config_groups_by_testid_routes_by_severity_to_local_webhook() -> None:
    config = yaml.safe_load((ROOT / "alerts/alertmanager.yml").read_text())
    route = config["route"]
    assert "testid" in route["group_by"]
    matchers = {m for child in route["routes"] for m in child["matchers"]}
    assert matchers == {'severity="critical"', 'severity="warning"'}
    urls = {
        hook["url"]
        for receiver in config["receivers"]
        for hook in receiver.get("webhook_configs", [])
    }
    assert urls == {"http://127.0.0.1:9095/"}


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_no_secret_is_written_inline(path: Path) -> None:
    text = path.read_text()
    assert not re.search(r"hooks\.slack\.com/services/\w", text)
    config = yaml.safe_load(text)
    for receiver in config["receivers"]:
        for slack in receiver.get("slack_configs", []):
            assert "api_url" not in slack and slack["api_url_file"].startswith("/")
        for mail in receiver.get("email_configs", []):
            assert "auth_password" not in mail and mail["auth_password_file"].startswith("/")
