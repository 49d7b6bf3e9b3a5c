"""Prometheus in agent mode (`--enable-feature=agent`), private to a test or a benchmark: it
takes remote write from generators, keeps it in its write-ahead log and forwards it to
`remote_write_url`, holding the log while that store is down.

The peer of vmagent on the durable path for long outages (docs/push-pipeline.md).
"""

from __future__ import annotations

import json
from pathlib import Path

from perfstack.testing.service import ServiceProcess

# batch_send_deadline: forward within a second, not the default 5 s (the tests wait on it)
_CONFIG = """\
remote_write:
  - url: {url}
    queue_config:
      batch_send_deadline: 1s
"""


class PrometheusAgentProcess(ServiceProcess):
    name = "prometheus-agent"
    ready_path = "/-/ready"

    def __init__(self, workdir: Path, remote_write_url: str, binary: str = "prometheus") -> None:
        super().__init__(workdir, binary)
        self.upstream = remote_write_url
        self.config_file = workdir / "agent.yml"
        # a JSON string is a YAML string: any URL quoted safely
        self.config_file.write_text(_CONFIG.format(url=json.dumps(remote_write_url)))

    def argv(self) -> list[str]:
        return [
            self.binary,
            "--enable-feature=agent",
            "--web.enable-remote-write-receiver",
            f"--config.file={self.config_file}",
            f"--storage.agent.path={self.data_dir}",
            f"--web.listen-address=127.0.0.1:{self.port}",
        ]
