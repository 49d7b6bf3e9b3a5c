"""Every name, path, port and default of the manifests, defined once.

The containers read their settings from one ConfigMap (`SETTINGS`): the overlay's
`settings.env` overrides the base's defaults there, and the pods take them as environment
variables, which Kubernetes also substitutes into their arguments as `$(NAME)`.
"""

from __future__ import annotations

# Kubernetes version the manifests are validated against (tests, kubernetes-validate):
# the oldest minor still in the main providers' support windows when this was written.
KUBERNETES_VERSION = "1.30.0"

BASE_DIR = "deploy/kubernetes/base"
OVERLAY_DIR = "deploy/kubernetes/overlays/example"
RENDERED = "deploy/kubernetes/rendered/example.yaml"

# the image reference the base uses; an overlay pins the real one with kustomize `images:`
IMAGE = "perfstack"
EXAMPLE_IMAGE_NAME = "registry.example.com/perfstack"
EXAMPLE_IMAGE_TAG = "0.1.0"

APP = "perfstack"
PART_OF = "perfstack"

MASTER = "perfstack-master"  # the master Job and the Service the workers reach it by
WORKERS = "perfstack-workers"
GATE = "perfstack-gate"
SERVICE_ACCOUNT = "perfstack"
SETTINGS = "perfstack-settings"
LOCUSTFILE = "perfstack-locustfile"
GATE_RULES = "perfstack-gate-rules"

MASTER_PORT = 5557  # Locust's default master port

# where the pods mount things (the image's root filesystem is read-only)
LOCUSTFILE_DIR = "/etc/perfstack/locust"
LOCUSTFILE_KEY = "locustfile.py"
RULES_DIR = "/etc/perfstack/gate"
RULES_KEY = "rules.yaml"
STATE_DIR = "/var/lib/perfstack"
TMP_DIR = "/tmp"

# the image's user (Dockerfile): numeric, so the kubelet can check runAsNonRoot
RUN_AS_USER = 10001

# defaults of the settings ConfigMap; the overlay's settings.env sets its own values
SETTINGS_DEFAULTS: dict[str, str] = {
    "PERFSTACK_PROMETHEUS_URL": "http://prometheus:9090",
    "PERFSTACK_REMOTE_WRITE_URL": "http://prometheus:9090/api/v1/write",
    "PERFSTACK_TESTID": "perfstack-k8s",
    "PERFSTACK_STATE_DIR": STATE_DIR,
    "TARGET_HOST": "http://target:8000",
    "TARGET_WAIT_TIMEOUT": "5m",
    "LOAD_USERS": "10",
    "LOAD_SPAWN_RATE": "10",
    "LOAD_DURATION": "1m",
    "LOAD_WORKERS": "1",
    "LOAD_WORKERS_MAX_WAIT": "300",
    "GATE_WAIT_TIMEOUT": "2h",
}

# the example overlay (deploy/kubernetes/overlays/example)
EXAMPLE_NAMESPACE = "perfstack-example"
EXAMPLE_TARGET = "demo-target"
EXAMPLE_TARGET_PORT = 8000
EXAMPLE_STORE = "http://prometheus.monitoring.svc.cluster.local:9090"
EXAMPLE_WORKERS = 2
EXAMPLE_SETTINGS: dict[str, str] = {
    "PERFSTACK_PROMETHEUS_URL": EXAMPLE_STORE,
    "PERFSTACK_REMOTE_WRITE_URL": f"{EXAMPLE_STORE}/api/v1/write",
    "PERFSTACK_TESTID": "example-001",
    "TARGET_HOST": f"http://{EXAMPLE_TARGET}:{EXAMPLE_TARGET_PORT}",
    "TARGET_WAIT_TIMEOUT": "5m",
    "LOAD_USERS": "20",
    "LOAD_SPAWN_RATE": "5",
    "LOAD_DURATION": "2m",
    "LOAD_WORKERS": str(EXAMPLE_WORKERS),
    "EXPORTER_CMDLINE": "perfstack target",
    "EXPORTER_TARGET_NAME": EXAMPLE_TARGET,
    # the master's waits for the target and its workers, the run's length, and a margin
    "GATE_WAIT_TIMEOUT": "15m",
}
EXAMPLE_LOCUSTFILE_SOURCE = "examples/locustfile_user_mix.py"
EXAMPLE_RULES_SOURCE = "gate/presets/default.yaml"


def labels(component: str) -> dict[str, str]:
    """The recommended labels (app.kubernetes.io/*) of one part; kustomize adds part-of
    and managed-by to every object and pod."""
    return {"app.kubernetes.io/name": APP, "app.kubernetes.io/component": component}
