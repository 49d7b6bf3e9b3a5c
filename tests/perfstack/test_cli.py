"""The `perfstack` entry point itself."""

from __future__ import annotations

import subprocess
import sys


def test_building_the_cli_loads_neither_locust_nor_gevent() -> None:
    """Locust monkey-patches sockets, threads and sleeps for gevent when imported; the CLI
    builds every area's parser, so an eager import would put `perfstack ws` (asyncio, many
    sockets), the exporter and the stack commands on gevent's patched primitives."""
    probe = (
        "import sys\n"
        "from perfstack.cli import build_parser\n"
        "build_parser()\n"
        "loaded = sorted(m for m in ('locust', 'gevent', 'gevent.monkey') if m in sys.modules)\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
