"""Scenario files: named load profiles made of stages, validated with file:line errors.

Format (YAML)::

    name: spike                # optional, defaults to the file's stem
    description: free text     # optional
    spawn_rate: 20             # optional default users/s for stages without one
    stages:                    # required, run in order
      - {kind: ramp, duration: 30s, users: 200}
      - {kind: spike, duration: 30s, users: 2000, spawn_rate: 200}
    websocket: ...             # WebSocket sessions beside the HTTP users (loadgen/ws)

A stage without a spawn rate (and no file-wide default) moves linearly from the
previous stage's users to its own over its duration. Unknown keys are errors so a
typo never silently changes a profile.

Open model (docs/http-load.md): `{kind: arrival, rate: 200/s, duration: 2m}` starts
iterations at that rate whatever the target does (`start_rate: 10/s` ramps linearly to
`rate` over the stage), with at most `max_users` users in flight (file-wide or per stage,
one pool for the run). Arrival stages are not mixed with user stages in one file.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from loadgen.arrival import ArrivalSchedule, ArrivalStage, parse_rate
from perfstack.core.durations import parse_duration
from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.core.yamlnodes import Node, RuleFileError, compose, invalid_yaml

SCENARIO_ENV = "PERFSTACK_SCENARIO_JSON"  # how `perfstack run` hands the scenario to the shape
BUILTIN_DIR = Path(__file__).resolve().parent / "scenarios"
ARRIVAL = "arrival"
STAGE_KINDS = ("ramp", "hold", "spike", "recovery", ARRIVAL)
TOP_LEVEL_KEYS = {"name", "description", "spawn_rate", "stages", "max_users"}
RESERVED_KEYS = {"websocket"}
STAGE_KEYS = {"kind", "duration", "users", "spawn_rate"}
ARRIVAL_KEYS = {"kind", "duration", "rate", "start_rate", "max_users"}
ARRIVAL_SPAWN_SECONDS = 0.25  # the pool of an arrival run is started within this


@dataclass(frozen=True)
class Stage:
    kind: str
    duration: float
    users: int  # arrival stages: the pool (max_users)
    spawn_rate: float
    rate: float = 0.0  # arrival stages: iterations/s at the stage's end ...
    start_rate: float = 0.0  # ... and at its start


@dataclass(frozen=True)
class ArrivalSource:
    """Where the scenario's first arrival stage is written: bad-input errors found later
    (a locustfile with its own LoadTestShape) name this file, line and key."""

    file: str
    line: int
    key: str

    def where(self) -> str:
        if not self.line:  # given as a flag: `--rate 200/s`
            return f"{self.file} {self.key}"
        return f"{self.file}:{self.line}: {self.key}"


@dataclass(frozen=True)
class Scenario:
    name: str
    stages: tuple[Stage, ...]
    description: str = ""
    source: str = ""
    websocket: Any = None
    arrival_source: ArrivalSource | None = None

    @property
    def is_arrival(self) -> bool:
        return any(stage.kind == ARRIVAL for stage in self.stages)

    def arrival_schedule(self) -> ArrivalSchedule:
        return ArrivalSchedule(
            tuple(
                ArrivalStage(stage.duration, stage.rate, stage.start_rate)
                for stage in self.stages
                if stage.kind == ARRIVAL
            )
        )

    @property
    def peak_users(self) -> int:
        return max(stage.users for stage in self.stages)

    @property
    def duration(self) -> float:
        return sum(stage.duration for stage in self.stages)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "stages": [dataclasses.asdict(stage) for stage in self.stages],
        }
        if self.arrival_source is not None:
            data["arrival_source"] = dataclasses.asdict(self.arrival_source)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scenario:
        source = data.get("arrival_source")
        return cls(
            name=data["name"],
            stages=tuple(Stage(**stage) for stage in data["stages"]),
            arrival_source=ArrivalSource(**source) if source else None,
        )

    def scaled(self, users: int | None = None, duration: float | None = None) -> Scenario:
        """The same profile with peak users and/or total duration overridden, proportionally."""
        user_factor = users / self.peak_users if users and self.peak_users else 1.0
        time_factor = duration / self.duration if duration else 1.0
        stages = tuple(
            Stage(
                kind=stage.kind,
                duration=stage.duration * time_factor,
                users=max(1, round(stage.users * user_factor)) if stage.users else 0,
                spawn_rate=stage.spawn_rate * user_factor / time_factor,
                rate=stage.rate,
                start_rate=stage.start_rate,
            )
            for stage in self.stages
        )
        return dataclasses.replace(self, stages=stages)

    def with_pool(self, max_users: int) -> Scenario:
        """An arrival scenario with another pool of users (--max-users)."""
        spawn = max(1.0, max_users / ARRIVAL_SPAWN_SECONDS)
        stages = tuple(
            dataclasses.replace(stage, users=max_users, spawn_rate=spawn) for stage in self.stages
        )
        return dataclasses.replace(self, stages=stages)

    def with_spawn_rate(self, spawn_rate: float) -> Scenario:
        stages = tuple(dataclasses.replace(stage, spawn_rate=spawn_rate) for stage in self.stages)
        return dataclasses.replace(self, stages=stages)

    def target_at(self, elapsed: float) -> tuple[int, float] | None:
        """(users, spawn rate) the profile asks for `elapsed` seconds in; None once it ends."""
        stage_end = 0.0
        for stage in self.stages:
            stage_end += stage.duration
            if elapsed < stage_end:
                return stage.users, stage.spawn_rate
        return None


def arrival_scenario(
    rate: float, duration: float, max_users: int | None, as_given: str = ""
) -> Scenario:
    """The open model from flags (`perfstack run --rate R --duration D [--max-users N]`)."""
    pool = max_users if max_users is not None else max(1, math.ceil(rate))
    spawn = max(1.0, pool / ARRIVAL_SPAWN_SECONDS)
    stage = Stage(ARRIVAL, duration, pool, spawn, rate=rate, start_rate=rate)
    return Scenario(
        name="adhoc",
        stages=(stage,),
        arrival_source=ArrivalSource("--rate", 0, as_given or f"{rate:g}/s"),
    )


def ws_url_for_host(url: str, host: str) -> str:
    """A `websocket.url` that follows `perfstack run --host`: `/ws/chat` becomes the host's
    base URL with ws(s):// and that path; `{host}` is replaced by the host's `name:port`
    (e.g. `ws://{host}/ws/chat`). Any other URL is returned unchanged."""
    parts = urlsplit(host)
    if url.startswith("/"):
        scheme = "wss" if parts.scheme == "https" else "ws"
        return f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}{url}"
    return url.replace("{host}", parts.netloc)


def builtin_names() -> list[str]:
    return sorted(path.stem for path in BUILTIN_DIR.glob("*.yaml"))


def resolve_scenario(name_or_path: str) -> Scenario:
    """A built-in by name, or a scenario file by path."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        if not candidate.is_file():
            raise PerfstackError(
                f"--scenario {name_or_path}: file not found", ExitCode.UNKNOWN_SCENARIO
            )
        return load_scenario_file(candidate)
    builtin = BUILTIN_DIR / f"{name_or_path}.yaml"
    if not builtin.is_file():
        raise PerfstackError(
            f"--scenario {name_or_path}: unknown scenario; built-ins are "
            f"{', '.join(builtin_names())}, or give a .yaml file",
            ExitCode.UNKNOWN_SCENARIO,
        )
    return load_scenario_file(builtin)


def load_scenario_file(path: Path) -> Scenario:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PerfstackError(f"{path}: cannot read: {error.strerror}", ExitCode.USAGE) from error
    return parse_scenario(text, source=str(path), default_name=path.stem)


def parse_scenario(text: str, source: str, default_name: str = "scenario") -> Scenario:
    try:
        root = compose(text, source)
    except yaml.YAMLError as error:
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise invalid_yaml(source, error, problem) from error
    if root is None or not root.is_mapping:
        line = root.line if root is not None else 1
        raise RuleFileError(source, line, "", "expected a mapping with a 'stages' list")
    fields = root.fields(TOP_LEVEL_KEYS | RESERVED_KEYS, required=("stages",))
    default_rate = _positive_number(fields["spawn_rate"]) if "spawn_rate" in fields else None
    stages_node = fields["stages"]
    if not stages_node.is_sequence or not stages_node.node.value:
        raise stages_node.error("expected a non-empty list of stages")
    default_pool = _pool(fields["max_users"]) if "max_users" in fields else None
    stages: list[Stage] = []
    previous_users = 0
    arrival: ArrivalSource | None = None
    for stage_node in stages_node.sequence():
        kind_node = stage_node.fields(None).get("kind") if stage_node.is_mapping else None
        is_arrival = kind_node is not None and kind_node.is_scalar and kind_node.loaded() == ARRIVAL
        if stages and (arrival is not None) != is_arrival:
            raise (kind_node or stage_node).error(
                "arrival stages (open model) and user stages (closed model) cannot be mixed "
                "in one scenario"
            )
        if is_arrival:
            stage = _arrival_stage(stage_node, default_pool, stages)
            if arrival is None:
                assert kind_node is not None
                arrival = ArrivalSource(source, kind_node.line, kind_node.path)
        else:
            stage = _stage(stage_node, default_rate, previous_users)
        stages.append(stage)
        previous_users = stage.users
    if max(stage.users for stage in stages) == 0:
        raise stages_node.error("expected at least one stage with users > 0")
    name = _string(fields["name"]) if "name" in fields else default_name
    description = _string(fields["description"]) if "description" in fields else ""
    websocket = (
        yaml.safe_load(yaml.serialize(fields["websocket"].node)) if "websocket" in fields else None
    )
    return Scenario(
        name=name,
        stages=tuple(stages),
        description=description,
        source=source,
        websocket=websocket,
        arrival_source=arrival,
    )


def _arrival_stage(node: Node, default_pool: int | None, before: list[Stage]) -> Stage:
    fields = node.fields(ARRIVAL_KEYS, required=("kind", "duration", "rate"))
    duration_node = fields["duration"]
    try:
        duration = parse_duration(_value(duration_node))
    except ValueError as error:
        raise duration_node.error(str(error)) from error
    rate = _rate(fields["rate"], allow_zero=False)
    start_rate = _rate(fields["start_rate"], allow_zero=True) if "start_rate" in fields else rate
    if "max_users" in fields:
        pool = _pool(fields["max_users"])
    elif default_pool is not None:
        pool = default_pool
    else:  # one second of arrivals in flight at the peak rate (docs/http-load.md)
        pool = max(1, math.ceil(max(rate, start_rate)))
    if before and before[-1].users != pool:
        raise (fields.get("max_users") or node).error(
            f"every arrival stage shares one pool of users: max_users {pool} differs from "
            f"the {before[-1].users} of the stage before"
        )
    spawn = max(1.0, pool / ARRIVAL_SPAWN_SECONDS)
    return Stage(ARRIVAL, duration, pool, spawn, rate=rate, start_rate=start_rate)


def _rate(node: Node, allow_zero: bool) -> float:
    value = _value(node)
    try:
        rate = parse_rate(value)
    except ValueError as error:
        raise node.error(str(error)) from error
    if rate < 0 or (rate == 0 and not allow_zero) or not math.isfinite(rate):
        raise node.expected(
            "a rate >= 0 (e.g. 0/s)" if allow_zero else "a rate > 0 (e.g. 200/s)", value
        )
    return rate


def _pool(node: Node) -> int:
    value = _value(node)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise node.expected("a whole number >= 1", value)
    return value


def _stage(node: Node, default_rate: float | None, previous: int) -> Stage:
    if not node.is_mapping:
        raise node.error("expected a mapping with kind, duration and users")
    fields = node.fields(STAGE_KEYS, required=("kind", "duration", "users"))
    kind_node = fields["kind"]
    kind = _string(kind_node)
    if kind not in STAGE_KINDS:
        raise kind_node.expected(f"one of {', '.join(STAGE_KINDS)}", kind)
    duration_node = fields["duration"]
    try:
        duration = parse_duration(_value(duration_node))
    except ValueError as error:
        raise duration_node.error(str(error)) from error
    users_node = fields["users"]
    users = _value(users_node)
    if not isinstance(users, int) or isinstance(users, bool) or users < 0:
        raise users_node.expected("a whole number >= 0", users_node.node.value)
    if "spawn_rate" in fields:
        rate = _positive_number(fields["spawn_rate"])
    elif default_rate is not None:
        rate = default_rate
    else:
        rate = max(1.0, abs(users - previous) / duration)
    return Stage(kind=kind, duration=duration, users=users, spawn_rate=rate)


def _value(node: Node) -> Any:
    """A scalar's value; a list or mapping as its yaml node, which every check below rejects
    (and a duration error shows)."""
    return node.loaded() if node.is_scalar else node.node


def _string(node: Node) -> str:
    value = _value(node)
    if not isinstance(value, str) or not value.strip():
        raise node.error("expected a non-empty string")
    return value


def _positive_number(node: Node) -> float:
    value = _value(node)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise node.expected("a number > 0", node.node.value)
    return float(value)
