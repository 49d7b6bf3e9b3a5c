"""A private Prometheus (remote-write receiver on), and an instant query against one.

Private because the push-pipeline tests stop and restart it (with the same data dir) to
prove that no sample is lost across an outage, which the tests' shared `stack` fixture
must not see; the benchmarks start one each so nothing else writes to it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from perfstack.testing.service import ServiceProcess

_CONFIG = """\
global:
  scrape_interval: 15s
  evaluation_interval: {evaluation_interval}
"""


class PrometheusProcess(ServiceProcess):
    """`rule_files`, `alertmanager` (host:port), `evaluation_interval` and extra `flags`
    (e.g. a short --query.lookback-delta) let a test scale alerting down to seconds."""

    name = "prometheus"
    ready_path = "/-/ready"

    def __init__(
        self,
        workdir: Path,
        binary: str = "prometheus",
        scrape_targets: tuple[str, ...] = (),
        *,
        evaluation_interval: str = "15s",
        rule_files: Sequence[Path] = (),
        alertmanager: str | None = None,
        flags: Sequence[str] = (),
    ) -> None:
        super().__init__(workdir, binary)
        self.config_file = workdir / "prometheus.yml"
        self.flags = list(flags)
        config = _CONFIG.format(evaluation_interval=evaluation_interval)
        if rule_files:  # JSON strings are YAML strings: any path quoted safely
            config += "rule_files:\n" + "".join(
                f"  - {json.dumps(str(Path(f).resolve()))}\n" for f in rule_files
            )
        if alertmanager:
            config += (
                "alerting:\n  alertmanagers:\n    - static_configs:\n"
                f"        - targets: [{json.dumps(alertmanager)}]\n"
            )
        if scrape_targets:  # a 1 s scrape job: the pull-mode peer of the freshness benchmark
            targets = ", ".join(f'"{t}"' for t in scrape_targets)
            config += (
                "scrape_configs:\n  - job_name: pull\n    scrape_interval: 1s\n"
                f"    static_configs:\n      - targets: [{targets}]\n"
            )
        self.config_file.write_text(config)

    def argv(self) -> list[str]:
        return [
            self.binary,
            f"--config.file={self.config_file}",
            f"--storage.tsdb.path={self.data_dir}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--web.enable-remote-write-receiver",
            "--storage.tsdb.retention.time=1d",
            *self.flags,
        ]


def prom_query(prometheus_url: str, expr: str, time: float | None = None) -> list[dict[str, Any]]:
    """The result of an instant query (at `time`, else now); fails unless it succeeded."""
    params: dict[str, Any] = {"query": expr}
    if time is not None:
        params["time"] = time
    response = httpx.get(f"{prometheus_url}/api/v1/query", params=params, timeout=10)
    response.raise_for_status()
    body = response.json()
    assert body["status"] == "success", body
    return list(body["data"]["result"])
