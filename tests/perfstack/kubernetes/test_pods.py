"""Every pod of the rendered overlay meets the Pod Security Standards' `restricted`
profile (its namespace enforces it), has no API access, bounded resources and the pinned
image."""

from __future__ import annotations

from perfstack.kubernetes import config as c
from tests.perfstack.kubernetes.manifests import find, pods, rendered

PINNED = f"{c.EXAMPLE_IMAGE_NAME}:{c.EXAMPLE_IMAGE_TAG}"


def test_every_pod_meets_the_restricted_profile() -> None:
    found = pods(rendered())
    assert len(found) == 4  # master, workers, gate, the example's target
    for where, pod in found:
        assert pod["securityContext"]["runAsNonRoot"] is True, where
        assert pod["securityContext"]["runAsUser"] == c.RUN_AS_USER, where
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, where
        for shared in ("hostPID", "hostIPC", "hostNetwork"):
            assert shared not in pod, where
        for volume in pod["volumes"]:  # no hostPath
            assert volume.keys() & {"configMap", "emptyDir"}, f"{where}: {volume}"
        for each in pod["containers"]:
            security = each["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["capabilities"] == {"drop": ["ALL"]}, where
            assert security["readOnlyRootFilesystem"] is True, where
            assert "privileged" not in security, where
            assert all("hostPort" not in port for port in each.get("ports", [])), where


def test_no_pod_can_call_the_kubernetes_api() -> None:
    documents = rendered()
    account = find(documents, "ServiceAccount", c.SERVICE_ACCOUNT)
    assert account["automountServiceAccountToken"] is False
    assert not [d for d in documents if d["kind"] in ("Role", "ClusterRole", "RoleBinding")]
    for where, pod in pods(documents):
        assert pod["serviceAccountName"] == c.SERVICE_ACCOUNT, where
        assert pod["automountServiceAccountToken"] is False, where


def test_every_container_has_requests_and_limits_and_the_pinned_image() -> None:
    for where, pod in pods(rendered()):
        for each in pod["containers"]:
            assert each["image"] == PINNED, where
            for bound in ("requests", "limits"):
                assert each["resources"][bound].keys() == {"cpu", "memory"}, where


def test_the_namespace_enforces_the_restricted_profile() -> None:
    namespace = find(rendered(), "Namespace", c.EXAMPLE_NAMESPACE)
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_every_object_carries_the_recommended_labels() -> None:
    for document in rendered():
        labels = document["metadata"]["labels"]
        assert labels["app.kubernetes.io/instance"] == "example", document["kind"]
        if document["kind"] in ("Job", "Service", "ServiceAccount") and document["metadata"][
            "name"
        ].startswith("perfstack"):
            assert labels["app.kubernetes.io/name"] == c.APP
            assert labels["app.kubernetes.io/part-of"] == c.PART_OF
            assert "app.kubernetes.io/component" in labels
