"""The example overlay's own objects: its namespace, and the demo target with the
resource exporter beside it.

The exporter is a sidecar in the target's pod, not a DaemonSet: it must see the target's
processes, and a pod that shares its process namespace (`shareProcessNamespace`) shows it
exactly those, under the same non-root user, with no privilege. A DaemonSet would need
`hostPID` (every process of the node, forbidden by the `baseline` and `restricted` Pod
Security Standards) and would measure whatever else the node runs. To watch your own
target, add the same container and `shareProcessNamespace: true` to its pod (docs/kubernetes.md).
"""

from __future__ import annotations

from perfstack.kubernetes import config as c
from perfstack.kubernetes.pods import Manifest, container, pod_spec, resources

TARGET_PORT_NAME = "http"


def namespace() -> Manifest:
    """Pod Security admission enforces `restricted` here: every pod of the run must meet it."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": c.EXAMPLE_NAMESPACE,
            "labels": {
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/warn": "restricted",
            },
        },
    }


def exporter_sidecar() -> Manifest:
    """`perfstack exporter` pushing the target's CPU, memory and connections with the run's
    testid (PERFSTACK_TESTID) to the store."""
    args = [
        "exporter",
        "--cmdline=$(EXPORTER_CMDLINE)",
        "--target-name=$(EXPORTER_TARGET_NAME)",
        "--prometheus=$(PERFSTACK_PROMETHEUS_URL)",
        "--remote-write-url=$(PERFSTACK_REMOTE_WRITE_URL)",
    ]
    return container("exporter", ["perfstack"], args, resources("50m", "64Mi", "250m", "128Mi"))


def target_deployment() -> Manifest:
    target = container(
        "target",
        ["perfstack"],
        ["target", "--host=0.0.0.0", f"--port={c.EXAMPLE_TARGET_PORT}"],
        resources("250m", "128Mi", "1", "512Mi"),
    )
    target["ports"] = [{"name": TARGET_PORT_NAME, "containerPort": c.EXAMPLE_TARGET_PORT}]
    target["readinessProbe"] = {
        "httpGet": {"path": "/health", "port": TARGET_PORT_NAME},
        "periodSeconds": 2,
    }
    labels = c.labels("target") | {"app.kubernetes.io/name": c.EXAMPLE_TARGET}
    pod = pod_spec([target, exporter_sidecar()], [], None, shareProcessNamespace=True)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": c.EXAMPLE_TARGET, "labels": labels},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": pod},
        },
    }


def target_service() -> Manifest:
    labels = c.labels("target") | {"app.kubernetes.io/name": c.EXAMPLE_TARGET}
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": c.EXAMPLE_TARGET, "labels": labels},
        "spec": {
            "selector": labels,
            "ports": [
                {
                    "name": TARGET_PORT_NAME,
                    "port": c.EXAMPLE_TARGET_PORT,
                    "targetPort": TARGET_PORT_NAME,
                    "protocol": "TCP",
                }
            ],
        },
    }


# file name in the overlay -> objects (one YAML document each)
OVERLAY_RESOURCES = {
    "namespace.yaml": [namespace],
    "target.yaml": [target_deployment, target_service],
}
