from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import xmlschema

from gate.report_junit import write_junit

XSD = Path(__file__).with_name("junit.xsd")


def test_junit_validates_and_carries_value_threshold_query(mixed_result, tmp_path: Path) -> None:
    path = tmp_path / "gate.xml"
    write_junit(mixed_result, path)
    xmlschema.XMLSchema(str(XSD)).validate(str(path))
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("6", "3", "1")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    errors = cases["errors"].find("failure")
    assert errors is not None and errors.get("type") == "FAIL"
    assert "value 10.00%" in str(errors.get("message")) and "pass < 1%" in str(
        errors.get("message")
    )
    assert "query: (sum(last_over_time(loadgen_http_request_failures_total" in str(errors.text)
    assert cases["ws rtt"].find("failure").get("type") == "NO_DATA"  # type: ignore[union-attr]
    assert cases["broken | pipe"].find("error") is not None
    assert cases["requests"].find("failure") is None and cases["requests"].find("error") is None
    assert "status: WARN" in str(cases["throughput"].find("system-out").text)  # type: ignore[union-attr]


def test_schema_rejects_a_broken_report(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text(
        '<testsuites><testsuite tests="1"><testcase name="x"/></testsuite></testsuites>'
    )
    assert not xmlschema.XMLSchema(str(XSD)).is_valid(str(broken))  # no suite name, no classname
