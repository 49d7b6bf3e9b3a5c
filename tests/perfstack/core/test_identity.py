from __future__ import annotations

import os
import re
import socket
from datetime import UTC, datetime

import pytest

from perfstack.core.errors import PerfstackError
from perfstack.core.identity import RunIdentity, default_instance, new_testid


def test_testid_format_and_uniqueness() -> None:
    at = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    ids = {new_testid("smoke", at) for _ in range(50)}
    assert all(re.fullmatch(r"smoke-20260304T050607-[0-9a-f]{4}", i) for i in ids)
    assert len(ids) > 40
    assert re.fullmatch(r"peak-\d{8}T\d{6}-[0-9a-f]{4}", new_testid("peak"))


def test_bad_scenario_name_is_rejected() -> None:
    with pytest.raises(PerfstackError, match="scenario name 'a b'"):
        new_testid("a b")


def test_run_identity_labels_and_defaults() -> None:
    identity = RunIdentity.create("normal", "locust", testid="t-1")
    assert identity.labels() == {
        "testid": "t-1",
        "scenario": "normal",
        "generator": "locust",
        "instance": f"{socket.gethostname()}:{os.getpid()}",
    }
    assert default_instance() == identity.instance
    assert RunIdentity.create("normal", "ws").testid.startswith("normal-")
    with pytest.raises(PerfstackError, match="generator 'k6'"):
        RunIdentity("t", "s", "k6", "h:1")
