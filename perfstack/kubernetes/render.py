"""What `kubectl kustomize <overlay>` prints, computed here for the kustomize features
our kustomizations use, so `python -m perfstack.kubernetes` writes the rendered output
without kubectl (CI has none). Any other feature is refused with its name, rather than
rendered wrongly; where kubectl is installed a test compares both renderings.

Features: resources (files and directories), configMapGenerator (literals, files, envs;
behavior create or merge) with kustomize's content-hash name suffix and the references to
it, namespace, labels (includeTemplates, never selectors), images, and replacements from a
ConfigMap value into fields of other objects.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections.abc import Iterator, Mapping
from typing import Any

from perfstack.kubernetes.kustomization import parse_env
from perfstack.kubernetes.manifest_yaml import dump_all, load_all
from perfstack.kubernetes.pods import Manifest

KNOWN_KEYS = frozenset(
    {
        "apiVersion",
        "kind",
        "resources",
        "configMapGenerator",
        "namespace",
        "labels",
        "images",
        "replacements",
    }
)
# kustomize's legacy output order (its default): these kinds first, in this order, the
# rest after them, each group sorted by apiVersion/kind and then name
ORDER_FIRST = (
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
)
ORDER_LAST = ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")
CLUSTER_SCOPED = frozenset({"Namespace", "ClusterRole", "ClusterRoleBinding", "StorageClass"})
WITH_POD_TEMPLATE = frozenset({"Deployment", "Job", "StatefulSet", "DaemonSet", "ReplicaSet"})


class Resource:
    """One object, and when a generator made it, the name its hash suffix goes after."""

    def __init__(self, body: Manifest, generated: bool = False) -> None:
        self.body = body
        self.generated = generated

    @property
    def kind(self) -> str:
        return str(self.body["kind"])

    @property
    def name(self) -> str:
        return str(self.body["metadata"]["name"])


def render(files: Mapping[str, str], directory: str) -> str:
    """The overlay at `directory` (a key prefix of `files`, paths relative to the repository)
    built the way kubectl kustomize builds it, as one multi-document YAML text."""
    resources = _build(files, directory)
    renamed = {
        r.name: f"{r.name}-{config_map_hash(r.body)}"
        for r in resources
        if r.generated and r.kind == "ConfigMap"
    }
    for resource in resources:
        if resource.generated:
            resource.body["metadata"]["name"] = renamed[resource.name]
        for pod in _pod_specs(resource.body):
            _rename_config_maps(pod, renamed)
    resources.sort(key=_order)
    return dump_all([r.body for r in resources], sort_keys=True)


def config_map_hash(body: Manifest) -> str:
    """kustomize's name suffix: the first 10 hex digits of the SHA-256 of the data encoded
    as Go's json.Marshal does (sorted keys, <>& escaped), with 0 1 3 a e spelled g h k m t
    (so the suffix never reads as a number). The name is not part of it."""
    encoded = json.dumps(
        {"data": body.get("data", {}), "kind": "ConfigMap", "name": ""},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        encoded = encoded.replace(char, escaped)
    for char, escaped in (("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        encoded = encoded.replace(char, escaped)
    digest = hashlib.sha256(encoded.encode("utf-8")).hexdigest()[:10]
    return digest.translate(str.maketrans("013ae", "ghkmt"))


def _build(files: Mapping[str, str], directory: str) -> list[Resource]:
    path = posixpath.join(directory, "kustomization.yaml")
    if path not in files:
        raise ValueError(f"{path}: not found")
    kustomization = load_all(files[path])[0]
    unknown = set(kustomization) - KNOWN_KEYS
    if unknown:
        raise ValueError(f"{path}: not rendered here: {', '.join(sorted(unknown))}")
    resources: list[Resource] = []
    for entry in kustomization.get("resources", []):
        target = posixpath.normpath(posixpath.join(directory, entry))
        if target in files:
            resources += [Resource(body) for body in load_all(files[target])]
        else:
            resources += _build(files, target)
    for generator in kustomization.get("configMapGenerator", []):
        _generate(files, directory, generator, resources)
    if "namespace" in kustomization:
        for resource in resources:
            if resource.kind not in CLUSTER_SCOPED:
                resource.body["metadata"]["namespace"] = kustomization["namespace"]
    for label in kustomization.get("labels", []):
        _label(resources, label)
    for image in kustomization.get("images", []):
        _set_image(resources, image)
    for replacement in kustomization.get("replacements", []):
        _replace(resources, replacement)
    return resources


def _generate(
    files: Mapping[str, str], directory: str, generator: Manifest, resources: list[Resource]
) -> None:
    data: dict[str, str] = {}
    for literal in generator.get("literals", []):
        key, _, value = literal.partition("=")
        data[key] = value
    for name in generator.get("files", []):
        data[posixpath.basename(name)] = files[posixpath.join(directory, name)]
    for name in generator.get("envs", []):
        data.update(parse_env(files[posixpath.join(directory, name)]))
    behavior = generator.get("behavior", "create")
    existing = [r for r in resources if r.kind == "ConfigMap" and r.name == generator["name"]]
    if behavior == "merge" and len(existing) == 1:
        existing[0].body["data"] = {**existing[0].body.get("data", {}), **data}
        return
    if behavior != "create" or existing:
        raise ValueError(f"configMapGenerator {generator['name']}: behavior {behavior!r}")
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": generator["name"]},
        "data": data,
    }
    resources.append(Resource(body, generated=True))


def _label(resources: list[Resource], label: Manifest) -> None:
    if label.get("includeSelectors"):
        raise ValueError("labels: includeSelectors is not rendered here")
    pairs = label["pairs"]
    for resource in resources:
        resource.body["metadata"].setdefault("labels", {}).update(pairs)
        if label.get("includeTemplates") and resource.kind in WITH_POD_TEMPLATE:
            template = resource.body["spec"]["template"]
            template.setdefault("metadata", {}).setdefault("labels", {}).update(pairs)


def _set_image(resources: list[Resource], image: Manifest) -> None:
    reference = str(image.get("newName", image["name"]))
    if "digest" in image:
        reference += "@" + str(image["digest"])
    elif "newTag" in image:
        reference += ":" + str(image["newTag"])
    for resource in resources:
        for pod in _pod_specs(resource.body):
            for container in _containers(pod):
                if container["image"].split("@")[0].split(":")[0] == image["name"]:
                    container["image"] = reference


def _replace(resources: list[Resource], replacement: Manifest) -> None:
    source = replacement["source"]
    [origin] = [r for r in resources if r.kind == source["kind"] and r.name == source["name"]]
    value = _get(origin.body, source["fieldPath"])
    for target in replacement["targets"]:
        select = target["select"]
        for resource in resources:
            if resource.kind != select["kind"] or resource.name != select["name"]:
                continue
            for field_path in target["fieldPaths"]:
                _set(resource.body, field_path, value)


def _get(body: Manifest, field_path: str) -> Any:
    node: Any = body
    for part in field_path.split("."):
        node = node[part]
    return node


def _set(body: Manifest, field_path: str, value: Any) -> None:
    """kustomize keeps the target's type: a string copied onto a number stays a number."""
    *parents, last = field_path.split(".")
    node: Any = body
    for part in parents:
        node = node[part]
    current = node.get(last)
    node[last] = int(value) if isinstance(current, int) else str(value)


def _pod_specs(body: Manifest) -> Iterator[Manifest]:
    if body["kind"] in WITH_POD_TEMPLATE:
        yield body["spec"]["template"]["spec"]


def _containers(pod: Manifest) -> Iterator[Manifest]:
    yield from pod.get("initContainers", [])
    yield from pod.get("containers", [])


def _rename_config_maps(pod: Manifest, renamed: Mapping[str, str]) -> None:
    def rename(holder: Manifest) -> None:
        if holder.get("name") in renamed:
            holder["name"] = renamed[holder["name"]]

    for container in _containers(pod):
        for source in container.get("envFrom", []):
            if "configMapRef" in source:
                rename(source["configMapRef"])
        for variable in container.get("env", []):
            if "configMapKeyRef" in variable.get("valueFrom", {}):
                rename(variable["valueFrom"]["configMapKeyRef"])
    for volume in pod.get("volumes", []):
        if "configMap" in volume:
            rename(volume["configMap"])


def _order(resource: Resource) -> tuple[int, str, str]:
    kind = resource.kind
    if kind in ORDER_FIRST:
        rank = ORDER_FIRST.index(kind)
    elif kind in ORDER_LAST:
        rank = len(ORDER_FIRST) + 1 + ORDER_LAST.index(kind)
    else:
        rank = len(ORDER_FIRST)
    return rank, f"{resource.body['apiVersion']}/{kind}", resource.name
