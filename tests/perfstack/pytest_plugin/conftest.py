"""One real `pytest --perfstack` run of the example benchmark suite, shared by the plugin's
and the importer's tests (both compare Prometheus with its --benchmark-json file)."""

from __future__ import annotations

import json
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.perfstack.pytest_plugin.inner import REPO, Inner, run_pytest

EXAMPLE = REPO / "examples" / "benchmarks" / "test_benchmarks.py"


@dataclass
class BenchmarkRun:
    testid: str
    state_dir: Path
    json_file: Path
    inner: Inner

    @property
    def document(self) -> dict[str, Any]:
        return json.loads(self.json_file.read_text())


@pytest.fixture(scope="session")
def benchmark_run(stack, tmp_path_factory: pytest.TempPathFactory) -> BenchmarkRun:
    work = tmp_path_factory.mktemp("bench-run")
    shutil.copy(EXAMPLE, work / EXAMPLE.name)
    testid = f"bench-{uuid.uuid4().hex[:10]}"
    state_dir = work / "state"
    inner = run_pytest(
        work,
        EXAMPLE.name,
        "-m",
        "performance",
        "--perfstack",
        f"--perfstack-testid={testid}",
        f"--perfstack-state-dir={state_dir}",
        "--benchmark-json=bench.json",
        "--benchmark-max-time=0.2",
        env={"PERFSTACK_PROMETHEUS_URL": stack.prometheus_url},
    )
    assert inner.returncode == 0, inner.stdout + inner.stderr
    return BenchmarkRun(testid, state_dir, work / "bench.json", inner)
