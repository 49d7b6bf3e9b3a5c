"""Who produced a series: the run's testid, scenario, generator kind and process instance.

Every series perfstack pushes carries these four labels (docs/metrics.md); the pusher adds
them as static labels so the metric definitions themselves stay label-free of run identity.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import socket
from dataclasses import dataclass
from datetime import UTC, datetime

from perfstack.core.errors import ExitCode, PerfstackError

GENERATORS = ("locust", "ws", "exporter", "gate", "pytest")
_SCENARIO_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
# A testid names files (<state>/runs/<testid>.json) and PromQL label values: no '/', no
# quotes, and no leading '.', so it can neither leave the runs folder nor hide in it.
_TESTID_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,199}$")
TESTID_EXPECTED = (
    "expected 1-200 letters, digits, '_', '.', ':' or '-', not starting with '.' or '-'"
)


def validate_testid(testid: str) -> str:
    if not _TESTID_RE.match(testid):
        raise PerfstackError(f"testid {testid!r}: {TESTID_EXPECTED}", ExitCode.USAGE)
    return testid


def testid_argument(text: str) -> str:
    """argparse `type=` for every --testid: checked before any load starts."""
    try:
        return validate_testid(text)
    except PerfstackError as error:
        raise argparse.ArgumentTypeError(error.message) from None


def validate_scenario_name(scenario: str) -> str:
    if not _SCENARIO_RE.match(scenario):
        raise PerfstackError(
            f"scenario name {scenario!r}: expected 1-63 letters, digits, '_', '.' or '-'",
            ExitCode.USAGE,
        )
    return scenario


def new_testid(scenario: str, now: datetime | None = None) -> str:
    """`<scenario>-<UTC yyyymmddThhmmss>-<4 hex>`: sortable by start time, unique across hosts."""
    validate_scenario_name(scenario)
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%S")
    return f"{scenario}-{stamp}-{secrets.token_hex(2)}"


def default_instance() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class RunIdentity:
    testid: str
    scenario: str
    generator: str
    instance: str

    def __post_init__(self) -> None:
        validate_testid(self.testid)
        if self.generator not in GENERATORS:
            raise PerfstackError(
                f"generator {self.generator!r}: expected one of {', '.join(GENERATORS)}",
                ExitCode.USAGE,
            )

    @classmethod
    def create(
        cls,
        scenario: str,
        generator: str,
        testid: str | None = None,
        instance: str | None = None,
    ) -> RunIdentity:
        return cls(
            testid=testid or new_testid(scenario),
            scenario=scenario,
            generator=generator,
            instance=instance or default_instance(),
        )

    def labels(self) -> dict[str, str]:
        return {
            "testid": self.testid,
            "scenario": self.scenario,
            "generator": self.generator,
            "instance": self.instance,
        }
