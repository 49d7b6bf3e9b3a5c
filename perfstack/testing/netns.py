"""Several "hosts" on one machine for a test: network namespaces on a private LAN.

Each host is a network namespace with loopback up and one veth interface (`eth0`) whose
other end sits on a bridge inside a namespace of its own (the "lan"): nothing is added
to the root namespace, so its addresses and routes stay untouched and the hosts reach
nothing outside the topology (load can only go to a target inside it). Namespace names
carry the pid and a random part, so parallel test sessions never meet; interface names
live inside the namespaces and need no such care. Every address is in a private /24.

A process is started on a host with `ip netns exec <ns> unshare --uts`: the hostname
(UTS namespace) is not separated by `ip netns`, so without a UTS namespace of its own every
"host" would share the machine's hostname, and what a real host names itself by (Locust's
client ids, perfstack's `instance` label) would not tell them apart. `ip`, `unshare` and
the shell each exec the next, so the Popen's pid is the process itself: stopped by pid.

Processes get the environment without `*_proxy` variables (nothing outside is reachable).
`close()` stops every process started here, then deletes the namespaces, also after a
failed `create()`; it needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN), as `ip netns` does.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

LAN_BRIDGE = "br0"
INTERFACE = "eth0"
# run inside a host: GET each URL, print the bodies as a JSON list; exit 1 on any failure
_GET = (
    "import json, sys, urllib.request\n"
    "timeout, urls = float(sys.argv[1]), sys.argv[2:]\n"
    "try:\n"
    "    bodies = [urllib.request.urlopen(u, timeout=timeout).read().decode() for u in urls]\n"
    "except Exception as error:\n"
    "    sys.exit(f'{type(error).__name__}: {error}')\n"
    "json.dump(bodies, sys.stdout)\n"
)


@dataclass(frozen=True)
class Host:
    name: str  # also its hostname
    namespace: str
    address: str


@functools.cache
def netns_available() -> str | None:
    """Why a topology cannot be built here (None when it can), tried once per process with
    a namespace of its own: the tests skip with this reason (a container without
    CAP_SYS_ADMIN has `ip` and root, yet may not make namespaces)."""
    if shutil.which("ip") is None or shutil.which("unshare") is None:
        return "iproute2's `ip` or util-linux's `unshare` is missing"
    if os.geteuid() != 0:
        return "network namespaces need root"
    probe = f"ps{os.getpid()}-{uuid.uuid4().hex[:6]}-probe"
    try:
        _ip("netns", "add", probe)
        try:
            result = subprocess.run(
                ["ip", "netns", "exec", probe, "unshare", "--uts", "true"],
                capture_output=True, text=True, timeout=30, check=False,
            )  # fmt: skip
        finally:
            subprocess.run(["ip", "netns", "del", probe], capture_output=True, check=False)
    except RuntimeError as error:
        return f"cannot make a network namespace: {error}"
    if result.returncode != 0:
        return f"cannot enter a namespace with a hostname of its own: {result.stderr.strip()}"
    return None


class Topology:
    """Hosts named `names` get addresses `<subnet>.2`, `.3`, ... in that order."""

    def __init__(self, names: Sequence[str], subnet: str = "10.77.0") -> None:
        if len(set(names)) != len(names) or not names:
            raise ValueError(f"host names must be distinct and given: {list(names)}")
        prefix = f"ps{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.lan = f"{prefix}-lan"
        self.hosts = {
            name: Host(name, f"{prefix}-{name}", f"{subnet}.{index}")
            for index, name in enumerate(names, start=2)
        }
        self._made: list[str] = []  # namespaces created so far, deleted by close()
        self._processes: list[subprocess.Popen[Any]] = []

    def __getitem__(self, name: str) -> Host:
        return self.hosts[name]

    # -- building and removing -------------------------------------------------------------------
    def create(self) -> Self:
        try:
            self._add_namespace(self.lan)
            _ip("-n", self.lan, "link", "add", LAN_BRIDGE, "type", "bridge")
            _ip("-n", self.lan, "link", "set", LAN_BRIDGE, "up")
            for host in self.hosts.values():
                self._add_namespace(host.namespace)
                lan_end = f"v-{host.name}"[:15]
                # made inside the lan namespace with its peer created straight in the host's:
                # neither end ever exists in the root namespace
                _ip("-n", self.lan, "link", "add", lan_end, "type", "veth",
                    "peer", "name", INTERFACE, "netns", host.namespace)  # fmt: skip
                _ip("-n", self.lan, "link", "set", lan_end, "master", LAN_BRIDGE, "up")
                _ip("-n", host.namespace, "addr", "add", f"{host.address}/24", "dev", INTERFACE)
                _ip("-n", host.namespace, "link", "set", INTERFACE, "up")
        except BaseException:
            self.close()
            raise
        return self

    def _add_namespace(self, namespace: str) -> None:
        _ip("netns", "add", namespace)
        self._made.append(namespace)
        _ip("-n", namespace, "link", "set", "lo", "up")

    def close(self) -> None:
        for process in reversed(self._processes):
            stop(process)
        self._processes.clear()
        for namespace in reversed(self._made):
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True, check=False)
        self._made.clear()

    def __enter__(self) -> Self:
        return self.create()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- running things on a host ----------------------------------------------------------------
    def argv(self, host: str, argv: Sequence[str]) -> list[str]:
        """`argv` run on `host`, under its own hostname."""
        return [
            "ip", "netns", "exec", self.hosts[host].namespace, "unshare", "--uts",
            "sh", "-c", 'hostname "$0" && exec "$@"', host, *argv,
        ]  # fmt: skip

    def popen(
        self, host: str, argv: Sequence[str], log: Path | None = None, **kwargs: Any
    ) -> subprocess.Popen[bytes]:
        """A process on `host` (stdout and stderr appended to `log`), stopped by close() at
        the latest."""
        with contextlib.ExitStack() as files:
            output = files.enter_context(log.open("ab")) if log is not None else None
            process = subprocess.Popen(
                self.argv(host, argv),
                stdin=subprocess.DEVNULL,
                stdout=output if output is not None else subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
                env=without_proxies(kwargs.pop("env", None)),
                **kwargs,
            )
        self._processes.append(process)
        return process

    def run(
        self, host: str, argv: Sequence[str], timeout: float = 30.0
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(host, argv),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=without_proxies(),
        )

    def http_get(self, host: str, url: str, timeout: float = 10.0) -> str:
        """GET `url` from `host` (the test's own namespace has no route into the topology)."""
        return self.http_get_all(host, [url], timeout)[0]

    def http_get_all(self, host: str, urls: Sequence[str], timeout: float = 10.0) -> list[str]:
        """The bodies of several GETs from `host`, in one process started there."""
        argv = [sys.executable, "-c", _GET, str(timeout), *urls]
        result = self.run(host, argv, timeout * len(urls) + 10)
        if result.returncode != 0:
            raise ConnectionError(f"GET {' '.join(urls)} from {host}: {result.stderr.strip()}")
        return [str(body) for body in json.loads(result.stdout)]

    def wait_http(self, host: str, url: str, timeout: float = 20.0) -> None:
        """Until `url` answers 200 from `host`; RuntimeError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.http_get(host, url, timeout=2)
                return
            except ConnectionError as error:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"not ready in {timeout} s: {error}") from None
            time.sleep(0.2)


def without_proxies(environ: dict[str, str] | None = None) -> dict[str, str]:
    """`environ` (default: this process's) without proxy settings: a host of the topology
    reaches nothing outside it, so a proxy (CI's, say) would only stand in the way."""
    source = os.environ if environ is None else environ
    return {key: value for key, value in source.items() if not key.lower().endswith("_proxy")}


def stop(process: subprocess.Popen[Any], timeout: float = 15.0) -> int | None:
    """Terminate by pid, kill after `timeout`; the exit code."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
    return process.returncode


def _ip(*args: str) -> None:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {result.stderr.strip()}")
