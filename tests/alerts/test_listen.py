"""The webhook receiver behind `perfstack alerts listen`, over real HTTP."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import httpx
import pytest

from perfstack.alerts.listen import WebhookReceiver, format_notification
from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.testing import free_port

NOTIFICATION = {
    "version": "4",
    "status": "firing",
    "receiver": "perfstack-critical",
    "groupLabels": {"testid": "run-2", "alertname": "PerfstackGateFailed"},
    "alerts": [
        {
            "status": "firing",
            "labels": {
                "alertname": "PerfstackGateFailed",
                "testid": "run-2",
                "severity": "critical",
            },
            "annotations": {"summary": "Gate failed for run run-2"},
        },
        {
            "status": "resolved",
            "labels": {
                "alertname": "PerfstackGateWarning",
                "testid": "run-1",
                "severity": "warning",
            },
            "annotations": {"summary": 'quote " inside'},
        },
    ],
}


def test_format_prints_one_line_per_alert_with_its_fields() -> None:
    assert format_notification(NOTIFICATION) == [
        "FIRING   PerfstackGateFailed testid=run-2 severity=critical "
        'summary="Gate failed for run run-2"',
        'RESOLVED PerfstackGateWarning testid=run-1 severity=warning summary="quote \\" inside"',
    ]


def test_receiver_queues_posted_notifications_and_rejects_garbage() -> None:
    with WebhookReceiver(port=0) as receiver:
        assert httpx.post(receiver.url, json=NOTIFICATION, timeout=5).status_code == 200
        assert receiver.next(timeout=5) == NOTIFICATION
        bad = httpx.post(receiver.url, content=b"{not json", timeout=5)
        assert bad.status_code == 400
        assert httpx.post(receiver.url, json={"no": "alerts"}, timeout=5).status_code == 400
        assert receiver.next(timeout=0.2) is None
        assert len(receiver.rejected()) == 2


def test_receiver_reports_a_taken_port_with_its_exit_code() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PerfstackError, match=f"127.0.0.1:{port}") as error:
            WebhookReceiver(port=port)
    assert error.value.exit_code == ExitCode.PORT_IN_USE


def _listen(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "perfstack", "alerts", "listen", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


LISTENING = "listening for Alertmanager webhooks on "


def _listening(*args: str) -> tuple[subprocess.Popen[str], int, str]:
    """`perfstack alerts listen` on a free port, once it listens: the process, its port and
    its first stderr line. A port another test took between free_port() and the bind (the
    suite runs on three workers; CI saw it) is tried again with another."""
    for _ in range(5):
        port = free_port()
        process = _listen("--port", str(port), *args)
        assert process.stderr is not None
        first = process.stderr.readline()
        if first.startswith(LISTENING):
            return process, port, first
        _, rest = process.communicate(timeout=30)
        assert process.returncode == ExitCode.PORT_IN_USE, first + rest
    raise AssertionError("no free port taken in 5 tries")


def test_cli_prints_notifications_and_exits_after_count() -> None:
    process, port, first = _listening("--count", "1", "--timeout", "20")
    httpx.post(f"http://127.0.0.1:{port}/", json=NOTIFICATION, timeout=5)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert stdout.splitlines() == format_notification(NOTIFICATION)
    assert first == f"{LISTENING}http://127.0.0.1:{port}/\n"


def test_cli_json_prints_the_raw_document() -> None:
    process, port, _ = _listening("--count", "1", "--timeout", "20", "--json")
    httpx.post(f"http://127.0.0.1:{port}/", json=NOTIFICATION, timeout=5)
    stdout, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    assert json.loads(stdout) == NOTIFICATION


def test_cli_times_out_without_notifications_and_rejects_bad_flags() -> None:
    process = _listen("--port", str(free_port()), "--count", "1", "--timeout", "0.5")
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 19
    assert "timed out after 0.5s with 0 of 1 notifications" in stderr
    bad = _listen("--port", "70000")
    _, stderr = bad.communicate(timeout=30)
    assert bad.returncode == ExitCode.USAGE
    assert "--port: expected 1-65535, got 70000" in stderr
