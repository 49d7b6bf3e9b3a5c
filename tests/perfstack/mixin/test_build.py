"""The committed generated files equal a fresh build, and the builder writes and checks them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perfstack.mixin import build
from perfstack.mixin.__main__ import main

ROOT = Path(__file__).resolve().parents[3]


def test_committed_files_equal_a_fresh_build() -> None:
    assert build.stale(ROOT) == [], "run `python -m perfstack.mixin` and commit the result"


def test_build_writes_every_file_then_reports_nothing_changed(tmp_path: Path) -> None:
    assert main(["--root", str(tmp_path)]) == 0
    written = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()}
    assert written == set(build.render())
    assert build.write(tmp_path) == []
    assert main(["--root", str(tmp_path), "--check"]) == 0


def test_check_fails_on_a_hand_edited_dashboard(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build.write(tmp_path)
    path = tmp_path / "grafana/dashboards/perfstack-overview.json"
    dashboard = json.loads(path.read_text())
    dashboard["title"] = "edited by hand"
    path.write_text(json.dumps(dashboard))
    assert main(["--root", str(tmp_path), "--check"]) == 1
    assert "stale: grafana/dashboards/perfstack-overview.json" in capsys.readouterr().err
