"""The store and the query API's URL: from flag, environment, the last `up`, the default."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.core.settings import prometheus_url_and_source, resolve_settings


def _stack_file(state_dir: Path, **record: object) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / "stack.json").write_text(json.dumps(record))


def test_the_store_from_flag_then_environment_then_the_last_up(tmp_path: Path) -> None:
    assert resolve_settings(tmp_path, environ={}).store == "prometheus"
    _stack_file(tmp_path, store="victoria-metrics")
    recorded = resolve_settings(tmp_path, environ={})
    assert recorded.store == "victoria-metrics"
    assert recorded.prometheus_url == "http://127.0.0.1:8428"  # VictoriaMetrics' own port
    assert recorded.remote_write_url == "http://127.0.0.1:8428/api/v1/write"
    env = {"PERFSTACK_STORE": "prometheus"}
    assert resolve_settings(tmp_path, environ=env).prometheus_url == "http://127.0.0.1:9090"
    assert resolve_settings(tmp_path, environ=env, store="victoria-metrics").store == (
        "victoria-metrics"
    )


def test_an_unknown_store_is_one_line_naming_where_it_came_from(tmp_path: Path) -> None:
    with pytest.raises(PerfstackError) as caught:
        resolve_settings(tmp_path, environ={"PERFSTACK_STORE": "mimir"})
    assert caught.value.exit_code == ExitCode.USAGE
    assert caught.value.message == (
        "PERFSTACK_STORE: expected one of prometheus, victoria-metrics, got 'mimir'"
    )


def test_the_query_url_says_where_it_came_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PERFSTACK_PROMETHEUS_URL", raising=False)
    url, source = prometheus_url_and_source(None, tmp_path)
    assert url == "http://127.0.0.1:9090" and source.startswith("the default")
    _stack_file(tmp_path, prometheus_url="http://127.0.0.1:18428")
    url, source = prometheus_url_and_source(None, tmp_path)
    assert url == "http://127.0.0.1:18428" and str(tmp_path / "stack.json") in source
    monkeypatch.setenv("PERFSTACK_PROMETHEUS_URL", "http://127.0.0.1:1/")
    assert prometheus_url_and_source(None, tmp_path) == (
        "http://127.0.0.1:1",
        "PERFSTACK_PROMETHEUS_URL",
    )
    assert prometheus_url_and_source("http://h:2", tmp_path, "--prometheus-url") == (
        "http://h:2",
        "--prometheus-url",
    )
