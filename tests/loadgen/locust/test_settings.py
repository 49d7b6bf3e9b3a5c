from __future__ import annotations

import json
from argparse import Namespace
from pathlib import Path

import pytest

from loadgen.locust.settings import ARGUMENTS, PluginSettings


def options(**values: object) -> Namespace:
    defaults = {flag.lstrip("-").replace("-", "_"): default for flag, _, _, default in ARGUMENTS}
    return Namespace(**(defaults | values))


def test_defaults_use_the_local_stack_recorded_by_perfstack_up(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("PERFSTACK_PROMETHEUS_URL", raising=False)
    (tmp_path / "stack.json").write_text(json.dumps({"prometheus_url": "http://127.0.0.1:19090"}))
    settings = PluginSettings.from_options(options(perfstack_state_dir=str(tmp_path)))
    assert settings.prometheus_url == "http://127.0.0.1:19090"
    assert settings.remote_write_url == "http://127.0.0.1:19090/api/v1/write"
    assert (settings.scenario, settings.max_names, settings.push_interval) == ("adhoc", 200, 1.0)
    assert settings.testid == "" and settings.live_file is None and not settings.disabled


def test_flags_win(tmp_path: Path):
    settings = PluginSettings.from_options(
        options(
            perfstack_state_dir=str(tmp_path), perfstack_prometheus_url="http://127.0.0.1:1/",
            perfstack_remote_write_url="http://127.0.0.1:2/receive", perfstack_testid="t",
            perfstack_max_names=5, perfstack_disable="1",
        )
    )  # fmt: skip
    assert settings.prometheus_url == "http://127.0.0.1:1"
    assert settings.remote_write_url == "http://127.0.0.1:2/receive"
    assert (settings.testid, settings.max_names, settings.disabled) == ("t", 5, True)


@pytest.mark.parametrize("flag", [flag for flag, *_ in ARGUMENTS])
def test_every_flag_has_an_environment_variable(flag: str):
    env_var = next(env for f, env, *_ in ARGUMENTS if f == flag)
    assert env_var == flag.lstrip("-").replace("-", "_").upper()
