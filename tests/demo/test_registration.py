"""file_sd registration: written while the target runs, removed on a clean exit, and read
by a real Prometheus."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from demo.registration import Registration, file_sd_entries, registration_dir
from perfstack.core.state import STATE_DIR_ENV
from perfstack.testing import prom_query
from tests.fixtures.demo_target import DemoTarget
from tests.helpers import wait_until


def test_file_appears_while_running_and_is_removed_on_stop(
    demo_target_factory: Callable[..., DemoTarget], tmp_path: Path
) -> None:
    target = demo_target_factory(state_dir=tmp_path)
    path = tmp_path / "targets" / "demo-target.json"
    assert json.loads(path.read_text()) == [
        {"targets": [f"127.0.0.1:{target.port}"], "labels": {"service": "demo-target"}}
    ]
    assert target.stop() == 0
    assert not path.exists()


def test_a_killed_target_leaves_its_file_until_it_restarts_cleanly(
    demo_target_factory: Callable[..., DemoTarget], tmp_path: Path
) -> None:
    target = demo_target_factory(state_dir=tmp_path)
    path = tmp_path / "targets" / "demo-target.json"
    target.kill()
    assert path.exists()  # Prometheus then shows the target down, which is the truth
    target.restart()
    assert json.loads(path.read_text())[0]["targets"] == [f"127.0.0.1:{target.port}"]
    target.stop()
    assert not path.exists()


def test_removal_spares_a_file_rewritten_by_another_target(tmp_path: Path) -> None:
    first = Registration(tmp_path, "demo-target", "127.0.0.1", 8001)
    second = Registration(tmp_path, "demo-target", "127.0.0.1", 8002)
    first.write()
    second.write()
    first.remove()
    assert json.loads(second.path.read_text())[0]["targets"] == ["127.0.0.1:8002"]
    second.remove()
    assert not second.path.exists()


def test_where_to_register(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(STATE_DIR_ENV, raising=False)
    assert registration_dir(None) is None  # no ./.perfstack: no stack to register with
    (tmp_path / ".perfstack").mkdir()
    assert registration_dir(None) == tmp_path / ".perfstack" / "targets"
    monkeypatch.setenv(STATE_DIR_ENV, str(tmp_path / "elsewhere"))
    assert registration_dir(None) is None  # the env dir does not exist
    (tmp_path / "elsewhere").mkdir()
    assert registration_dir(None) == tmp_path / "elsewhere" / "targets"
    assert registration_dir("/given") == Path("/given/targets")


def test_wildcard_host_registers_loopback() -> None:
    assert file_sd_entries("x", "0.0.0.0", 9)[0]["targets"] == ["127.0.0.1:9"]


def test_prometheus_scrapes_the_registered_target(
    stack: object, demo_target_factory: Callable[..., DemoTarget]
) -> None:
    prometheus_url = stack.prometheus_url  # type: ignore[attr-defined]
    name = f"demo-target-{uuid.uuid4().hex[:8]}"  # the shared stack: a name of our own
    target = demo_target_factory(
        state_dir=stack.state_dir,  # type: ignore[attr-defined]
        extra_args=["--name", name],
    )
    selector = f'{{service="{name}"}}'
    up = wait_until(lambda: prom_query(prometheus_url, f"up{selector}"), timeout=30, interval=0.5)
    assert up[0]["metric"]["instance"] == f"127.0.0.1:{target.port}"
    assert up[0]["value"][1] == "1"
    assert wait_until(
        lambda: prom_query(prometheus_url, f"process_resident_memory_bytes{selector}"), 15
    )
