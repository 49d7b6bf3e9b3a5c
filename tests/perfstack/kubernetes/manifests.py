"""The committed manifests as the tests read them: documents by kind and name, the pods'
containers, and the settings a container sees."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from perfstack.kubernetes import config as c
from perfstack.kubernetes.manifest_yaml import load_all

ROOT = Path(__file__).resolve().parents[3]
_VARIABLE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


@cache
def _rendered_text() -> str:
    return (ROOT / c.RENDERED).read_text(encoding="utf-8")


def rendered() -> list[dict[str, Any]]:
    """A fresh copy of the rendered overlay's documents (tests may change theirs)."""
    return load_all(_rendered_text())


def find(documents: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [d for d in documents if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} in the rendered output"
    return found[0]


def config_map(documents: list[dict[str, Any]], prefix: str) -> dict[str, Any]:
    """The generated ConfigMap whose name is `prefix` plus kustomize's hash suffix."""
    found = [
        d
        for d in documents
        if d["kind"] == "ConfigMap"
        and re.fullmatch(f"{prefix}-[a-z0-9]{{10}}", d["metadata"]["name"])
    ]
    assert len(found) == 1, f"ConfigMap {prefix}-<hash>: {len(found)} in the rendered output"
    return found[0]


def pod_spec(document: dict[str, Any]) -> dict[str, Any]:
    return dict(document["spec"]["template"]["spec"])


def pods(documents: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{d['kind']}/{d['metadata']['name']}", pod_spec(d))
        for d in documents
        if d["kind"] in ("Job", "Deployment")
    ]


def container(document: dict[str, Any], name: str) -> dict[str, Any]:
    [found] = [x for x in pod_spec(document)["containers"] if x["name"] == name]
    return dict(found)


def environment(documents: list[dict[str, Any]], container: dict[str, Any]) -> dict[str, str]:
    """What Kubernetes gives the container as environment: its envFrom ConfigMaps, then env."""
    values: dict[str, str] = {}
    by_name = {d["metadata"]["name"]: d for d in documents if d["kind"] == "ConfigMap"}
    for source in container.get("envFrom", []):
        values.update(by_name[source["configMapRef"]["name"]]["data"])
    for variable in container.get("env", []):
        values[variable["name"]] = variable["value"]
    return values


def variables(arguments: list[str]) -> set[str]:
    return {name for argument in arguments for name in _VARIABLE.findall(argument)}


def expand(arguments: list[str], values: dict[str, str]) -> list[str]:
    """`$(NAME)` replaced as the kubelet does for a defined variable."""
    return [_VARIABLE.sub(lambda m: values.get(m.group(1), m.group(0)), a) for a in arguments]
