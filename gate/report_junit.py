"""JUnit XML: one test case per objective, so CI systems list the gate's verdicts natively.

FAIL is a <failure>, ERROR an <error>, NO_DATA a <failure type="NO_DATA"> (it must not
look green), WARN passes with the warning in <system-out>; an objective the gate skipped
(another scenario, a generator the run did not have) is a <skipped> test case. The
message carries value, threshold and the resolved query. Valid against
tests/gate/junit.xsd (the common Jenkins/Ant structure).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

from gate.recommendations import recommend
from gate.units import format_value
from gate.verdicts import GateResult, ObjectiveResult, Status


def _detail(entry: ObjectiveResult) -> str:
    lines = [
        f"status: {entry.status}",
        f"value: {format_value(entry.value, entry.objective.unit)}",
        f"threshold: {entry.threshold_text}",
    ]
    if entry.baseline is not None:
        change = "-" if entry.baseline.change is None else f"{entry.baseline.change:+.1%}"
        lines.append(
            f"baseline: {format_value(entry.baseline.value, entry.objective.unit)} "
            f"({entry.baseline.source}); change {change}; {entry.baseline.reason}"
        )
    if entry.reason:
        lines.append(f"reason: {entry.reason}")
    lines.append(f"query: {entry.query}")
    lines.append(f"evaluated at: {entry.evaluated_at:.3f}")
    advice = recommend(entry)
    if advice:
        lines.append(f"recommendation: {advice}")
    return "\n".join(lines)


def junit_tree(result: GateResult) -> ET.ElementTree:
    failures = sum(1 for e in result.objectives if e.status in (Status.FAIL, Status.NO_DATA))
    errors = sum(1 for e in result.objectives if e.status is Status.ERROR)
    elapsed = sum(e.elapsed for e in result.objectives)
    tests = len(result.objectives) + len(result.skipped)
    suites = ET.Element(
        "testsuites",
        name="perfstack gate",
        tests=str(tests),
        failures=str(failures),
        errors=str(errors),
        time=f"{elapsed:.3f}",
    )
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"gate {result.rules_name} ({result.testid})",
        tests=str(tests),
        failures=str(failures),
        errors=str(errors),
        skipped=str(len(result.skipped)),
        time=f"{elapsed:.3f}",
        timestamp=datetime.fromtimestamp(result.evaluated_at, UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        hostname="localhost",
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("testid", result.testid),
        ("scenario", result.scenario),
        ("verdict", str(result.status)),
        ("score", f"{result.score:.3f}"),
    ):
        ET.SubElement(properties, "property", name=name, value=value)
    for entry in result.objectives:
        case = ET.SubElement(
            suite,
            "testcase",
            name=entry.objective.name,
            classname=f"perfstack.gate.{entry.objective.kind}",
            time=f"{entry.elapsed:.3f}",
        )
        message = (
            f"{entry.status}: value {format_value(entry.value, entry.objective.unit)}, "
            f"threshold {entry.threshold_text}" + (f"; {entry.reason}" if entry.reason else "")
        )
        if entry.status in (Status.FAIL, Status.NO_DATA):
            element = ET.SubElement(case, "failure", message=message, type=str(entry.status))
            element.text = _detail(entry)
        elif entry.status is Status.ERROR:
            element = ET.SubElement(case, "error", message=message, type="ERROR")
            element.text = _detail(entry)
        else:
            ET.SubElement(case, "system-out").text = _detail(entry)
    for skipped in result.skipped:  # listed, so a skipped objective is seen not to be judged
        case = ET.SubElement(
            suite,
            "testcase",
            name=skipped.name,
            classname=f"perfstack.gate.{skipped.kind}",
            time="0.000",
        )
        ET.SubElement(case, "skipped", message=skipped.reason)
    return ET.ElementTree(suites)


def write_junit(result: GateResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tree = junit_tree(result)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
