"""The state directory: a file where it should be is a usage error, never a traceback."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.core.state import STATE_DIR_ENV, default_state_dir, state_dir_argument
from tests.perfstack.cli_runner import run_cli


def test_a_state_dir_may_exist_or_not_yet(tmp_path: Path) -> None:
    assert state_dir_argument(str(tmp_path)) == tmp_path
    assert state_dir_argument(str(tmp_path / "new")) == tmp_path / "new"


def test_a_file_given_as_state_dir_is_rejected_naming_it(tmp_path: Path) -> None:
    a_file = tmp_path / "state"
    a_file.write_text("")
    with pytest.raises(argparse.ArgumentTypeError, match=f"{a_file}: expected a directory"):
        state_dir_argument(str(a_file))


def test_the_environment_variable_naming_a_file_is_an_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a_file = tmp_path / "state"
    a_file.write_text("")
    monkeypatch.setenv(STATE_DIR_ENV, str(a_file))
    with pytest.raises(PerfstackError, match=rf"\${STATE_DIR_ENV}={a_file}: expected a directory"):
        default_state_dir()
    monkeypatch.setenv(STATE_DIR_ENV, str(tmp_path))
    assert default_state_dir() == tmp_path


@pytest.mark.parametrize(
    "command",
    [
        ["run", "-f", "examples/locustfile_read_only.py", "--host", "http://127.0.0.1:9"],
        ["up"],
        ["status"],
        ["gate", "check", "--rules", "gate/presets/default.yaml", "--testid", "t"],
        ["ws", "--url", "ws://127.0.0.1:9", "--connections", "1", "--duration", "1s"],
    ],
    ids=lambda command: command[0],
)
def test_every_command_rejects_a_file_as_state_dir_with_exit_2(
    tmp_path: Path, command: list[str]
) -> None:
    a_file = tmp_path / "state"
    a_file.write_text("")
    for how, env in (("flag", {}), ("environment", {STATE_DIR_ENV: str(a_file)})):
        args = [*command, "--state-dir", str(a_file)] if how == "flag" else command
        result = run_cli(*args, env=env, cwd=Path(__file__).resolve().parents[3])
        assert result.returncode == ExitCode.USAGE, (how, result.stderr)
        assert "Traceback" not in result.stderr
        last = result.stderr.strip().splitlines()[-1]
        assert str(a_file) in last and "expected a directory" in last, (how, last)
