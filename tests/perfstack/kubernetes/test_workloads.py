"""The base's master, workers and gate, as the example overlay renders them: wired to each
other (the workers reach the master's Service, the gate judges the master's run), and their
commands run a real test on this machine, each container as a process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from perfstack.core.record import load_record
from perfstack.kubernetes import config as c
from perfstack.kubernetes.kustomization import parse_env
from perfstack.kubernetes.workloads import LOCUSTFILE_PATH, RULES_PATH
from perfstack.testing import free_port
from tests.helpers import outside_xdist, prom_scalar
from tests.loadgen.locust_runs import prom_by
from tests.perfstack.kubernetes.manifests import (
    ROOT,
    config_map,
    container,
    environment,
    expand,
    find,
    pods,
    rendered,
    variables,
)


def flag(arguments: list[str], name: str) -> str:
    [value] = [a.split("=", 1)[1] for a in arguments if a.startswith(f"{name}=")]
    return value


def test_the_workers_reach_the_master_through_its_service() -> None:
    documents = rendered()
    service = find(documents, "Service", c.MASTER)
    master = find(documents, "Job", c.MASTER)
    worker = container(find(documents, "Job", c.WORKERS), "worker")
    assert flag(worker["args"], "--master-host") == service["metadata"]["name"]
    [port] = service["spec"]["ports"]
    assert flag(worker["args"], "--master-port") == str(port["port"])
    # the Service selects the master's pod, by the port the master listens on
    pod_labels = master["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    [listening] = container(master, "master")["ports"]
    assert listening["name"] == port["targetPort"]
    assert listening["containerPort"] == c.MASTER_PORT == port["port"]
    # ... and nothing else: neither the workers' pods nor the gate's
    for other in (c.WORKERS, c.GATE):
        labels = find(documents, "Job", other)["spec"]["template"]["metadata"]["labels"]
        assert not service["spec"]["selector"].items() <= labels.items()


def test_as_many_workers_as_the_master_expects() -> None:
    documents = rendered()
    workers = find(documents, "Job", c.WORKERS)["spec"]
    master = container(find(documents, "Job", c.MASTER), "master")
    expected = expand(master["args"], environment(documents, master))
    assert workers["parallelism"] == workers["completions"] == c.EXAMPLE_WORKERS
    assert flag(expected, "--expect-workers") == str(c.EXAMPLE_WORKERS)


def test_every_config_map_a_pod_reads_exists_with_the_keys_it_reads() -> None:
    documents = rendered()
    config_maps = {d["metadata"]["name"]: d for d in documents if d["kind"] == "ConfigMap"}
    for where, pod in pods(documents):
        for volume in pod["volumes"]:
            if "configMap" in volume:
                assert volume["configMap"]["name"] in config_maps, f"{where}: {volume}"
        for each in pod["containers"]:
            for source in each["envFrom"]:
                assert source["configMapRef"]["name"] in config_maps, f"{where}: {source}"
    # the files the commands name are keys of the ConfigMaps mounted there
    assert c.LOCUSTFILE_KEY in config_map(documents, c.LOCUSTFILE)["data"]
    assert c.RULES_KEY in config_map(documents, c.GATE_RULES)["data"]
    master = container(find(documents, "Job", c.MASTER), "master")
    assert flag(master["args"], "--locustfile") == LOCUSTFILE_PATH
    gate = container(find(documents, "Job", c.GATE), "gate")
    assert flag(gate["args"], "--rules") == RULES_PATH


def test_every_variable_in_a_command_is_set() -> None:
    documents = rendered()
    for where, pod in pods(documents):
        for each in pod["containers"]:
            missing = variables(each["args"]) - environment(documents, each).keys()
            assert not missing, f"{where} {each['name']}: $({', '.join(sorted(missing))}) unset"


def test_the_store_url_is_set_in_one_place_and_reaches_every_pusher() -> None:
    documents = rendered()
    settings = parse_env((ROOT / c.OVERLAY_DIR / "settings.env").read_text())
    store = settings["PERFSTACK_REMOTE_WRITE_URL"]
    text = (ROOT / c.RENDERED).read_text()
    # once as written in settings.env; everything else reads it from the ConfigMap
    assert text.count(store) == 1
    assert config_map(documents, c.SETTINGS)["data"]["PERFSTACK_REMOTE_WRITE_URL"] == store
    pushers = {
        ("Job", c.MASTER, "master"): "--remote-write-url",
        ("Job", c.GATE, "gate"): "--remote-write",
        ("Deployment", c.EXAMPLE_TARGET, "exporter"): "--remote-write-url",
    }
    for (kind, name, container_name), option in pushers.items():
        each = container(find(documents, kind, name), container_name)
        assert flag(expand(each["args"], environment(documents, each)), option) == store
    # a plain Locust worker's plugin reads it from its environment
    worker = container(find(documents, "Job", c.WORKERS), "worker")
    assert environment(documents, worker)["PERFSTACK_REMOTE_WRITE_URL"] == store


def test_the_gate_judges_the_masters_run_after_it_ended() -> None:
    documents = rendered()
    master = container(find(documents, "Job", c.MASTER), "master")
    gate = container(find(documents, "Job", c.GATE), "gate")
    assert gate["command"][-1] == "perfstack.kubernetes.gate_after_run"
    assert flag(gate["args"], "--testid") == flag(master["args"], "--testid")
    assert environment(documents, gate) == environment(documents, master)
    # the same store the master pushed to is where the gate waits and reads
    assert flag(gate["args"], "--prometheus") == flag(master["args"], "--prometheus")
    # each Job's exit code is its verdict: no second attempt hides the first
    for name in (c.MASTER, c.GATE):
        job = find(documents, "Job", name)
        assert job["spec"]["backoffLimit"] == 0
        assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


FAST_LOCUSTFILE = """
from locust import FastHttpUser, constant, task

class Reader(FastHttpUser):
    wait_time = constant(0.05)

    @task
    def health(self):
        self.client.get("/health")
"""
RULES = """
objectives:
  - name: requests
    sli: request_count
    pass: ">= 10"
  - name: error ratio
    sli: error_ratio
    pass: "<= 0%"
  - name: target memory
    sli: memory_peak
    pass: "< 10GB"
    min_samples: 1
"""


class Pods:
    """The rendered containers started as local processes: ConfigMap volumes become
    directories holding their keys, emptyDirs empty directories, `$(VAR)`s are expanded from
    the settings, and the master's Service is 127.0.0.1 on a free port."""

    def __init__(self, tmp_path: Path, overrides: dict[str, str]) -> None:
        self.documents = rendered()
        self.tmp = tmp_path
        self.port = free_port()
        self.settings = config_map(self.documents, c.SETTINGS)["data"] | overrides
        self.data = {c.LOCUSTFILE: FAST_LOCUSTFILE, c.GATE_RULES: RULES}
        self.processes: list[subprocess.Popen[str]] = []

    def command(self, kind: str, name: str, container_name: str) -> list[str]:
        document = find(self.documents, kind, name)
        each = container(document, container_name)
        volumes = {v["name"]: v for v in document["spec"]["template"]["spec"]["volumes"]}
        paths = {}
        for mount in each["volumeMounts"]:
            local = self.tmp / f"{name}-{mount['name']}"
            local.mkdir(exist_ok=True)
            if "configMap" in volumes[mount["name"]]:
                prefix = volumes[mount["name"]]["configMap"]["name"].rsplit("-", 1)[0]
                key = c.LOCUSTFILE_KEY if prefix == c.LOCUSTFILE else c.RULES_KEY
                (local / key).write_text(self.data[prefix])
            paths[mount["mountPath"]] = str(local)
        arguments = [self._local(a, paths) for a in expand(each["args"], self.settings)]
        arguments = [
            "--master-host=127.0.0.1" if a == f"--master-host={c.MASTER}" else a for a in arguments
        ]
        arguments = [
            f"--master-port={self.port}" if a == f"--master-port={c.MASTER_PORT}" else a
            for a in arguments
        ]
        program = {"perfstack": [sys.executable, "-m", "perfstack"], "python": [sys.executable]}
        return [*program[each["command"][0]], *each["command"][1:], *arguments]

    @staticmethod
    def _local(argument: str, paths: dict[str, str]) -> str:
        """`--flag=/mount/path/file` with the mount's local directory."""
        option, sep, value = argument.partition("=")
        for mounted, local in paths.items():
            if sep and (value == mounted or value.startswith(mounted + "/")):
                return f"{option}={local}{value[len(mounted) :]}"
        return argument

    def start(self, command: list[str], log: str) -> subprocess.Popen[str]:
        # a command started by another (the master's `perfstack run`) is found on PATH
        path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
        environment = outside_xdist() | self.settings | {"PATH": path}
        with (self.tmp / log).open("w") as out:
            process = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, text=True, env=environment
            )
        self.processes.append(process)
        return process

    def log(self, name: str) -> str:
        return (self.tmp / name).read_text()

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()


# six Python processes start (target, exporter, gate, two workers, master): ~20 s, more
# on a busy machine (the waits below are bounds, not expectations)
@pytest.mark.slow(seconds=40)
def test_the_rendered_containers_run_a_test_judged_by_the_gate(stack, tmp_path):
    testid = f"k8s-{tmp_path.name}"[:60]
    target_port = free_port()
    pods = Pods(
        tmp_path,
        {
            "PERFSTACK_PROMETHEUS_URL": stack.prometheus_url,
            "PERFSTACK_REMOTE_WRITE_URL": stack.remote_write_url,
            "PERFSTACK_TESTID": testid,
            "TARGET_HOST": f"http://127.0.0.1:{target_port}",
            "LOAD_USERS": "4",
            "LOAD_SPAWN_RATE": "4",
            "LOAD_DURATION": "5s",
            # this test's target only, among the targets other tests run beside it
            "EXPORTER_CMDLINE": f"perfstack target .*--port={target_port}",
            "PERFSTACK_STATE_DIR": str(tmp_path / "state"),
        },
    )
    # the pod's target listens on every interface at port 8000; here on 127.0.0.1 only
    target = [
        "--host=127.0.0.1" if a.startswith("--host=") else a
        for a in pods.command("Deployment", c.EXAMPLE_TARGET, "target")
    ]
    target[target.index(f"--port={c.EXAMPLE_TARGET_PORT}")] = f"--port={target_port}"
    master = pods.command("Job", c.MASTER, "master")
    # Locust's master listens on every interface in the pod; here only on 127.0.0.1
    master += ["--master-bind-host=127.0.0.1", f"--master-bind-port={pods.port}"]
    gate = pods.command("Job", c.GATE, "gate")
    gate.insert(gate.index("--"), "--poll=0.5")
    try:
        # all at once, as `kubectl apply` starts them: the exporter waits for its target's
        # process, the master for the target to answer, the workers for the master, the
        # gate for the run's end (a request sent before the target listened would fail
        # the gate's error ratio)
        exporter = pods.start(pods.command("Deployment", c.EXAMPLE_TARGET, "exporter"), "exporter")
        pods.start(target, "target")
        judge = pods.start(gate, "gate")
        workers = [
            pods.start(pods.command("Job", c.WORKERS, "worker"), f"worker-{index}")
            for index in range(c.EXAMPLE_WORKERS)
        ]
        run = pods.start(master, "master")
        assert run.wait(180) == 0, pods.log("master")
        for index, worker in enumerate(workers):  # the workers' Job completes
            assert worker.wait(60) == 0, pods.log(f"worker-{index}")
        assert judge.wait(120) == 0, pods.log("gate")
        assert exporter.poll() is None, pods.log("exporter")  # a sidecar runs on
    finally:
        pods.stop()
    state = Path(flag(master, "--state-dir"))
    record = load_record(state, testid)
    assert record.extra["role"] == "master" and len(record.generators) == c.EXAMPLE_WORKERS
    assert record.requests > 0
    assert prom_by(stack.prometheus_url, "loadgen_http_requests_total", testid) == {
        "": record.requests
    }
    assert f"target http://127.0.0.1:{target_port} answered" in pods.log("master")
    verdict = pods.log("gate")
    assert f"run {testid} (adhoc) ran" in verdict
    assert "verdict: PASS" in verdict
    [memory] = [line for line in verdict.splitlines() if "target memory" in line]
    assert "PASS" in memory  # the exporter sidecar pushed the target's memory for this run
    # the gate pushed its verdict for the run to the store
    query = f'max(gate_overall_status{{testid="{testid}"}})'
    assert prom_scalar(stack.prometheus_url, query) is not None
