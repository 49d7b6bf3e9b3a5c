"""`perfstack run` argument handling: every bad input is one line on stderr and its own
exit code; scenario overrides reach the plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadgen.cli import build_plan
from perfstack.cli import build_parser, main
from perfstack.core.errors import ExitCode
from perfstack.testing import free_port

GOOD = """
from locust import HttpUser, task

class U(HttpUser):
    @task
    def t(self):
        pass
"""

FAST_LOCUSTFILE = """
from locust import FastHttpUser, constant, task

class U(FastHttpUser):
    wait_time = constant(0.05)
    @task
    def root(self):
        self.client.get("/")
"""


@pytest.fixture
def locustfile(tmp_path: Path) -> Path:
    path = tmp_path / "locustfile.py"
    path.write_text(GOOD)
    return path


def run_args(locustfile: Path, tmp_path: Path, *extra: str) -> list[str]:
    host = f"http://127.0.0.1:{free_port()}"
    return [
        "run",
        "-f",
        str(locustfile),
        "--host",
        host,
        "--state-dir",
        str(tmp_path / "s"),
        *extra,
    ]


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("perfstack: error: ")
    return lines[0]


@pytest.mark.parametrize(
    ("extra", "code", "expected"),
    [
        (["--scenario", "soak"], ExitCode.UNKNOWN_SCENARIO, "--scenario soak: unknown scenario"),
        (["--duration", "soon"], ExitCode.USAGE, "--duration: expected a duration"),
        (["--users", "0"], ExitCode.USAGE, "--users 0: expected a whole number >= 1"),
        (["--processes", "0"], ExitCode.USAGE, "--processes 0"),
        (["--max-names", "0"], ExitCode.USAGE, "--max-names 0"),
        (["--rate", "0/s"], ExitCode.USAGE, "--rate 0/s: expected a rate > 0 (e.g. 200/s)"),
        (["--rate=-5/s"], ExitCode.USAGE, "--rate -5/s: expected a rate > 0 (e.g. 200/s)"),
        (["--rate", "fast"], ExitCode.USAGE, "--rate: expected a rate like 200/s"),
        (["--rate", "5/s", "--max-users", "0"], ExitCode.USAGE, "--max-users 0: expected a"),
        (["--max-users", "3"], ExitCode.USAGE, "--max-users: only for the open model"),
        (["--rate", "5/s", "--scenario", "smoke"], ExitCode.USAGE, "cannot be combined with"),
        (["--rate", "5/s", "-u", "3"], ExitCode.USAGE, "pool of users is --max-users"),
    ],
)
def test_bad_flags(locustfile, tmp_path, capsys, extra, code, expected):
    assert main(run_args(locustfile, tmp_path, *extra)) == code
    assert expected in one_error_line(capsys)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("localhost:8000", "expected an http:// or https:// URL"),
        ("http://192.0.2.1:80", "unless --allow-remote-host"),
    ],
)
def test_bad_host(locustfile, tmp_path, capsys, host, expected):
    argv = ["run", "-f", str(locustfile), "--host", host, "--state-dir", str(tmp_path)]
    assert main(argv) == ExitCode.BAD_TARGET_URL
    assert expected in one_error_line(capsys)


def test_bad_scenario_file_names_file_line_and_key(locustfile, tmp_path, capsys):
    scenario = tmp_path / "mine.yaml"
    scenario.write_text("stages:\n  - {kind: ramp, duration: 5s, users: 2}\nusers: 9\n")
    assert main(run_args(locustfile, tmp_path, "--scenario", str(scenario))) == ExitCode.USAGE
    assert f"{scenario}:3: users: unknown key" in one_error_line(capsys)


def test_missing_locustfile(tmp_path, capsys):
    argv = run_args(tmp_path / "nope.py", tmp_path)
    assert main(argv) == ExitCode.LOCUSTFILE_IMPORT
    assert "expected an existing .py locustfile" in one_error_line(capsys)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "import os\nimport no_such_module_here\n",
            ":2: cannot import locustfile: ModuleNotFoundError",
        ),
        ("def broken(:\n", ":1: cannot import locustfile: SyntaxError"),
        ("x = 1\n", "no Locust User class found"),
    ],
)
def test_locustfile_that_does_not_load(tmp_path, capsys, source, expected):
    path = tmp_path / "bad_locustfile.py"
    path.write_text(source)
    assert main(run_args(path, tmp_path, "-t", "2s")) == ExitCode.LOCUSTFILE_IMPORT
    line = one_error_line(capsys)
    assert expected in line and "bad_locustfile.py" in line


def test_scenario_overrides_reach_the_plan(locustfile, tmp_path):
    args = build_parser().parse_args(
        run_args(
            locustfile, tmp_path, "--scenario", "spike", "-u", "20", "-t", "30s", "--testid", "t1"
        )
    )
    plan = build_plan(args)
    assert plan.scenario is not None and plan.scenario.peak_users == 20
    assert plan.scenario.duration == pytest.approx(30)
    assert (plan.testid, plan.scenario_name) == ("t1", "spike")


def test_without_scenario_the_run_is_adhoc_with_a_generated_testid(locustfile, tmp_path):
    args = build_parser().parse_args(
        run_args(
            locustfile,
            tmp_path,
            "-u",
            "3",
            "--prometheus",
            "http://127.0.0.1:1/",
            "--",
            "--loglevel",
            "DEBUG",
        )
    )
    plan = build_plan(args)
    assert plan.scenario is None and plan.scenario_name == "adhoc"
    assert plan.testid.startswith("adhoc-") and (plan.users, plan.spawn_rate) == (3, 3.0)
    assert plan.prometheus_url == "http://127.0.0.1:1"
    assert plan.extra_args == ["--loglevel", "DEBUG"]


def test_bad_arrival_stage_names_file_line_and_key(locustfile, tmp_path, capsys):
    scenario = tmp_path / "open.yaml"
    scenario.write_text("stages:\n  - kind: arrival\n    duration: 5s\n    rate: 0/s\n")
    assert main(run_args(locustfile, tmp_path, "--scenario", str(scenario))) == ExitCode.USAGE
    assert one_error_line(capsys) == (
        f"perfstack: error: {scenario}:4: stages[0].rate: expected a rate > 0 (e.g. 200/s), "
        "got '0/s'"
    )


def test_rate_and_max_users_make_one_arrival_stage(locustfile, tmp_path):
    parser = build_parser()
    argv = run_args(locustfile, tmp_path, "--rate", "600/m", "--max-users", "7", "-t", "30s")
    plan = build_plan(parser.parse_args(argv))
    assert plan.scenario is not None and plan.scenario.is_arrival
    (stage,) = plan.scenario.stages
    assert (stage.rate, stage.start_rate, stage.users, stage.duration) == (10.0, 10.0, 7, 30.0)
    assert plan.scenario_name == "adhoc"
    # --max-users resizes the pool of an arrival scenario file
    scenario = tmp_path / "open.yaml"
    scenario.write_text("stages:\n  - {kind: arrival, rate: 5/s, duration: 5s}\n")
    argv = run_args(locustfile, tmp_path, "--scenario", str(scenario), "--max-users", "9")
    plan = build_plan(parser.parse_args(argv))
    assert plan.scenario is not None and plan.scenario.peak_users == 9


def test_a_store_that_refuses_writes_is_one_error_line_exit_25_and_a_full_record(
    demo_target, tmp_path
):
    """An auth proxy answering 403 in front of the store: the run goes on, its record holds
    Locust's exact totals and every refused sample counted; the end says so on one line."""
    from perfstack.core.record import load_record
    from perfstack.testing import start_nginx
    from tests.loadgen.locust_runs import run_perfstack, write_locustfile

    nginx, proxy = start_nginx(tmp_path / "proxy", body="invalid token", status=403)
    write_url = f"{proxy}/api/v1/write"
    testid = f"refused-{tmp_path.name}"[:60]
    try:
        result = run_perfstack(
            write_locustfile(tmp_path, FAST_LOCUSTFILE), demo_target.url, tmp_path / "state",
            f"http://127.0.0.1:{free_port()}", "-u", "2", "-t", "3s", "--testid", testid,
            "--remote-write-url", write_url, "--", "--perfstack-push-stop-timeout", "2",
        )  # fmt: skip
    finally:
        nginx.kill()
        nginx.wait()
    assert result.returncode == ExitCode.STORE_REFUSED_WRITES, result.stdout + result.stderr
    record = load_record(tmp_path / "state", testid)
    assert record.requests > 0 and record.requests == record.extra["locust_requests"]
    assert record.extra["store_refused"] == "HTTP 403: invalid token"
    assert record.samples_dropped > 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("perfstack: error")]
    assert errors == [
        f"perfstack: error: --remote-write-url {write_url}: the store refused writes "
        f"(HTTP 403: invalid token); {record.samples_dropped} samples dropped, counted in the "
        "run record's samples_dropped"
    ]


def test_a_stand_in_answering_200_ok_is_a_warning_naming_the_flag(demo_target, tmp_path):
    """nginx answering 200 "ok" to anything: accepted (its status says stored), but a
    receiver answers with an empty body, so the end of the run says so."""
    from perfstack.core.record import load_record
    from perfstack.testing import start_nginx
    from tests.loadgen.locust_runs import run_perfstack, write_locustfile

    nginx, stand_in = start_nginx(tmp_path / "stand-in")
    testid = f"stand-in-{tmp_path.name}"[:60]
    try:
        # --prometheus names no server: a run starts without its query API (not so for a web
        # page there: test_a_store_url_that_is_no_query_api_stops_the_run_before_any_load)
        result = run_perfstack(
            write_locustfile(tmp_path, FAST_LOCUSTFILE), demo_target.url, tmp_path / "state",
            f"http://127.0.0.1:{free_port()}", "-u", "1", "-t", "2s", "--testid", testid,
            "--remote-write-url", f"{stand_in}/api/v1/write",
        )  # fmt: skip
    finally:
        nginx.kill()
        nginx.wait()
    assert result.returncode == 0, result.stdout + result.stderr
    record = load_record(tmp_path / "state", testid)
    assert record.samples_dropped == 0 and record.extra["store_answer_unexpected"] == "HTTP 200: ok"
    assert (
        f"perfstack: warning: --remote-write-url {stand_in}/api/v1/write accepted writes with "
        "HTTP 200: ok; a remote-write receiver answers with an empty body: if it is not one, "
        "the store has none of this run"
    ) in result.stderr.splitlines()


def test_a_store_url_that_is_no_query_api_stops_the_run_before_any_load(
    locustfile, tmp_path, capsys, not_a_store
):
    assert main(run_args(locustfile, tmp_path, "--prometheus", not_a_store)) == 4
    line = one_error_line(capsys)
    assert f"--prometheus {not_a_store}: expected a Prometheus-compatible query API" in line
    assert not list((tmp_path / "s").rglob("*.json"))  # no run started, nothing measured
