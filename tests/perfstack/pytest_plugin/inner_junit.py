"""Runs a pytest session inside a test, in its own process, with perfstack's plugin modules
loaded from this checkout, and reads what each test did from its JUnit XML (the fixtures'
tests and the CI example's; inner.py runs the plugin's).

The entry points block by name and the modules load by path, so the inner session is the
same whether the environment's installed metadata carries the entry points or not (loading
a module by path while its entry point also loads it would register it twice: an error).
Its outcome is read from its JUnit XML: per test the outcome, the message and the
`user_properties` the fixtures added.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tests.helpers import outside_xdist

REPO = Path(__file__).resolve().parents[3]
PLUGIN_ARGS = (
    "-p", "no:perfstack", "-p", "no:perfstack_fixtures",
    "-p", "perfstack.pytest_plugin.plugin", "-p", "perfstack.pytest_plugin.fixtures",
)  # fmt: skip


@dataclass
class InnerTest:
    outcome: str  # passed | failed | error | skipped
    message: str = ""
    properties: dict[str, str] = field(default_factory=dict)


@dataclass
class InnerRun:
    returncode: int
    output: str
    tests: dict[str, InnerTest]
    testid: str = ""  # the inner session's --perfstack-testid, when it had one


def python_path() -> str:
    """This checkout first, so the inner session imports the code under test."""
    return os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))


def run_inner_pytest(
    directory: Path, *args: str, env: Mapping[str, str] | None = None, timeout: float = 240
) -> InnerRun:
    junit = directory / "inner-junit.xml"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *PLUGIN_ARGS,
         f"--junitxml={junit}", "-o", "junit_family=xunit1", "-rA", *args],
        cwd=directory, capture_output=True, text=True, timeout=timeout,
        env={**outside_xdist(), "PYTHONPATH": python_path(), **(env or {})},
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert junit.is_file(), f"the inner session wrote no JUnit XML:\n{output}"
    return InnerRun(done.returncode, output, read_junit(junit))


def read_junit(path: Path) -> dict[str, InnerTest]:
    tests = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        outcome, message = "passed", ""
        for kind in ("failure", "error", "skipped"):
            found = case.find(kind)
            if found is not None:
                outcome = {"failure": "failed"}.get(kind, kind)
                message = (found.get("message") or "") + "\n" + (found.text or "")
        properties = {prop.get("name", ""): prop.get("value", "") for prop in case.iter("property")}
        tests[case.get("name", "")] = InnerTest(outcome, message, properties)
    return tests
