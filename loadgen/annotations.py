"""Grafana annotations marking a run's start and end, when Grafana is configured.

Configured by `PERFSTACK_GRAFANA_URL` and `PERFSTACK_GRAFANA_TOKEN` (a service-account
token). Without both, or when Grafana does not answer, nothing happens: annotations are
a convenience and must never fail or slow a run.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from perfstack.core.settings import recorded_stack

GRAFANA_URL_ENV = "PERFSTACK_GRAFANA_URL"
GRAFANA_TOKEN_ENV = "PERFSTACK_GRAFANA_TOKEN"
TIMEOUT_SECONDS = 3.0

logger = logging.getLogger(__name__)


def grafana_url(state_dir: Path, environ: Mapping[str, str] = os.environ) -> str:
    """Where to look at a run: `$PERFSTACK_GRAFANA_URL`, else the local stack's Grafana."""
    url = environ.get(GRAFANA_URL_ENV) or recorded_stack(state_dir).get("grafana_url") or ""
    return str(url).rstrip("/")


@dataclass(frozen=True)
class Annotator:
    url: str
    token: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Annotator | None:
        url = environ.get(GRAFANA_URL_ENV, "").strip()
        token = environ.get(GRAFANA_TOKEN_ENV, "").strip()
        if not url or not token:
            return None
        return cls(url=url.rstrip("/"), token=token)

    def run_started(self, testid: str, scenario: str, start: float, target: str) -> None:
        self._post(
            time_from=start,
            time_to=None,
            tags=["perfstack", "run-start", f"testid:{testid}", f"scenario:{scenario}"],
            text=f"perfstack run {testid} started ({scenario} against {target})",
        )

    def run_ended(self, testid: str, scenario: str, start: float, end: float, summary: str) -> None:
        self._post(
            time_from=start,
            time_to=end,
            tags=["perfstack", "run", f"testid:{testid}", f"scenario:{scenario}"],
            text=f"perfstack run {testid}: {summary}",
        )

    def _post(self, time_from: float, time_to: float | None, tags: list[str], text: str) -> None:
        # Grafana's HTTP API: POST /api/annotations, times in Unix milliseconds
        payload = {
            "time": int(time_from * 1000),
            "timeEnd": int(time_to * 1000) if time_to is not None else None,
            "tags": tags,
            "text": text,
        }
        try:
            response = httpx.post(
                f"{self.url}/api/annotations",
                json=payload,
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=TIMEOUT_SECONDS,
            )
            response.raise_for_status()
        except Exception as error:
            logger.warning("Grafana annotation not posted to %s: %s", self.url, error)
