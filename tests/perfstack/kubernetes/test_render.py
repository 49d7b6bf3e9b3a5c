"""The overlay rendered here is what `kubectl kustomize` prints: kustomize's name hashes,
order and layout; a feature the renderer does not know is refused, not rendered wrongly."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from perfstack.kubernetes import build
from perfstack.kubernetes import config as c
from perfstack.kubernetes.manifest_yaml import dump, load_all
from perfstack.kubernetes.render import config_map_hash, render
from tests.perfstack.kubernetes.manifests import ROOT, rendered


def test_the_config_map_hash_is_kustomizes() -> None:
    # both values printed by kustomize v5.5.0 (kubectl 1.32) for these ConfigMaps
    locustfile = "from locust import HttpUser\n\nclass U(HttpUser):\n    pass\n"
    assert config_map_hash({"data": {"locustfile.py": locustfile}}) == "f4m86mfh2g"
    # Go's json.Marshal escapes <, > and & before hashing
    settings = {"A": "2", "B": "hello world", "PERFSTACK_X": "http://x<y>&z"}
    assert config_map_hash({"data": settings}) == "86d747m256"


def test_a_changed_setting_renames_the_config_map_and_every_reference() -> None:
    files = build.sources(ROOT)
    settings = f"{c.OVERLAY_DIR}/settings.env"
    files[settings] = files[settings].replace("PERFSTACK_TESTID=example-001", "PERFSTACK_TESTID=b")
    before, after = (
        load_all(build.render_files(ROOT)[c.RENDERED]),
        load_all(render(files, c.OVERLAY_DIR)),
    )
    names = {
        d["metadata"]["name"]
        for d in before
        if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith(c.SETTINGS)
    }
    [old] = names
    [new] = {
        d["metadata"]["name"]
        for d in after
        if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith(c.SETTINGS)
    }
    assert old != new
    text = dump(after)
    assert old not in text
    # its own name, and the master, workers, gate, target and exporter containers reading it
    assert text.count(f"name: {new}") == 1 + 5


def test_the_renderer_refuses_what_it_does_not_render() -> None:
    files = build.sources(ROOT)
    path = f"{c.OVERLAY_DIR}/kustomization.yaml"
    files[path] += "patches:\n- path: more-workers.yaml\n"
    with pytest.raises(ValueError, match="not rendered here: patches"):
        render(files, c.OVERLAY_DIR)


def test_the_rendered_overlay_holds_the_runs_objects() -> None:
    def unhashed(kind: str, name: str) -> str:
        return name.rsplit("-", 1)[0] if kind == "ConfigMap" else name

    objects = sorted((d["kind"], unhashed(d["kind"], d["metadata"]["name"])) for d in rendered())
    assert objects == [
        ("ConfigMap", c.GATE_RULES),
        ("ConfigMap", c.LOCUSTFILE),
        ("ConfigMap", c.SETTINGS),
        ("Deployment", c.EXAMPLE_TARGET),
        ("Job", c.GATE),
        ("Job", c.MASTER),
        ("Job", c.WORKERS),
        ("Namespace", c.EXAMPLE_NAMESPACE),
        ("Service", c.EXAMPLE_TARGET),
        ("Service", c.MASTER),
        ("ServiceAccount", c.SERVICE_ACCOUNT),
    ]  # fmt: skip
    for document in rendered():
        if document["kind"] != "Namespace":
            assert document["metadata"]["namespace"] == c.EXAMPLE_NAMESPACE, document["kind"]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_kustomize_prints_the_committed_rendered_file() -> None:
    result = subprocess.run(
        ["kubectl", "kustomize", str(ROOT / c.OVERLAY_DIR)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    committed = (ROOT / c.RENDERED).read_text()
    # the same objects in the same order; kustomize versions may lay YAML out differently
    assert load_all(result.stdout) == load_all(committed)


def test_an_image_pinned_by_digest_replaces_every_perfstack_image() -> None:
    files = build.sources(ROOT)
    path = f"{c.OVERLAY_DIR}/kustomization.yaml"
    digest = "sha256:" + "ab" * 32
    files[path] = files[path].replace(f"  newTag: {c.EXAMPLE_IMAGE_TAG}\n", f"  digest: {digest}\n")
    images = {
        each["image"]
        for document in load_all(render(files, c.OVERLAY_DIR))
        if document["kind"] in ("Job", "Deployment")
        for each in document["spec"]["template"]["spec"]["containers"]
    }
    assert images == {f"{c.EXAMPLE_IMAGE_NAME}@{digest}"}
