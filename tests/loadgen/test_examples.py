"""Every example locustfile smoke-runs for a few seconds against the demo target, and
every example scenario file validates (one of them also runs, scaled down)."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadgen.scenarios import load_scenario_file
from loadgen.ws.scenario import load_ws_scenario
from perfstack.core.paths import examples_dir
from tests.loadgen.locust_runs import finished_record, prom_by, run_perfstack

LOCUSTFILES = sorted(examples_dir().glob("locustfile_*.py"))
SCENARIOS = sorted(examples_dir().glob("scenario_*.yaml"))


def test_there_are_examples():
    assert len(LOCUSTFILES) >= 3 and SCENARIOS


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.name)
def test_example_scenarios_validate(scenario: Path):
    loaded = load_scenario_file(scenario)
    assert loaded.peak_users > 0 and loaded.duration > 0
    if loaded.websocket is not None:  # runs in tests/loadgen/test_run_wiring.py
        assert load_ws_scenario(scenario).values["url"]


@pytest.mark.parametrize("locustfile", LOCUSTFILES, ids=lambda p: p.stem)
def test_example_runs_against_the_demo_target(stack, demo_target, tmp_path, locustfile: Path):
    testid = f"example-{locustfile.stem}-{tmp_path.name}"[:60]
    with_scenario = locustfile.stem.endswith("user_mix")  # scaled: 1, 1, 6, 6, 2, 2 users
    launch_day = examples_dir() / "scenario_launch_day.yaml"
    extra = ["--scenario", str(launch_day), "-t", "8s"] if with_scenario else ["-t", "5s"]
    result = run_perfstack(
        locustfile, demo_target.url, tmp_path / "state", stack.prometheus_url,
        "-u", "6", "--testid", testid, *extra,
    )  # fmt: skip
    record = finished_record(tmp_path / "state", testid, result)
    if with_scenario:
        assert (record.scenario, record.users) == ("launch-day", 6)
    log = Path(record.extra["locust_log"]).read_text()
    assert "Traceback" not in log, log
    assert record.requests > 0
    assert set(record.errors_by_type) <= {"http_5xx"}  # only the demo's flaky endpoint fails
    assert prom_by(stack.prometheus_url, "loadgen_http_requests_total", testid) == {
        "": record.requests
    }
