"""Locust's warnings and errors reach the terminal, each once."""

from __future__ import annotations

import io
from pathlib import Path

from loadgen.log_echo import LogEcho
from tests.loadgen.locust_runs import run_perfstack, write_locustfile


def _line(level: str, message: str) -> str:
    return f"[2026-12-03 13:41:27,211] host/{level}/locust.main: {message}\n"


def test_each_warning_and_error_once_info_never(tmp_path: Path) -> None:
    log, out = tmp_path / "l.log", io.StringIO()
    echo = LogEcho(log, stream=out)
    log.write_text(
        _line("INFO", "Starting Locust") + _line("WARNING", "w1") + _line("WARNING", "w1")
    )
    echo.poll()
    with log.open("a") as more:
        more.write(_line("ERROR", "boom") + "[2026-12-03 13:41:28,0] host/WARNING/x: half")
    echo.poll()
    assert out.getvalue() == "locust warning: w1\nlocust error: boom\n"
    with log.open("a") as more:
        more.write(" a line\n")  # the half-written line completes
    echo.poll()
    assert out.getvalue().endswith("locust warning: half a line\n")


def test_past_the_limit_one_line_points_to_the_log(tmp_path: Path) -> None:
    log, out = tmp_path / "l.log", io.StringIO()
    log.write_text("".join(_line("WARNING", f"w{i}") for i in range(5)))
    LogEcho(log, stream=out, limit=2).poll()
    assert out.getvalue().splitlines() == [
        "locust warning: w0",
        "locust warning: w1",
        f"locust: further warnings and errors in {log}",
    ]


def test_hidden_messages_and_a_missing_log(tmp_path: Path) -> None:
    out = io.StringIO()
    LogEcho(tmp_path / "none.log", stream=out).poll()
    log = tmp_path / "l.log"
    log.write_text(_line("WARNING", "The following option(s) will be ignored: --users"))
    LogEcho(log, stream=out, hide=("will be ignored",)).poll()
    assert out.getvalue() == ""


WARNING_LOCUSTFILE = """
import logging

from locust import HttpUser, constant, task


class Warns(HttpUser):
    wait_time = constant(0.1)

    @task
    def health(self):
        logging.getLogger("custom").warning("the cache is cold")
        self.client.get("/health")
"""


def test_a_locustfile_warning_shows_in_the_terminal_once(demo_target, stack, tmp_path) -> None:
    testid = f"echo-{tmp_path.name}"[:60]
    result = run_perfstack(
        write_locustfile(tmp_path, WARNING_LOCUSTFILE), demo_target.url, tmp_path / "state",
        stack.prometheus_url, "-u", "1", "-t", "2s", "--testid", testid,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr.count("locust warning: the cache is cold") == 1, result.stderr
