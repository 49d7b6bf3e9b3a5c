"""An installed wheel (not only a checkout) carries and finds the stack's configuration."""

from __future__ import annotations

import configparser
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    return next(out.glob("perfstack-*.whl"))


def test_wheel_carries_configs_presets_and_examples(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "perfstack/_assets/prometheus/prometheus.yml",
        "perfstack/_assets/alerts/alertmanager.yml",
        "perfstack/_assets/grafana/provisioning/datasources/",
        "perfstack/_assets/grafana/dashboards/",
        "perfstack/_assets/examples/",
        "gate/presets/default.yaml",
    ):
        assert any(name.startswith(required) for name in names), f"{required} not in the wheel"
    for rule_file in (REPO / "prometheus" / "rules").glob("*.yml"):
        assert f"perfstack/_assets/prometheus/rules/{rule_file.name}" in names
    # pytest finds the plugin through the installed metadata (docs/pytest.md)
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    declared = configparser.ConfigParser()
    declared.read_string(zipfile.ZipFile(wheel).read(entry_points).decode())
    assert declared["pytest11"]["perfstack"] == "perfstack.pytest_plugin.plugin"


def test_installed_package_resolves_its_bundled_configs(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    probe = (
        "from perfstack.core import paths; "
        "print(paths.prometheus_dir()); print(paths.alerts_dir() / 'alertmanager.yml')"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        check=True,
    )
    prometheus_dir, alertmanager_yml = result.stdout.split()
    assert prometheus_dir == str(site / "perfstack" / "_assets" / "prometheus")
    assert Path(prometheus_dir, "prometheus.yml").is_file()
    assert Path(alertmanager_yml).is_file()
