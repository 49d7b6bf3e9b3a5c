"""The namespace topology: hosts reach each other over the private LAN by address, each
under its own hostname, the root namespace gains no address or route, and closing it
leaves no namespace and no process behind (also when a process is still running)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from perfstack.testing.netns import Topology, netns_available

pytestmark = pytest.mark.skipif(netns_available() is not None, reason=str(netns_available()))


def _root_state() -> tuple[str, str]:
    addresses = subprocess.run(["ip", "-br", "addr"], capture_output=True, text=True).stdout
    routes = subprocess.run(["ip", "route"], capture_output=True, text=True).stdout
    return addresses, routes


def _namespaces() -> set[str]:
    listing = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return {line.split()[0] for line in listing.splitlines() if line.strip()}


def test_hosts_talk_over_the_lan_under_their_own_names_and_leave_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a proxy from the environment (CI's) is left out of the hosts: it would be unreachable
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    before = _root_state()
    topology = Topology(["alpha", "beta"]).create()
    alpha, beta = topology["alpha"], topology["beta"]
    try:
        assert {topology.lan, alpha.namespace, beta.namespace} <= _namespaces()
        assert _root_state() == before  # nothing added to the root namespace
        assert topology.run("alpha", ["hostname"]).stdout.strip() == "alpha"
        assert topology.run("beta", ["hostname"]).stdout.strip() == "beta"
        assert f"inet {alpha.address}/24" in topology.run("alpha", ["ip", "addr"]).stdout
        (tmp_path / "page").write_text("served by beta")
        server = topology.popen(
            "beta",
            [sys.executable, "-m", "http.server", "--bind", beta.address, "8000"],
            cwd=tmp_path,
        )
        url = f"http://{beta.address}:8000/page"
        topology.wait_http("alpha", url)
        assert topology.http_get("alpha", url) == "served by beta"
    finally:
        topology.close()
    assert server.poll() is not None  # stopped by close(), by its pid
    assert not {topology.lan, alpha.namespace, beta.namespace} & _namespaces()
    assert _root_state() == before


def test_a_failed_create_removes_what_it_made() -> None:
    topology = Topology(["alpha"], subnet="10.77.0.999")  # an address ip refuses
    with pytest.raises(RuntimeError, match="ip -n"):
        topology.create()
    assert not {topology.lan, topology["alpha"].namespace} & _namespaces()
