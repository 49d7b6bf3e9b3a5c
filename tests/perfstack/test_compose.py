"""docker-compose.yml: valid for docker-compose, self-contained, local-only, pinned, no secrets."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from perfstack.cli import build_parser

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"


def compose_config() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE.read_text()))


def docker_compose(*args: str, password: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "GRAFANA_ADMIN_PASSWORD"}
    if password is not None:
        env["GRAFANA_ADMIN_PASSWORD"] = password
    return subprocess.run(
        ["docker-compose", "-f", str(COMPOSE), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
    )


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="apt-get install docker-compose")
def test_docker_compose_validates_the_file() -> None:
    result = docker_compose("config", "-q", password="validation-only")
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="apt-get install docker-compose")
def test_grafana_password_has_no_default() -> None:
    result = docker_compose("config", "-q", password=None)
    assert result.returncode != 0
    assert "GRAFANA_ADMIN_PASSWORD" in result.stderr


def test_every_mounted_path_exists() -> None:
    for name, service in compose_config()["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (REPO / source).exists(), f"{name} mounts missing {source}"


def test_every_port_is_published_on_loopback_only() -> None:
    for name, service in compose_config()["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"


def test_every_image_tag_is_pinned() -> None:
    for name, service in compose_config()["services"].items():
        image = service.get("image")
        assert image, f"{name} has no image"
        tag = image.rsplit(":", 1)[1] if ":" in image else ""
        assert re.match(r"v?\d+\.\d+\.\d+$", tag), f"{name}: image {image} is not pinned"


def test_no_credentials_committed() -> None:
    example = (REPO / ".env.example").read_text()
    assert re.search(r"^GRAFANA_ADMIN_PASSWORD=$", example, re.M)
    text = COMPOSE.read_text().lower()
    assert "admin_password: admin" not in text and "password=admin" not in text


def test_perfstack_commands_in_compose_parse_with_the_real_cli() -> None:
    parser = build_parser()
    commands = [
        service["command"]
        for service in compose_config()["services"].values()
        if service.get("image", "").startswith("perfstack:") and "entrypoint" not in service
    ]
    assert commands, "expected perfstack services in docker-compose.yml"
    for command in commands:
        args = parser.parse_args(command)
        assert getattr(args, "func", None), f"{command} names no perfstack command"


def test_locust_services_use_an_existing_locustfile() -> None:
    for name, service in compose_config()["services"].items():
        if service.get("entrypoint") == ["locust"]:
            command = service["command"]
            locustfile = command[command.index("-f") + 1]
            default = re.sub(r"\$\{\w+:-([^}]+)\}", r"\1", locustfile)
            assert (REPO / default).is_file(), f"{name} runs missing {default}"
