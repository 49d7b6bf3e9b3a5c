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
