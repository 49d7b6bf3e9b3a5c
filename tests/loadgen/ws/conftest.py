from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.loadgen.ws.local_server import LocalServer


@pytest.fixture
def local_server() -> Iterator[Callable[..., LocalServer]]:
    started: list[LocalServer] = []

    def start(**kwargs: Any) -> LocalServer:
        server = LocalServer(**kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()
