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
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from loadgen.durations import parse_duration
from perfstack.errors import ExitCode, PerfstackError

SCENARIO_ENV = "PERFSTACK_SCENARIO_JSON"  # how `perfstack run` hands the scenario to the shape
BUILTIN_DIR = Path(__file__).resolve().parent / "scenarios"
STAGE_KINDS = ("ramp", "hold", "spike", "recovery")
TOP_LEVEL_KEYS = {"name", "description", "spawn_rate", "stages"}
RESERVED_KEYS = {"websocket"}
STAGE_KEYS = {"kind", "duration", "users", "spawn_rate"}


@dataclass(frozen=True)
class Stage:
    kind: str
    duration: float
    users: int
    spawn_rate: float


@dataclass(frozen=True)
class Scenario:
    name: str
    stages: tuple[Stage, ...]
    description: str = ""
    source: str = ""
    websocket: Any = None

    @property
    def peak_users(self) -> int:
        return max(stage.users for stage in self.stages)

    @property
    def duration(self) -> float:
        return sum(stage.duration for stage in self.stages)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "stages": [dataclasses.asdict(stage) for stage in self.stages],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scenario:
        return cls(name=data["name"], stages=tuple(Stage(**stage) for stage in data["stages"]))

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
            )
            for stage in self.stages
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
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise PerfstackError(f"{where}: invalid YAML: {problem}", ExitCode.USAGE) from error
    if not isinstance(root, yaml.MappingNode):
        line = root.start_mark.line + 1 if root is not None else 1
        raise PerfstackError(
            f"{source}:{line}: expected a mapping with a 'stages' list", ExitCode.USAGE
        )
    fields = _mapping(root, source, TOP_LEVEL_KEYS | RESERVED_KEYS, context="")
    if "stages" not in fields:
        raise PerfstackError(
            f"{source}:{root.start_mark.line + 1}: stages: required key missing", ExitCode.USAGE
        )
    default_rate = None
    if "spawn_rate" in fields:
        default_rate = _positive_number(fields["spawn_rate"][1], source, "spawn_rate")
    stages_node = fields["stages"][1]
    if not isinstance(stages_node, yaml.SequenceNode) or not stages_node.value:
        raise _error(source, stages_node, "stages", "expected a non-empty list of stages")
    stages: list[Stage] = []
    previous_users = 0
    for index, stage_node in enumerate(stages_node.value):
        stage = _stage(stage_node, source, f"stages[{index}]", default_rate, previous_users)
        stages.append(stage)
        previous_users = stage.users
    if max(stage.users for stage in stages) == 0:
        raise _error(source, stages_node, "stages", "expected at least one stage with users > 0")
    name = default_name
    if "name" in fields:
        name = _string(fields["name"][1], source, "name")
    description = (
        _string(fields["description"][1], source, "description") if "description" in fields else ""
    )
    websocket = (
        yaml.safe_load(yaml.serialize(fields["websocket"][1])) if "websocket" in fields else None
    )
    return Scenario(
        name=name, stages=tuple(stages), description=description, source=source, websocket=websocket
    )


def _stage(
    node: yaml.Node, source: str, where: str, default_rate: float | None, previous: int
) -> Stage:
    if not isinstance(node, yaml.MappingNode):
        raise _error(source, node, where, "expected a mapping with kind, duration and users")
    fields = _mapping(node, source, STAGE_KEYS, context=f"{where}.")
    for required in ("kind", "duration", "users"):
        if required not in fields:
            raise _error(source, node, f"{where}.{required}", "required key missing")
    kind_node = fields["kind"][1]
    kind = _string(kind_node, source, f"{where}.kind")
    if kind not in STAGE_KINDS:
        raise _error(
            source,
            kind_node,
            f"{where}.kind",
            f"expected one of {', '.join(STAGE_KINDS)}, got {kind!r}",
        )
    duration_node = fields["duration"][1]
    try:
        duration = parse_duration(_scalar(duration_node))
    except ValueError as error:
        raise _error(source, duration_node, f"{where}.duration", str(error)) from error
    users_node = fields["users"][1]
    users = _scalar(users_node)
    if not isinstance(users, int) or isinstance(users, bool) or users < 0:
        raise _error(
            source,
            users_node,
            f"{where}.users",
            f"expected a whole number >= 0, got {users_node.value!r}",
        )
    if "spawn_rate" in fields:
        rate = _positive_number(fields["spawn_rate"][1], source, f"{where}.spawn_rate")
    elif default_rate is not None:
        rate = default_rate
    else:
        rate = max(1.0, abs(users - previous) / duration)
    return Stage(kind=kind, duration=duration, users=users, spawn_rate=rate)


def _mapping(
    node: yaml.MappingNode, source: str, allowed: set[str], context: str
) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    fields: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key_node, value_node in node.value:
        key = key_node.value
        if key not in allowed:
            raise _error(
                source,
                key_node,
                f"{context}{key}",
                f"unknown key; expected one of {', '.join(sorted(allowed))}",
            )
        if key in fields:
            raise _error(source, key_node, f"{context}{key}", "duplicate key")
        fields[key] = (key_node, value_node)
    return fields


def _scalar(node: yaml.Node) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        return node
    return yaml.SafeLoader("").construct_object(node)


def _string(node: yaml.Node, source: str, key: str) -> str:
    value = _scalar(node)
    if not isinstance(value, str) or not value.strip():
        raise _error(source, node, key, "expected a non-empty string")
    return value


def _positive_number(node: yaml.Node, source: str, key: str) -> float:
    value = _scalar(node)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise _error(
            source, node, key, f"expected a number > 0, got {getattr(node, 'value', node)!r}"
        )
    return float(value)


def _error(source: str, node: yaml.Node, key: str, expected: str) -> PerfstackError:
    return PerfstackError(f"{source}:{node.start_mark.line + 1}: {key}: {expected}", ExitCode.USAGE)
