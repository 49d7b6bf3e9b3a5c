"""The example's target: the exporter is a sidecar that sees the target's processes (a
shared process namespace, the same user) and pushes with the run's testid."""

from __future__ import annotations

from perfstack.kubernetes import config as c
from tests.perfstack.kubernetes.manifests import container, environment, find, rendered


def test_the_exporter_sidecar_shares_the_targets_process_namespace() -> None:
    deployment = find(rendered(), "Deployment", c.EXAMPLE_TARGET)
    pod = deployment["spec"]["template"]["spec"]
    assert pod["shareProcessNamespace"] is True
    assert [each["name"] for each in pod["containers"]] == ["target", "exporter"]
    # one pod-wide user for both: the exporter may read the target's /proc entries
    assert all("runAsUser" not in each["securityContext"] for each in pod["containers"])


def test_the_exporter_watches_the_target_and_labels_it_with_the_run() -> None:
    documents = rendered()
    deployment = find(documents, "Deployment", c.EXAMPLE_TARGET)
    exporter = container(deployment, "exporter")
    settings = environment(documents, exporter)
    assert settings["PERFSTACK_TESTID"] == c.EXAMPLE_SETTINGS["PERFSTACK_TESTID"]
    target = container(deployment, "target")
    # the target's command line is what the exporter's regex looks for
    assert settings["EXPORTER_CMDLINE"] in " ".join([*target["command"], *target["args"]])
    assert settings["TARGET_HOST"] == f"http://{c.EXAMPLE_TARGET}:{c.EXAMPLE_TARGET_PORT}"


def test_the_target_service_selects_the_target_pod_by_its_port() -> None:
    documents = rendered()
    service = find(documents, "Service", c.EXAMPLE_TARGET)
    deployment = find(documents, "Deployment", c.EXAMPLE_TARGET)
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert (
        service["spec"]["selector"].items()
        <= deployment["spec"]["template"]["metadata"]["labels"].items()
    )
    [port] = service["spec"]["ports"]
    [listening] = container(deployment, "target")["ports"]
    assert port["targetPort"] == listening["name"]
    assert port["port"] == listening["containerPort"] == c.EXAMPLE_TARGET_PORT
