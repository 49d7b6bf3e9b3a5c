"""The master's wait for its target: it starts the command once the target answers, keeps
the command's exit code, and gives up with one line and exit 12 when it never answers."""

from __future__ import annotations

import subprocess
import sys

from perfstack.kubernetes.wait_target import main
from perfstack.testing import free_port
from tests.helpers import outside_xdist


def wait_target(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "perfstack.kubernetes.wait_target", *args],
        capture_output=True, text=True, timeout=60, env=outside_xdist(), check=False,
    )  # fmt: skip


def test_once_the_target_answers_the_command_runs_with_its_own_exit_code(demo_target) -> None:
    command = [sys.executable, "-c", "print('the run'); raise SystemExit(7)"]
    result = wait_target("--url", demo_target.url, "--timeout", "10s", "--", *command)
    assert result.returncode == 7, result.stderr
    assert f"target {demo_target.url} answered" in result.stdout
    assert result.stdout.rstrip().endswith("the run")


def test_any_http_answer_counts_as_up(demo_target) -> None:
    # a 404 is the target answering: judging its answers is the gate's job
    url = f"{demo_target.url}/no-such-page"
    result = wait_target("--url", url, "--timeout", "10s", "--", sys.executable, "-c", "")
    assert result.returncode == 0, result.stderr


def test_a_target_that_never_answers_is_exit_12_and_the_command_never_runs(capsys) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    code = main(["--url", url, "--timeout", "1s", "--poll", "0.2s", "--", "false"])
    assert code == 12
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"perfstack: error: target {url} did not answer within 1s (last: Conn")
    assert "\n" not in err


def test_a_url_that_is_not_http_is_exit_15(capsys) -> None:
    assert main(["--url", "demo-target:8000", "--", "true"]) == 15
    assert (
        "--url 'demo-target:8000': expected an http:// or https:// URL" in capsys.readouterr().err
    )


def test_no_command_is_exit_2(capsys) -> None:
    assert main(["--url", "http://127.0.0.1:1"]) == 2
    assert "give the command to run after `--`" in capsys.readouterr().err
