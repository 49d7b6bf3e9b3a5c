"""The parts every perfstack pod shares: who it runs as, what it may write, how much it
may take, and where its settings come from.

The pods meet the Pod Security Standards' `restricted` profile (the example namespace
enforces it): a numeric non-root user, no privilege escalation, no capabilities, the
runtime's seccomp profile, and a read-only root filesystem with emptyDir volumes for the
few places perfstack writes (the state directory with run records, and /tmp).
"""

from __future__ import annotations

from typing import Any

from perfstack.kubernetes import config as c

Manifest = dict[str, Any]

STATE_VOLUME = "state"
TMP_VOLUME = "tmp"


def pod_security() -> Manifest:
    return {
        "runAsNonRoot": True,
        "runAsUser": c.RUN_AS_USER,
        "runAsGroup": c.RUN_AS_USER,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security() -> Manifest:
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }


def resources(cpu: str, memory: str, cpu_limit: str, memory_limit: str) -> Manifest:
    return {
        "requests": {"cpu": cpu, "memory": memory},
        "limits": {"cpu": cpu_limit, "memory": memory_limit},
    }


def settings_env() -> list[Manifest]:
    """Every setting as an environment variable (the overlay's values win in the ConfigMap)."""
    return [{"configMapRef": {"name": c.SETTINGS}}]


def container(
    name: str,
    command: list[str],
    args: list[str],
    limits: Manifest,
    mounts: list[Manifest] | None = None,
) -> Manifest:
    return {
        "name": name,
        "image": c.IMAGE,
        "command": command,
        "args": args,
        "envFrom": settings_env(),
        "resources": limits,
        "securityContext": container_security(),
        "volumeMounts": [
            *(mounts or []),
            {"name": STATE_VOLUME, "mountPath": c.STATE_DIR},
            {"name": TMP_VOLUME, "mountPath": c.TMP_DIR},
        ],
    }


def scratch_volumes() -> list[Manifest]:
    return [
        {"name": STATE_VOLUME, "emptyDir": {"sizeLimit": "256Mi"}},
        {"name": TMP_VOLUME, "emptyDir": {"sizeLimit": "64Mi"}},
    ]


def config_map_volume(volume: str, config_map: str) -> Manifest:
    return {"name": volume, "configMap": {"name": config_map}}


def pod_spec(
    containers: list[Manifest],
    volumes: list[Manifest],
    restart_policy: str | None,
    **extra: Any,
) -> Manifest:
    """No Kubernetes API access: no token is mounted and no Role is bound."""
    spec: Manifest = {}
    if restart_policy is not None:
        spec["restartPolicy"] = restart_policy
    spec.update(
        serviceAccountName=c.SERVICE_ACCOUNT,
        automountServiceAccountToken=False,
        securityContext=pod_security(),
        **extra,
        containers=containers,
        volumes=[*volumes, *scratch_volumes()],
    )
    return spec
