"""Plain `locust` with its web UI and the plugin: several swarms started and stopped through
the UI's HTTP API, with idle time between them, make one run whose duration is the time
load ran, not the time Locust was up."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from gate.window import from_record
from perfstack.core.record import load_record
from perfstack.testing import free_port
from tests.helpers import wait_until
from tests.loadgen.locust_runs import prom_by, write_locustfile

WEB_UI_LOCUSTFILE = """
import loadgen.locust.plugin  # noqa: F401
from locust import FastHttpUser, constant, task

class Reader(FastHttpUser):
    wait_time = constant(0.05)
    @task
    def health(self):
        self.client.get("/health")
"""

LOAD_SECONDS = 2.0
IDLE_SECONDS = 4.0


# Times are taken on the monotonic clock, as the plugin measures a swarm's duration: the
# wall clock may be stepped during the test.


def _swarm(web: httpx.Client, users: int) -> tuple[float, float]:
    """Start a swarm: (request sent, answered). Locust starts it in a greenlet of its own,
    just after answering."""
    sent = time.monotonic()
    answer = web.post("/swarm", data={"user_count": users, "spawn_rate": users})
    assert answer.status_code == 200 and answer.json()["success"], answer.text
    return sent, time.monotonic()


def _stop(web: httpx.Client) -> tuple[float, float]:
    """Stop the swarm: (request sent, answered); the test stops before the answer."""
    sent = time.monotonic()
    answer = web.post("/stop")
    assert answer.status_code == 200, answer.text
    return sent, time.monotonic()


def _ready(web: httpx.Client, workers: int) -> bool:
    """The web UI answers, and a master has its workers (else it refuses the swarm)."""
    try:
        answer = web.get("/stats/requests")
    except httpx.TransportError:
        return False
    return answer.status_code == 200 and answer.json().get("worker_count", 0) >= workers


@pytest.mark.parametrize("processes", [None, 1], ids=["local", "master+worker"])
def test_two_swarms_through_the_web_ui_count_only_the_time_load_ran(
    stack, demo_target, tmp_path: Path, processes: int | None
) -> None:
    locustfile = write_locustfile(tmp_path, WEB_UI_LOCUSTFILE)
    testid = f"webui-{tmp_path.name}"[:60]
    port = free_port()
    state_dir = tmp_path / "state"
    command = [
        sys.executable, "-m", "locust", "-f", str(locustfile), "--host", demo_target.url,
        "--web-host", "127.0.0.1", "--web-port", str(port),
        "--perfstack-testid", testid, "--perfstack-state-dir", str(state_dir),
        "--perfstack-prometheus-url", stack.prometheus_url,
    ]  # fmt: skip
    if processes:  # the master asks its worker for a final report at each stop
        master_port = str(free_port())
        command += [
            "--processes", str(processes), "--master-bind-host", "127.0.0.1",
            "--master-bind-port", master_port, "--master-port", master_port,
        ]  # fmt: skip
    log = (tmp_path / "locust.log").open("wb")
    locust = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as web:
            wait_until(lambda: _ready(web, processes or 0), timeout=30)
            first_start = _swarm(web, 2)
            time.sleep(LOAD_SECONDS)
            first_end = _stop(web)
            time.sleep(IDLE_SECONDS)  # Locust idle, its web UI still up
            second_start = _swarm(web, 3)
            time.sleep(LOAD_SECONDS)
            second_end = _stop(web)
            time.sleep(1.0)
        locust.send_signal(signal.SIGINT)  # Locust's Ctrl-C: its shutdown, then the quit event
        assert locust.wait(60) in (0, 1), (tmp_path / "locust.log").read_text()
    finally:
        locust.kill()
        log.close()

    record = load_record(state_dir, testid)
    assert record.exit_status == "completed"  # the user stops a web UI run: nothing was planned
    assert len(record.swarms) == 2, record.swarms
    for swarm, started, stopped, users in (
        (record.swarms[0], first_start, first_end, 2),
        (record.swarms[1], second_start, second_end, 3),
    ):
        # from the /swarm answer (give or take the greenlet starting it) to the /stop
        assert stopped[0] - started[1] - 1.0 < swarm["duration"] <= stopped[1] - started[0]
        assert swarm["users"] == users
        assert swarm["requests"] > 0 and swarm["failures"] == 0
    assert (record.start, record.end) == (record.swarms[0]["start"], record.swarms[1]["end"])
    # the duration is the load's: the idle time between the swarms is not in it
    load = record.swarms[0]["duration"] + record.swarms[1]["duration"]
    assert record.duration == record.to_json()["duration"] == load
    assert load <= second_end[1] - first_start[0] - IDLE_SECONDS
    # every request is in exactly one swarm, and in Prometheus
    assert sum(swarm["requests"] for swarm in record.swarms) == record.requests > 0
    assert prom_by(stack.prometheus_url, "loadgen_http_requests_total", testid) == {
        "": record.requests
    }
    # the gate selects over the whole span (every sample) and divides by the load time
    values = from_record(record).placeholders({})
    assert values["duration_seconds"] == f"{load:.3f}"
    assert (values["start"], values["end"]) == (f"{record.start:.3f}", f"{record.end:.3f}")
    assert values["range"] == values["duration"]
    text = values["range"]
    span = int(text[:-2]) / 1000 if text.endswith("ms") else int(text[:-1])
    assert span >= record.end - record.start
