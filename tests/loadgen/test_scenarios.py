from __future__ import annotations

from pathlib import Path

import pytest

from loadgen.scenarios import Scenario, builtin_names, parse_scenario, resolve_scenario
from perfstack.core.errors import ExitCode, PerfstackError

BUILTINS = {
    "smoke": (10, 120),
    "normal": (100, 600),
    "peak": (500, 900),
    "stress": (1000, 1200),
    "spike": (2000, 300),
}


def test_builtins_match_the_seed_profiles():
    assert set(builtin_names()) == set(BUILTINS)
    for name, (users, seconds) in BUILTINS.items():
        scenario = resolve_scenario(name)
        assert (scenario.name, scenario.peak_users, scenario.duration) == (name, users, seconds)
    kinds = [stage.kind for stage in resolve_scenario("spike").stages]
    assert kinds == ["ramp", "hold", "spike", "hold", "recovery", "hold"]


def test_overrides_scale_users_and_time_proportionally():
    spike = resolve_scenario("spike").scaled(users=20, duration=30)
    assert spike.peak_users == 20 and spike.duration == pytest.approx(30)
    assert [s.users for s in spike.stages] == [2, 2, 20, 20, 2, 2]
    assert [round(s.duration, 6) for s in spike.stages] == [3, 6, 3, 9, 3, 6]
    # the spike still reaches its users within the same share of its stage
    original = resolve_scenario("spike").stages[2]
    assert spike.stages[2].spawn_rate == pytest.approx(
        original.spawn_rate * (20 / 2000) / (30 / 300)
    )


def test_target_at_walks_the_stages_and_ends():
    scenario = resolve_scenario("smoke")
    assert scenario.target_at(0) == (10, 1.0)
    assert scenario.target_at(119.9) == (10, 1.0)
    assert scenario.target_at(120) is None
    assert Scenario.from_dict(scenario.to_dict()).stages == scenario.stages


def test_stage_without_rate_ramps_linearly():
    scenario = parse_scenario("stages:\n  - {kind: ramp, duration: 10s, users: 50}\n", "f.yaml")
    assert scenario.stages[0].spawn_rate == 5.0
    assert scenario.name == "scenario"


def test_websocket_section_is_reserved_and_kept():
    text = "stages:\n  - {kind: hold, duration: 5, users: 1}\nwebsocket:\n  connections: 3\n"
    assert parse_scenario(text, "f.yaml").websocket == {"connections": 3}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("stages: []\n", "f.yaml:1: stages: expected a non-empty list"),
        ("name: x\n", "f.yaml:1: stages: required key missing"),
        (
            "stages:\n  - {kind: ramp, duration: 5s, users: 1}\nusers: 3\n",
            "f.yaml:3: users: unknown key",
        ),
        (
            "stages:\n  - {kind: climb, duration: 5s, users: 1}\n",
            "f.yaml:2: stages[0].kind: expected one of",
        ),
        (
            "stages:\n  - kind: ramp\n    duration: soon\n    users: 1\n",
            "f.yaml:3: stages[0].duration: expected a duration",
        ),
        (
            "stages:\n  - {kind: ramp, duration: 5s, users: -1}\n",
            "f.yaml:2: stages[0].users: expected a whole number",
        ),
        (
            "stages:\n  - {kind: ramp, duration: 5s}\n",
            "f.yaml:2: stages[0].users: required key missing",
        ),
        (
            "stages:\n  - {kind: ramp, duration: 5s, users: 1, rate: 2}\n",
            "f.yaml:2: stages[0].rate: unknown key",
        ),
        (
            "spawn_rate: 0\nstages:\n  - {kind: ramp, duration: 5s, users: 1}\n",
            "f.yaml:1: spawn_rate: expected a number > 0",
        ),
        (
            "stages:\n  - {kind: hold, duration: 5s, users: 0}\n",
            "stages: expected at least one stage with users > 0",
        ),
        ("stages: [\n", "f.yaml:2: invalid YAML"),
        ("- a\n", "f.yaml:1: expected a mapping"),
    ],
)
def test_invalid_files_give_one_line_errors_with_line_and_key(text, expected):
    with pytest.raises(PerfstackError) as raised:
        parse_scenario(text, "f.yaml")
    assert expected in raised.value.message
    assert raised.value.exit_code == ExitCode.USAGE
    assert "\n" not in raised.value.message


def test_unknown_scenario_names_the_builtins(tmp_path: Path):
    with pytest.raises(
        PerfstackError, match="unknown scenario; built-ins are normal, peak"
    ) as raised:
        resolve_scenario("soak")
    assert raised.value.exit_code == ExitCode.UNKNOWN_SCENARIO
    with pytest.raises(PerfstackError, match="file not found") as raised:
        resolve_scenario(str(tmp_path / "missing.yaml"))
    assert raised.value.exit_code == ExitCode.UNKNOWN_SCENARIO


def test_user_file_gets_its_stem_as_name(tmp_path: Path):
    path = tmp_path / "checkout-peak.yaml"
    path.write_text("stages:\n  - {kind: hold, duration: 1m, users: 3}\n")
    assert resolve_scenario(str(path)).name == "checkout-peak"


def test_arrival_stages_constant_and_ramping_share_one_pool():
    scenario = parse_scenario(
        "max_users: 30\nstages:\n"
        "  - {kind: arrival, rate: 50/s, duration: 20s}\n"
        "  - {kind: arrival, start_rate: 50/s, rate: 6000/m, duration: 10s}\n",
        "open.yaml",
    )
    assert scenario.is_arrival and scenario.peak_users == 30
    assert [(s.rate, s.start_rate, s.users) for s in scenario.stages] == [
        (50.0, 50.0, 30),
        (100.0, 50.0, 30),
    ]
    assert scenario.arrival_schedule().total == 50 * 20 + 75 * 10
    assert scenario.arrival_source is not None
    assert scenario.arrival_source.where() == "open.yaml:3: stages[0].kind"
    # the scenario travels to Locust as JSON: the schedule and the source survive it
    again = Scenario.from_dict(scenario.to_dict())
    assert again.arrival_schedule() == scenario.arrival_schedule()
    assert again.arrival_source == scenario.arrival_source


def test_arrival_pool_defaults_to_one_second_of_arrivals():
    scenario = parse_scenario(
        "stages:\n  - {kind: arrival, rate: 12.5/s, duration: 4s}\n", "a.yaml"
    )
    assert scenario.peak_users == 13


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "stages:\n  - {kind: arrival, rate: 0/s, duration: 5s}\n",
            "o.yaml:2: stages[0].rate: expected a rate > 0 (e.g. 200/s), got '0/s'",
        ),
        (
            "stages:\n  - {kind: arrival, duration: 5s,\n     rate: -20}\n",
            "o.yaml:3: stages[0].rate: expected a rate > 0 (e.g. 200/s), got -20",
        ),
        (
            "stages:\n  - {kind: arrival, rate: fast, duration: 5s}\n",
            "o.yaml:2: stages[0].rate: expected a rate like 200/s, 12000/m or 50, got 'fast'",
        ),
        (
            "stages:\n  - kind: arrival\n    rate: 5/s\n    duration: 5s\n    max_users: 0\n",
            "o.yaml:5: stages[0].max_users: expected a whole number >= 1, got 0",
        ),
        (
            "max_users: -1\nstages:\n  - {kind: arrival, rate: 5/s, duration: 5s}\n",
            "o.yaml:1: max_users: expected a whole number >= 1, got -1",
        ),
        (
            "stages:\n  - {kind: arrival, rate: 5/s, duration: 5s, max_users: 2}\n"
            "  - {kind: arrival, rate: 5/s, duration: 5s, max_users: 3}\n",
            "o.yaml:3: stages[1].max_users: every arrival stage shares one pool of users: "
            "max_users 3 differs from the 2 of the stage before",
        ),
        (
            "stages:\n  - {kind: arrival, rate: 5/s, duration: 5s}\n"
            "  - {kind: hold, users: 5, duration: 5s}\n",
            "o.yaml:3: stages[1].kind: arrival stages (open model) and user stages (closed "
            "model) cannot be mixed in one scenario",
        ),
        (
            "stages:\n  - {kind: arrival, rate: 5/s, duration: 5s, users: 5}\n",
            "o.yaml:2: stages[0].users: unknown key; expected one of duration, kind, max_users, "
            "rate, start_rate",
        ),
    ],
)
def test_bad_arrival_stages_name_file_line_and_key(text, expected):
    with pytest.raises(PerfstackError) as caught:
        parse_scenario(text, "o.yaml")
    assert str(caught.value.message) == expected
    assert caught.value.exit_code == ExitCode.USAGE
