"""The committed deploy/kubernetes/ equals a fresh build, and every Kubernetes object in it
passes the API's schema for the pinned Kubernetes version, unknown fields refused."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest
from kubernetes_validate.utils import ValidationError

from perfstack.kubernetes import build
from perfstack.kubernetes import config as c
from perfstack.kubernetes.__main__ import main
from perfstack.kubernetes.manifest_yaml import load_all
from tests.perfstack.kubernetes.manifests import ROOT, find, rendered


def validate(document: dict[str, Any]) -> None:
    kubernetes_validate.validate(document, c.KUBERNETES_VERSION, strict=True)


def kubernetes_objects() -> list[tuple[str, dict[str, Any]]]:
    """Every object of the base, the overlay and the rendered output (kustomization files
    and the overlay's data files are not Kubernetes objects)."""
    found = []
    for relative, text in build.render_files(ROOT).items():
        if not relative.endswith(".yaml") or relative.endswith(
            ("kustomization.yaml", f"/{c.RULES_KEY}")
        ):
            continue
        found += [(f"{relative}: {d['kind']}/{d['metadata']['name']}", d) for d in load_all(text)]
    return found


def first_container(job: dict[str, Any]) -> Any:
    return job["spec"]["template"]["spec"]["containers"][0]  # itself, to be changed


def test_committed_files_equal_a_fresh_build() -> None:
    assert build.stale(ROOT) == [], "run `python -m perfstack.kubernetes` and commit the result"


def test_build_writes_every_file_then_reports_nothing_changed(tmp_path) -> None:
    for source in (c.EXAMPLE_LOCUSTFILE_SOURCE, c.EXAMPLE_RULES_SOURCE):
        (tmp_path / source).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / source).write_text((ROOT / source).read_text())
    assert main(["--root", str(tmp_path)]) == 0
    written = {
        str(p.relative_to(tmp_path)) for p in (tmp_path / "deploy").rglob("*") if p.is_file()
    }
    assert written == set(build.render_files(ROOT))
    assert build.write(tmp_path) == []
    assert main(["--root", str(tmp_path), "--check"]) == 0


def test_check_fails_on_a_hand_edited_rendered_file(tmp_path, capsys) -> None:
    for source in (c.EXAMPLE_LOCUSTFILE_SOURCE, c.EXAMPLE_RULES_SOURCE):
        (tmp_path / source).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / source).write_text((ROOT / source).read_text())
    build.write(tmp_path)
    rendered_file = tmp_path / c.RENDERED
    rendered_file.write_text(rendered_file.read_text().replace("completions: 2", "completions: 3"))
    assert main(["--root", str(tmp_path), "--check"]) == 1
    assert f"stale: {c.RENDERED}" in capsys.readouterr().err


def test_the_overlay_carries_the_example_locustfile_and_the_demo_rules() -> None:
    overlay = ROOT / c.OVERLAY_DIR
    assert (overlay / c.LOCUSTFILE_KEY).read_text() == (
        ROOT / c.EXAMPLE_LOCUSTFILE_SOURCE
    ).read_text()
    assert (overlay / c.RULES_KEY).read_text() == (ROOT / c.EXAMPLE_RULES_SOURCE).read_text()


def test_every_object_passes_the_kubernetes_schema() -> None:
    objects = kubernetes_objects()
    kinds = {document["kind"] for _, document in objects}
    assert kinds == {"Namespace", "ServiceAccount", "ConfigMap", "Service", "Deployment", "Job"}
    for where, document in objects:
        try:
            validate(document)
        except ValidationError as error:
            pytest.fail(f"{where}: {error.message} at {list(error.path)}")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # a typo'd field name: strict validation refuses unknown fields
        (lambda job: first_container(job).update(imagePulPolicy="Always"),
         "'imagePulPolicy' was unexpected"),
        # a number written as text (what a replacement into a string would do)
        (lambda job: job["spec"].update(parallelism="2"), "'2' is not of type 'integer'"),
        # a required field missing
        (lambda job: first_container(job).pop("name"),
         "'name' is a required property"),
    ],
    ids=["typo", "wrong-type", "missing"],
)  # fmt: skip
def test_a_broken_manifest_is_rejected(change, expected) -> None:
    job = find(rendered(), "Job", c.WORKERS)
    validate(job)  # valid as committed ...
    change(job)
    with pytest.raises(ValidationError) as caught:
        validate(job)  # ... and not once broken
    assert expected in caught.value.message
