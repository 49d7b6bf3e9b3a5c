"""The leak rules' expressions, read from prometheus/rules/memory.yml (not copied)."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

import yaml

from exporters.runner import ExporterOptions, ExporterRun
from exporters.targets import TargetSpec
from perfstack.core.paths import prometheus_dir

LEAK_RULE = "target:exporter_target_resident_memory_bytes:leak_suspected"
THRESHOLD_RULE = "exporter:memory_leak_slope_threshold_bytes_per_second:constant"


def rule_expr(record: str) -> str:
    groups = yaml.safe_load((prometheus_dir() / "rules" / "memory.yml").read_text())["groups"]
    for group in groups:
        for rule in group["rules"]:
            if rule.get("record") == record:
                return str(rule["expr"]).strip()
    raise AssertionError(f"{record} not in memory.yml")


def for_testid(result: list[dict[str, Any]], testid: str) -> list[float]:
    return [float(r["value"][1]) for r in result if r["metric"].get("testid") == testid]


@dataclass
class WatchedTarget:
    """An in-process exporter pushing one target's resources into the stack every second."""

    run: ExporterRun
    thread: threading.Thread
    testid: str = field(default_factory=lambda: f"leak-{uuid.uuid4().hex[:8]}")

    def stop(self) -> None:
        self.run.stop_event.set()
        self.thread.join(10)
        self.run.close()


def watch(pid: int, remote_write_url: str, testid: str, scenario: str) -> WatchedTarget:
    labels = {
        "testid": testid,
        "scenario": scenario,
        "generator": "exporter",
        "instance": f"test:{pid}",
    }
    run = ExporterRun(
        ExporterOptions(
            targets=[TargetSpec("pid", str(pid), "demo")],
            interval=1.0,
            remote_write_url=remote_write_url,
            push_labels=labels,
            with_host=False,
        )
    ).start()
    thread = threading.Thread(target=run.run, name=f"exporter-{testid}", daemon=True)
    thread.start()
    return WatchedTarget(run, thread, testid)
