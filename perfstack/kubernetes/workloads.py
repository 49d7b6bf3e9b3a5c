"""The base's objects: a Locust master Job and the Service its workers reach it by, the
workers' Job, the gate's Job and the ServiceAccount they all run as.

Jobs, not Deployments (the Helm chart's choice): a Job ends, so CI can `kubectl wait
--for=condition=complete` on the master and read the gate's exit code; the workers' Job
completes when the master tells its workers to quit (Locust workers then exit 0). The same
layout as the locust-k8s-operator's master and worker Jobs, without an operator.
"""

from __future__ import annotations

from perfstack.kubernetes import config as c
from perfstack.kubernetes.pods import (
    Manifest,
    config_map_volume,
    container,
    pod_spec,
    resources,
)

LOCUSTFILE_PATH = f"{c.LOCUSTFILE_DIR}/{c.LOCUSTFILE_KEY}"
RULES_PATH = f"{c.RULES_DIR}/{c.RULES_KEY}"
LOCUSTFILE_MOUNT = {"name": "locustfile", "mountPath": c.LOCUSTFILE_DIR, "readOnly": True}
RULES_MOUNT = {"name": "gate-rules", "mountPath": c.RULES_DIR, "readOnly": True}


def _metadata(name: str, component: str) -> Manifest:
    return {"name": name, "labels": c.labels(component)}


def _job(name: str, component: str, spec: Manifest, pod: Manifest) -> Manifest:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": _metadata(name, component),
        "spec": {**spec, "template": {"metadata": {"labels": c.labels(component)}, "spec": pod}},
    }


def master_job() -> Manifest:
    """`perfstack run` as Locust's master, once the target answers: headless, waits for
    the workers, runs for LOAD_DURATION, writes the run record and pushes the run's end;
    its exit code is the run's (docs/http-load.md, "Exit codes"), or 12 when the target
    never answered."""
    args = [
        # the target may be deployed by the same apply: no users before it answers
        "--url=$(TARGET_HOST)",
        "--timeout=$(TARGET_WAIT_TIMEOUT)",
        "--",
        "perfstack",
        "run",
        f"--locustfile={LOCUSTFILE_PATH}",
        "--host=$(TARGET_HOST)",
        "--allow-remote-host",  # the target is a Service, not this pod's localhost
        "--users=$(LOAD_USERS)",
        "--spawn-rate=$(LOAD_SPAWN_RATE)",
        "--duration=$(LOAD_DURATION)",
        "--testid=$(PERFSTACK_TESTID)",
        "--prometheus=$(PERFSTACK_PROMETHEUS_URL)",
        "--remote-write-url=$(PERFSTACK_REMOTE_WRITE_URL)",
        f"--state-dir={c.STATE_DIR}",
        "--",
        "--master",
        "--expect-workers=$(LOAD_WORKERS)",
        # workers that never come (no node, no image) end the run: exit 12, not a hang
        "--expect-workers-max-wait=$(LOAD_WORKERS_MAX_WAIT)",
    ]
    master = container(
        "master",
        ["python", "-m", "perfstack.kubernetes.wait_target"],
        args,
        resources("250m", "256Mi", "1", "512Mi"),
        [LOCUSTFILE_MOUNT],
    )
    master["ports"] = [{"name": "locust-master", "containerPort": c.MASTER_PORT}]
    pod = pod_spec([master], [config_map_volume("locustfile", c.LOCUSTFILE)], "Never")
    # a second attempt would be a second run under the same testid
    return _job(c.MASTER, "master", {"backoffLimit": 0}, pod)


def master_service() -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(c.MASTER, "master"),
        "spec": {
            "selector": c.labels("master"),
            "ports": [
                {
                    "name": "locust-master",
                    "port": c.MASTER_PORT,
                    "targetPort": "locust-master",
                    "protocol": "TCP",
                }
            ],
        },
    }


def workers_job() -> Manifest:
    """Plain Locust workers with the plugin loaded (`loadgen.locust.launcher`): each pushes
    its own requests; the testid comes from the master. parallelism and completions are
    LOAD_WORKERS (the overlay's replacements copy it here)."""
    args = [
        f"--locustfile={LOCUSTFILE_PATH}",
        "--worker",
        f"--master-host={c.MASTER}",
        f"--master-port={c.MASTER_PORT}",
    ]
    worker = container(
        "worker",
        ["python", "-m", "loadgen.locust.launcher"],
        args,
        # a Locust process uses one core at most: one core each, and more workers for more
        resources("1", "256Mi", "1", "1Gi"),
        [LOCUSTFILE_MOUNT],
    )
    pod = pod_spec([worker], [config_map_volume("locustfile", c.LOCUSTFILE)], "OnFailure")
    # a worker waits --perfstack-master-connect-timeout (60 s) for the master, then exits 24
    # and restarts: the master's pod may start later than its workers
    spec = {"parallelism": 1, "completions": 1, "backoffLimit": 6}
    return _job(c.WORKERS, "worker", spec, pod)


def gate_job() -> Manifest:
    """Waits in the store until the master has pushed the run's end, then judges the run
    with `perfstack gate check`; its exit code is the gate's (docs/gate.md)."""
    args = [
        "--testid=$(PERFSTACK_TESTID)",
        "--prometheus=$(PERFSTACK_PROMETHEUS_URL)",
        "--wait-timeout=$(GATE_WAIT_TIMEOUT)",
        "--",
        f"--rules={RULES_PATH}",
        "--remote-write=$(PERFSTACK_REMOTE_WRITE_URL)",
        f"--state-dir={c.STATE_DIR}",
    ]
    gate = container(
        "gate",
        ["python", "-m", "perfstack.kubernetes.gate_after_run"],
        args,
        resources("100m", "128Mi", "500m", "256Mi"),
        [RULES_MOUNT],
    )
    pod = pod_spec([gate], [config_map_volume("gate-rules", c.GATE_RULES)], "Never")
    # the verdict is the exit code: a retry would judge the same run again
    return _job(c.GATE, "gate", {"backoffLimit": 0}, pod)


def service_account() -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": _metadata(c.SERVICE_ACCOUNT, "load-test"),
        "automountServiceAccountToken": False,
    }


# file name in the base -> object
BASE_RESOURCES = {
    "serviceaccount.yaml": service_account,
    "master-job.yaml": master_job,
    "master-service.yaml": master_service,
    "workers-job.yaml": workers_job,
    "gate-job.yaml": gate_job,
}
