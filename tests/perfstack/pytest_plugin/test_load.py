"""perfstack_load's command line; its runs are in test_fixtures.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from perfstack.core.errors import PerfstackError
from perfstack.pytest_plugin.load import default_rules, parse_run_arguments, run_arguments

NONE = dict(scenario=None, users=None, spawn_rate=None, duration=None, testid=None,
            prometheus=None, state_dir=None, allow_remote_host=False, locust_args=())  # fmt: skip


def test_only_the_given_options_reach_perfstack_run() -> None:
    argv = run_arguments("l.py", "http://127.0.0.1:1", **NONE)
    assert argv == ["run", "-f", "l.py", "--host", "http://127.0.0.1:1"]
    args = parse_run_arguments(argv)
    assert (args.users, args.duration, args.scenario) == (None, None, None)


def test_options_and_locust_arguments_parse_as_perfstack_runs_own() -> None:
    options = {**NONE, "users": 3, "duration": "4s", "state_dir": Path("/tmp/s"),
               "locust_args": ("--stop-timeout", "2")}  # fmt: skip
    args = parse_run_arguments(run_arguments("l.py", "http://127.0.0.1:1", **options))
    assert (args.users, args.duration, args.state_dir) == (3, "4s", Path("/tmp/s"))
    assert args.locust_args[-2:] == ["--stop-timeout", "2"]


def test_a_bad_value_is_one_line_naming_the_flag() -> None:
    with pytest.raises(PerfstackError) as error:
        parse_run_arguments(run_arguments("l.py", "http://127.0.0.1:1", **{**NONE, "users": "x"}))
    assert error.value.exit_code == 2
    assert "--users" in error.value.message and "\n" not in error.value.message


def test_the_default_rules_are_the_demo_preset() -> None:
    assert default_rules().is_file()
    assert "name: demo-default" in default_rules().read_text()
