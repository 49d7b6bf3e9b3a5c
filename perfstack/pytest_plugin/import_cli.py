"""`perfstack import pytest-benchmark FILE.json...`: saved pytest-benchmark results into
Prometheus with their own timestamps, one run (testid and run record) per file, so a
team's history can be compared against and judged like a run pushed live.

Every file is read completely first: one that is not pytest-benchmark's JSON stops the
command (exit 2, naming the file and the key) before anything is pushed. Samples carry the
time the file was written (its `datetime`); Prometheus takes samples older than its
newest only within its out-of-order window (prometheus/prometheus.yml sets 30 days;
docs/pytest.md). What it refuses is counted, reported per file, and exits 4 with no run
record for that file, never a silent gap.
"""

from __future__ import annotations

import argparse
import hashlib
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.core.identity import (
    RunIdentity,
    testid_argument,
    validate_scenario_name,
)
from perfstack.core.record import COMPLETED, RunRecord, write_record
from perfstack.core.settings import prometheus_url_default
from perfstack.core.state import default_state_dir, state_dir_argument
from perfstack.metrics.benchmarks import BenchmarkMetrics
from perfstack.metrics.registry import Registry
from perfstack.push.config import PushConfig
from perfstack.push.pusher import RemoteWritePusher
from perfstack.pytest_plugin.readiness import check_ready
from perfstack.pytest_plugin.results import BenchmarkFile, ResultError, read_benchmark_file
from perfstack.pytest_plugin.summary import benchmark_summary

DEFAULT_SUITE = "pytest"  # the plugin's default: imported history and live runs compare


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "import",
        help="push saved results (pytest-benchmark JSON) into Prometheus",
        description="Push results saved by other tools into Prometheus as perfstack runs.",
    )
    kinds = parser.add_subparsers(dest="kind", metavar="KIND", required=True)
    bench = kinds.add_parser(
        "pytest-benchmark",
        help="a --benchmark-json file or the files under .benchmarks/",
        description="Push pytest-benchmark JSON files (--benchmark-json, .benchmarks/) with "
        "the time each was written; each file becomes one run with a record, judged by "
        "`perfstack gate check --testid`.",
    )
    bench.add_argument("files", nargs="+", metavar="FILE.json", type=Path)
    bench.add_argument(
        "--testid",
        type=testid_argument,
        help="run id, with one file only (default: <suite>-<file's UTC time>-<4 hex of its "
        "content>, so importing a file again writes the same run)",
    )
    bench.add_argument(
        "--suite",
        default=DEFAULT_SUITE,
        help=f"the runs' suite (scenario label; default {DEFAULT_SUITE}, as pytest --perfstack)",
    )
    bench.add_argument("--prometheus", help="Prometheus base URL (default: the local stack's)")
    bench.add_argument(
        "--state-dir",
        type=state_dir_argument,
        help="state directory for the run records (default: $PERFSTACK_STATE_DIR or ./.perfstack)",
    )
    bench.set_defaults(func=import_command)


def file_testid(suite: str, saved: BenchmarkFile) -> str:
    digest = hashlib.sha256(saved.path.read_bytes()).hexdigest()[:4]
    stamp = datetime.fromtimestamp(saved.saved_at, UTC).strftime("%Y%m%dT%H%M%S")
    return f"{suite}-{stamp}-{digest}"


def import_command(args: argparse.Namespace) -> int:
    try:
        suite = validate_scenario_name(args.suite)
    except PerfstackError as error:
        raise PerfstackError(f"--suite: {error.message}", ExitCode.USAGE) from None
    if args.testid and len(args.files) > 1:
        raise PerfstackError("--testid names one run: give one file with it", ExitCode.USAGE)
    try:
        saved = [read_benchmark_file(path) for path in args.files]
    except ResultError as error:
        raise PerfstackError(str(error), ExitCode.USAGE) from None
    state_dir = (args.state_dir or default_state_dir()).resolve()
    url = (args.prometheus or prometheus_url_default(state_dir)).rstrip("/")
    problem = check_ready(url)
    if problem is not None:
        raise PerfstackError(f"Prometheus at {url} {problem}", ExitCode.PROMETHEUS_UNAVAILABLE)
    refused = []
    for one in saved:
        testid = args.testid or file_testid(suite, one)
        dropped, detail = push_file(one, testid, suite, url)
        if dropped:
            refused.append(f"{one.path}: Prometheus refused {dropped} samples ({detail})")
            continue
        write_record(state_dir, import_record(one, testid, suite, url))
        when = datetime.fromtimestamp(one.saved_at, UTC).isoformat(timespec="seconds")
        print(f"{one.path}: {len(one.results)} benchmarks as run {testid} at {when}")
    if refused:
        raise PerfstackError(
            "; ".join(refused) + " (older than Prometheus' out-of-order window? docs/pytest.md)",
            ExitCode.PROMETHEUS_UNAVAILABLE,
        )
    return ExitCode.OK


def push_file(saved: BenchmarkFile, testid: str, suite: str, url: str) -> tuple[int, str]:
    """(samples refused or unsent, the last error) after pushing the file's results at its
    own time, followed by stale markers a millisecond later."""
    registry = Registry()
    metrics = BenchmarkMetrics(max_benchmarks=max(1, len(saved.results)))
    registry.register(metrics)
    for result in saved.results:
        metrics.add(result)
    identity = RunIdentity.create(scenario=suite, generator="pytest", testid=testid)
    pusher = RemoteWritePusher(
        registry,
        PushConfig(
            url=f"{url}/api/v1/write",
            labels={**identity.labels(), "suite": suite},
            self_metrics=False,  # the importer's own counters would be stamped in the past
        ),
        clock=lambda: saved.saved_at,
    )
    pusher.stop()
    stats = pusher.stats
    return stats.dropped_total, stats.last_error or ""


def import_record(saved: BenchmarkFile, testid: str, suite: str, url: str) -> RunRecord:
    """The run as the file tells it: it ended when the file was written and lasted as long
    as its rounds did (at least a second, so the window is never empty)."""
    measured = math.fsum(r.mean * r.rounds * r.iterations for r in saved.results)
    return RunRecord(
        testid=testid,
        scenario=suite,
        generator="pytest",
        target="",
        start=saved.saved_at - max(1.0, measured),
        end=saved.saved_at,
        prometheus_url=url,
        exit_status=COMPLETED,
        exit_code=0,
        message=f"imported from {saved.path}",
        extra={
            "benchmarks": benchmark_summary(saved.results),
            "imported_from": str(saved.path),
            "commit": saved.commit,
        },
    )
