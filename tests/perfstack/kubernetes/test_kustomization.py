"""The kustomizations and settings.env: the base runs on its own defaults, and every
setting a user edits is explained where they edit it."""

from __future__ import annotations

import pytest

from perfstack.kubernetes import config as c
from perfstack.kubernetes import kustomization
from perfstack.kubernetes.workloads import BASE_RESOURCES
from tests.perfstack.kubernetes.manifests import variables


def test_every_variable_of_the_bases_commands_has_a_default() -> None:
    used = set()
    for build in BASE_RESOURCES.values():
        document = build()
        if document["kind"] == "Job":
            for each in document["spec"]["template"]["spec"]["containers"]:
                used |= variables(each["args"])
    assert used and used <= c.SETTINGS_DEFAULTS.keys()


def test_settings_env_explains_each_setting_and_reads_back() -> None:
    text = kustomization.settings_env()
    assert kustomization.parse_env(text) == c.EXAMPLE_SETTINGS
    for key in c.EXAMPLE_SETTINGS:
        assert f"# {kustomization.SETTING_NOTES[key]}\n{key}=" in text


def test_an_env_line_without_a_value_is_refused() -> None:
    with pytest.raises(ValueError, match="'LOAD_USERS': expected KEY=VALUE"):
        kustomization.parse_env("# fine\n\nLOAD_USERS\n")


def test_the_overlay_sets_the_workers_count_from_the_settings() -> None:
    [replacement] = kustomization.overlay()["replacements"]
    assert replacement["source"]["fieldPath"] == "data.LOAD_WORKERS"
    [target] = replacement["targets"]
    assert target["select"] == {"kind": "Job", "name": c.WORKERS}
    assert target["fieldPaths"] == ["spec.parallelism", "spec.completions"]
