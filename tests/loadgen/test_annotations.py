"""Grafana annotations against a tiny local HTTP server that records what it receives
(Grafana itself cannot run here)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from loadgen.annotations import Annotator, grafana_url
from perfstack.testing import free_port


@pytest.fixture
def grafana() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(
                {
                    "path": self.path,
                    "auth": self.headers.get("Authorization"),
                    "body": json.loads(body),
                }
            )
            reply = b'{"id": 1, "message": "Annotation added"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()


def test_not_configured_means_no_annotator():
    assert Annotator.from_env({}) is None
    assert Annotator.from_env({"PERFSTACK_GRAFANA_URL": "http://127.0.0.1:3000"}) is None


def test_start_and_end_annotations_are_posted_with_the_token(grafana):
    url, received = grafana
    annotator = Annotator.from_env({"PERFSTACK_GRAFANA_URL": url, "PERFSTACK_GRAFANA_TOKEN": "tok"})
    assert annotator is not None
    annotator.run_started("smoke-1", "smoke", 1000.0, "http://127.0.0.1:8000")
    annotator.run_ended("smoke-1", "smoke", 1000.0, 1060.5, "10 requests")
    assert [r["path"] for r in received] == ["/api/annotations", "/api/annotations"]
    assert {r["auth"] for r in received} == {"Bearer tok"}
    start, end = (r["body"] for r in received)
    assert start["time"] == 1_000_000 and start["timeEnd"] is None
    assert "testid:smoke-1" in start["tags"] and "smoke-1 started" in start["text"]
    assert (end["time"], end["timeEnd"]) == (1_000_000, 1_060_500)
    assert end["text"] == "perfstack run smoke-1: 10 requests"


def test_unreachable_grafana_is_skipped_without_raising(caplog):
    env = {
        "PERFSTACK_GRAFANA_URL": f"http://127.0.0.1:{free_port()}",
        "PERFSTACK_GRAFANA_TOKEN": "t",
    }
    annotator = Annotator.from_env(env)
    assert annotator is not None
    annotator.run_started("x", "adhoc", 1.0, "http://127.0.0.1:1")
    assert "annotation not posted" in caplog.text


def test_grafana_url_from_environment_then_local_stack(tmp_path):
    assert grafana_url(tmp_path, {}) == ""
    (tmp_path / "stack.json").write_text('{"grafana_url": "http://127.0.0.1:3000/"}')
    assert grafana_url(tmp_path, {}) == "http://127.0.0.1:3000"
    assert grafana_url(tmp_path, {"PERFSTACK_GRAFANA_URL": "http://g:1"}) == "http://g:1"
