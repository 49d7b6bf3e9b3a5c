"""The kustomization.yaml of the base and of the example overlay, and the overlay's
settings.env: the one file a user edits for the store, the run and the load.

Kustomize, not Helm: it is built into kubectl (`kubectl apply -k`), its inputs and output
are plain Kubernetes YAML with no template language, and an overlay changes a base by
naming values rather than by filling holes a chart author foresaw. Helm is not packaged by
Debian bookworm and would be one more tool for CI to install.
"""

from __future__ import annotations

from perfstack.kubernetes import config as c
from perfstack.kubernetes.example import OVERLAY_RESOURCES
from perfstack.kubernetes.pods import Manifest
from perfstack.kubernetes.workloads import BASE_RESOURCES

API_VERSION = "kustomize.config.k8s.io/v1beta1"
SETTINGS_FILE = "settings.env"

# what a reader of each setting needs to know; settings.env carries these as comments
SETTING_NOTES = {
    "PERFSTACK_PROMETHEUS_URL": "The store's Prometheus query API (Prometheus, VictoriaMetrics, "
    "Mimir's /prometheus): the gate reads the run from here.",
    "PERFSTACK_REMOTE_WRITE_URL": "Where the master, the workers, the exporter and the gate "
    "push (remote write).",
    "PERFSTACK_TESTID": "The run's id: set a new one for every run (1-200 of A-Z a-z 0-9 _ . : -).",
    "TARGET_HOST": "The system under test, as the workers reach it.",
    "TARGET_WAIT_TIMEOUT": "The master starts the users once the target answers HTTP, and "
    "gives up (exit 12) when it has not by then.",
    "LOAD_USERS": "Locust users in total, spread over the workers.",
    "LOAD_SPAWN_RATE": "Users started per second.",
    "LOAD_DURATION": "How long the load runs (30s, 5m, 1h30m).",
    "LOAD_WORKERS": "Worker pods: the workers Job's parallelism and completions, and the "
    "master's --expect-workers.",
    "EXPORTER_CMDLINE": "The exporter sidecar watches the processes whose command line matches "
    "this regex.",
    "EXPORTER_TARGET_NAME": "The exporter's `target` label.",
    "GATE_WAIT_TIMEOUT": "The gate gives up (NO_DATA, exit 3) when the run has not ended by "
    "then: more than LOAD_DURATION plus the master's waits for the target and its workers.",
}


def base() -> Manifest:
    return {
        "apiVersion": API_VERSION,
        "kind": "Kustomization",
        "labels": [
            {
                "pairs": {
                    "app.kubernetes.io/part-of": c.PART_OF,
                    "app.kubernetes.io/managed-by": "kustomize",
                },
                "includeTemplates": True,
            }
        ],
        "resources": list(BASE_RESOURCES),
        "configMapGenerator": [
            {
                "name": c.SETTINGS,
                "literals": [f"{key}={value}" for key, value in c.SETTINGS_DEFAULTS.items()],
            }
        ],
    }


def overlay() -> Manifest:
    return {
        "apiVersion": API_VERSION,
        "kind": "Kustomization",
        "namespace": c.EXAMPLE_NAMESPACE,
        "labels": [{"pairs": {"app.kubernetes.io/instance": "example"}, "includeTemplates": True}],
        "resources": ["../../base", *OVERLAY_RESOURCES],
        "images": [
            {"name": c.IMAGE, "newName": c.EXAMPLE_IMAGE_NAME, "newTag": c.EXAMPLE_IMAGE_TAG}
        ],
        "configMapGenerator": [
            {"name": c.SETTINGS, "behavior": "merge", "envs": [SETTINGS_FILE]},
            {"name": c.LOCUSTFILE, "files": [c.LOCUSTFILE_KEY]},
            {"name": c.GATE_RULES, "files": [c.RULES_KEY]},
        ],
        "replacements": [
            {
                "source": {
                    "kind": "ConfigMap",
                    "name": c.SETTINGS,
                    "fieldPath": "data.LOAD_WORKERS",
                },
                "targets": [
                    {
                        "select": {"kind": "Job", "name": c.WORKERS},
                        "fieldPaths": ["spec.parallelism", "spec.completions"],
                    }
                ],
            }
        ],
    }


def settings_env() -> str:
    lines = [
        "# The run's settings: every pod reads them (ConfigMap perfstack-settings, merged over",
        "# the base's defaults). Set a new PERFSTACK_TESTID for every run.",
    ]
    for key, value in c.EXAMPLE_SETTINGS.items():
        lines += ["", f"# {SETTING_NOTES[key]}", f"{key}={value}"]
    return "\n".join(lines) + "\n"


def parse_env(text: str) -> dict[str, str]:
    """An env file as kustomize reads it: KEY=VALUE lines; blank lines and # comments skipped."""
    values = {}
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, sep, value = stripped.partition("=")
        if not sep:
            raise ValueError(f"{line!r}: expected KEY=VALUE")
        values[key] = value
    return values
