"""Headless Chromium (Debian's `chromium`) driven over the DevTools protocol, for tests
and benches that open a generated page: console errors, every request the page makes,
values read back from the page, a screenshot, and how long the page took to be ready.

The network is off for the page: every request goes to a proxy that does not exist
(127.0.0.1:9), loopback included, and each request the page tries is listed anyway, so a
test can assert that none left it.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

from perfstack.core.processes import stop_children

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--proxy-server=127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--no-first-run",
    "--no-default-browser-check",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)


def chromium_binary() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class PageVisit:
    url: str
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # every URL the page asked for
    ready_seconds: float = 0.0  # navigation start to `ready` true
    value: Any = None  # what the `read` expression returned

    @property
    def outside_requests(self) -> list[str]:
        """Requests that would leave the page's own file (data: and the file itself stay)."""
        return [url for url in self.requests if not url.startswith(("data:", "blob:", self.url))]


class DevTools:
    """One page's DevTools connection: commands by id, events kept as they arrive."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, timeout: float = 30.0, **params: Any) -> dict[str, Any]:
        ident = next(self.ids)
        self.socket.send(json.dumps({"id": ident, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self.socket.recv(timeout=max(0.01, deadline - time.monotonic())))
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))
            if "method" in message:
                self.events.append(message)

    def evaluate(self, expression: str) -> Any:
        answer = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in answer:
            raise RuntimeError(f"page script failed: {answer['exceptionDetails']}")
        return answer["result"].get("value")


@contextmanager
def chromium(timeout: float = 30.0) -> Iterator[DevTools]:
    """A fresh headless Chromium (own profile in a temp dir) and a DevTools page on it."""
    binary = chromium_binary()
    if binary is None:
        raise FileNotFoundError("chromium is not installed (apt-get install chromium)")
    # Chromium's helpers (zygote, renderers, crash handler) can outlive the browser
    # process and still write to the profile while it is removed: they run in their own
    # process group, which is ended as a whole
    with tempfile.TemporaryDirectory(
        prefix="perfstack-chromium-", ignore_cleanup_errors=True
    ) as profile:
        process = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            port_file = Path(profile) / "DevToolsActivePort"
            deadline = time.monotonic() + timeout
            while not (port_file.is_file() and port_file.read_text().strip()):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"chromium did not start (exit {process.poll()})")
                time.sleep(0.05)
            port = int(port_file.read_text().split()[0])
            pages = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=timeout).json()
            page = next(p for p in pages if p.get("type") == "page")
            with connect(page["webSocketDebuggerUrl"], max_size=None) as socket:
                yield DevTools(socket)
        finally:
            stop_children([process], signal.SIGTERM, grace=10)
            _end_process_group(process.pid)


def _end_process_group(group: int, timeout: float = 5.0) -> None:
    """SIGKILL whatever is left of the group and wait until none of it remains."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def visit(
    path: Path,
    *,
    ready: str = "document.readyState === 'complete'",
    read: str = "null",
    screenshot: Path | None = None,
    timeout: float = 30.0,
) -> PageVisit:
    """Open a local file and wait until the JavaScript expression `ready` is true; then
    evaluate `read` (its JSON value is kept) and take a screenshot when asked."""
    url = path.resolve().as_uri()
    result = PageVisit(url)
    with chromium(timeout) as page:
        for domain in ("Runtime", "Log", "Network", "Page"):
            page.call(f"{domain}.enable")
        page.call("Emulation.setDeviceMetricsOverride", width=1400, height=900,
                  deviceScaleFactor=1, mobile=False)  # fmt: skip
        started = time.monotonic()
        page.call("Page.navigate", url=url)
        deadline = started + timeout
        while not page.evaluate(f"!!({ready})"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url}: not ready after {timeout:g}s ({ready})")
            time.sleep(0.02)
        result.ready_seconds = time.monotonic() - started
        result.value = page.evaluate(read)
        if screenshot is not None:
            shot = page.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
        page.evaluate("0")  # flush the events sent so far
    for event in page.events:
        method, params = event["method"], event.get("params", {})
        if method == "Network.requestWillBeSent":
            result.requests.append(params["request"]["url"])
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            result.console_errors.append(
                details.get("exception", {}).get("description") or details.get("text", "")
            )
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            texts = (arg.get("value", arg.get("description", "")) for arg in params["args"])
            result.console_errors.append(" ".join(map(str, texts)))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            result.console_errors.append(params["entry"].get("text", ""))
    return result
