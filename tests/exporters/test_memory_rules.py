"""promtool checks and unit-tests the leak rules (tests/rules/memory_test.yaml)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool not on PATH (apt-get install prometheus)")
    return path


def test_rules_file_is_valid(promtool: str) -> None:
    result = subprocess.run(
        [promtool, "check", "rules", str(ROOT / "prometheus/rules/memory.yml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 7 rules found" in result.stdout


def test_promtool_unit_tests_pass(promtool: str) -> None:
    result = subprocess.run(
        [promtool, "test", "rules", "memory_test.yaml"],
        cwd=ROOT / "tests/rules",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_unit_tests_can_fail(promtool: str, tmp_path: Path) -> None:
    """The cases bite: with the threshold halved, the 200 KB/s growth case must fail."""
    rules = (ROOT / "prometheus/rules/memory.yml").read_text()
    assert "vector(262144)" in rules
    (tmp_path / "memory.yml").write_text(rules.replace("vector(262144)", "vector(131072)"))
    test = (ROOT / "tests/rules/memory_test.yaml").read_text()
    (tmp_path / "test.yaml").write_text(
        test.replace("../../prometheus/rules/memory.yml", "memory.yml")
    )
    result = subprocess.run(
        [promtool, "test", "rules", "test.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert 'testid="slow"' in result.stdout + result.stderr
