"""A tiny Alertmanager webhook receiver: collects notifications and formats them one line each.

Alertmanager POSTs a JSON document per notification (a group of alerts) to the webhook
URL. The receiver keeps them in a queue so a test or `perfstack alerts listen` can wait
for the next one; it answers 200 at once so Alertmanager never retries.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.core.settings import DEFAULT_WEBHOOK_PORT

DEFAULT_PORT = DEFAULT_WEBHOOK_PORT
MAX_BODY_BYTES = 1 << 20

Notification = dict[str, Any]


def format_notification(notification: Notification) -> list[str]:
    """One line per alert: status, alertname, testid, severity, summary."""
    lines = []
    for alert in notification.get("alerts", []):
        labels = alert.get("labels", {})
        annotations = alert.get("annotations", {})
        status = str(alert.get("status", notification.get("status", "?"))).upper()
        lines.append(
            f"{status:8} {labels.get('alertname', '?')} "
            f"testid={labels.get('testid', '-')} severity={labels.get('severity', '-')} "
            f"summary={json.dumps(annotations.get('summary', ''))}"
        )
    return lines


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._reply(413, "body too large")
            return
        body = self.rfile.read(length)
        try:
            notification = json.loads(body)
            if not isinstance(notification, dict) or not isinstance(
                notification.get("alerts"), list
            ):
                raise ValueError("expected an Alertmanager webhook document with 'alerts'")
        except ValueError as error:
            self._reply(400, str(error))
            self.server.rejected.put(f"rejected a POST to {self.path}: {error}")
            return
        # answered before it is handed on: `alerts listen --count N` exits on the N-th, and
        # Alertmanager (or the sender) must have had its 200 by then
        self._reply(200, "ok")
        self.server.notifications.put(notification)

    def _reply(self, status: int, text: str) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request access log: the notifications are the output."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    notifications: queue.Queue[Notification]
    rejected: queue.Queue[str]


class WebhookReceiver:
    """Listens on host:port (port 0: any free one) until stop(); use as a context manager."""

    def __init__(self, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> None:
        try:
            self._server = _Server((host, port), _Handler)
        except OSError as error:
            raise PerfstackError(
                f"cannot listen on {host}:{port} for webhooks: {error.strerror}; "
                "choose another --port",
                ExitCode.PORT_IN_USE,
            ) from error
        self._server.notifications = queue.Queue()
        self._server.rejected = queue.Queue()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/"

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def next(self, timeout: float | None) -> Notification | None:
        """The next notification, or None when timeout seconds pass without one."""
        try:
            return self._server.notifications.get(timeout=timeout)
        except queue.Empty:
            return None

    def rejected(self) -> list[str]:
        found = []
        while not self._server.rejected.empty():
            found.append(self._server.rejected.get_nowait())
        return found

    def wait_for(self, predicate: Any, timeout: float) -> Notification | None:
        """The first notification for which predicate(notification) is true, within timeout."""
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            notification = self.next(remaining)
            if notification is not None and predicate(notification):
                return notification
        return None
