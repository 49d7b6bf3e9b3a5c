"""A worker that cannot reach its master ends within its connect timeout, with one line
naming the flags and the address it tried, and exit code 24 (Locust alone: ~5 minutes of
retries, then an empty reason and 255). The master's side of it, Locust's
`--expect-workers-max-wait` running out under `perfstack run`, ends with the same code and
keeps the (empty) record."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from loadgen.locust.master_link import WORKERS_MISSING, retries_for
from perfstack.core.errors import ExitCode
from perfstack.core.record import load_record
from perfstack.testing import free_port
from tests.loadgen.locust_runs import run_perfstack, write_locustfile

LOCUSTFILE = """
import loadgen.locust.plugin  # noqa: F401
from locust import FastHttpUser, constant, task

class Reader(FastHttpUser):
    wait_time = constant(1)
    @task
    def health(self):
        self.client.get("/health")
"""


def _worker(locustfile: Path, *flags: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "locust", "-f", str(locustfile), "--worker", *flags]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


def test_a_worker_without_a_master_ends_with_one_line_and_its_exit_code(tmp_path: Path) -> None:
    # a port nothing listens on: a wrong --master-port, or a master that never started (an
    # unresolvable --master-host takes the same path, Locust's ConnectionError)
    locustfile = write_locustfile(tmp_path, LOCUSTFILE)
    port = free_port()
    result = _worker(
        locustfile, "--master-port", str(port), "--perfstack-master-connect-timeout", "1.5"
    )
    assert result.returncode == ExitCode.MASTER_UNREACHABLE == 24
    errors = [line for line in result.stderr.splitlines() if line.startswith("perfstack: error")]
    assert errors == [
        f"perfstack: error: worker: no Locust master answered at 127.0.0.1:{port}"
        " within 1.5 s (--master-host/--master-port; wait set by"
        " --perfstack-master-connect-timeout): expected a running `locust --master` (or"
        " `perfstack run ... -- --master`) that this host can reach; nothing was measured"
    ]
    assert "Traceback" not in result.stderr


def test_a_master_whose_workers_never_come_keeps_its_record_and_ends_with_the_same_code(
    tmp_path: Path,
) -> None:
    locustfile = write_locustfile(tmp_path, LOCUSTFILE)
    testid = f"no-workers-{tmp_path.name}"[:60]
    result = run_perfstack(
        locustfile, "http://127.0.0.1:9", tmp_path / "state", "http://127.0.0.1:9",
        "-u", "1", "-t", "5s", "--testid", testid,
        "--", "--master", "--expect-workers", "1", "--expect-workers-max-wait", "1",
        "--master-bind-port", str(free_port()),
    )  # fmt: skip
    assert result.returncode == ExitCode.MASTER_UNREACHABLE, result.stdout + result.stderr
    assert result.stderr.splitlines()[-1] == (
        "perfstack: error: master: not every worker of --expect-workers connected within"
        " --expect-workers-max-wait (Locust: 'Gave up waiting for workers to connect'):"
        " expected workers started with --master-host set to an address of this host that"
        " they can reach (and --master-port if not 5557); nothing was measured"
    )
    record = load_record(tmp_path / "state", testid)
    assert (record.exit_status, record.requests, record.extra[WORKERS_MISSING]) == (
        "error",
        0,
        True,
    )


def test_the_timeout_must_be_positive(tmp_path: Path) -> None:
    locustfile = write_locustfile(tmp_path, LOCUSTFILE)
    port = str(free_port())
    result = _worker(locustfile, "--master-port", port, "--perfstack-master-connect-timeout", "0")
    assert result.returncode == ExitCode.USAGE
    assert result.stderr.splitlines()[-1] == (
        "perfstack: error: --perfstack-master-connect-timeout 0: expected seconds > 0"
    )


@pytest.mark.parametrize(
    ("timeout", "expected"),
    [(60.0, (5.0, 11)), (5.0, (5.0, 0)), (1.5, (1.5, 0)), (12.0, (5.0, 2)), (10.0, (5.0, 1))],
)
def test_locust_attempts_add_up_to_the_timeout(timeout: float, expected: tuple[float, int]) -> None:
    # Locust makes retry count + 1 attempts of `attempt` seconds each
    assert retries_for(timeout) == expected
    attempt, retries = expected
    assert timeout <= attempt * (retries + 1) < timeout + attempt
