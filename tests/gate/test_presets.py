"""The shipped presets load, lint clean, and Prometheus parses every query they resolve to;
the demo preset passes a healthy `perfstack demo` run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from gate.rules import load_rules
from perfstack.cli import main
from perfstack.core.processes import stop_children
from perfstack.testing import start_nginx
from tests.loadgen.locust_runs import finished_record, run_perfstack, write_locustfile

PRESETS = sorted((Path(__file__).resolve().parents[2] / "gate" / "presets").glob("*.yaml"))


def test_there_is_a_preset_per_seed_and_the_demo_default() -> None:
    names = [p.name for p in PRESETS]
    assert "default.yaml" in names
    for seed in ("seed000", "seed002", "seed003", "seed004"):
        assert any(n.startswith(seed) for n in names), seed


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.stem)
def test_preset_lints_clean_against_prometheus(preset: Path, stack, capsys) -> None:
    rules = load_rules(preset)
    assert rules.objectives
    code = main(["gate", "lint", str(preset), "--prometheus", stack.prometheus_url])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "no findings" in out


def test_seed_thresholds_are_the_seeds_numbers() -> None:
    by_name = {p.stem: {o.name: o for o in load_rules(p).objectives} for p in PRESETS}
    seed000 = by_name["seed000-ai-backend"]
    assert seed000["9.3 response time under 5s (max)"].passing.limit == 5.0  # type: ignore[union-attr]
    assert seed000["9.4 error rate under 5%"].warning.limit == 0.05  # type: ignore[union-attr]
    assert seed000["9.4 memory increase under 500MB"].passing.limit == 500e6  # type: ignore[union-attr]
    seed003 = load_rules(next(p for p in PRESETS if p.stem.startswith("seed003")))
    assert seed003.score_pass == 0.9
    assert dict(seed003.levels) == {"minor": 0.10, "major": 0.25, "critical": 0.50}
    regression = next(o for o in seed003.objectives if o.relative is not None)
    assert regression.relative.passing.limit == pytest.approx(0.10)  # type: ignore[union-attr]
    seed004 = by_name["seed004-endpoints"]
    assert seed004["health check mean under 10ms"].request == "GET /health"
    assert seed004["create mean under 500ms"].request == "POST /api/agents"
    assert seed004["list mean under 200ms"].request == "GET /api/agents"
    assert seed004["health check mean under 10ms"].passing.limit == pytest.approx(0.010)  # type: ignore[union-attr]


@pytest.mark.slow
def test_demo_default_preset_passes_a_healthy_demo_run(demo_run) -> None:
    result = json.loads((demo_run.state_dir / "gate" / f"{demo_run.testid}.json").read_text())
    statuses = {o["name"]: o["status"] for o in result["objectives"]}
    assert result["status"] == "PASS", json.dumps(result["objectives"], indent=1)[:3000]
    assert set(statuses.values()) == {"PASS"}
    assert result["rules"]["name"] == "demo-default"


# Seed 004's load-testing scenarios as its README describes them: OpenUserUser (health
# checks often, root and user info, agent listing and creation rarely) and
# AuthenticationUser (registration and login)
SEED004_LOCUSTFILE = """
from locust import HttpUser, constant, task

class OpenUserUser(HttpUser):
    wait_time = constant(0.02)

    @task(6)
    def health(self):
        self.client.get("/health")

    @task(3)
    def root(self):
        self.client.get("/")

    @task(3)
    def user_info(self):
        self.client.get("/api/auth/me")

    @task(2)
    def list_agents(self):
        self.client.get("/api/agents")

    @task(2)
    def create_agent(self):
        self.client.post("/api/agents", json={"name": "agent", "model": "m"})

class AuthenticationUser(HttpUser):
    wait_time = constant(0.02)

    @task
    def register(self):
        self.client.post("/api/auth/register", json={"username": "u", "password": "p"})

    @task(3)
    def login(self):
        self.client.post("/api/auth/login", json={"username": "u", "password": "p"})
"""


@pytest.fixture
def openuser_api(tmp_path: Path) -> Iterator[str]:
    """nginx answering 200 to every method and path: a stand-in for the OpenUser API."""
    nginx, url = start_nginx(tmp_path / "nginx", body="{}", content_type="application/json")
    try:
        yield url
    finally:
        stop_children([nginx], signal_number=15, grace=5)


def test_every_seed004_objective_matches_a_run_of_its_scenario(
    openuser_api: str, stack, tmp_path: Path, capsys
) -> None:
    testid = f"seed004-{tmp_path.name}"[:60]
    state, prefix = tmp_path / "state", tmp_path / "locust-stats"
    result = run_perfstack(
        write_locustfile(tmp_path, SEED004_LOCUSTFILE), openuser_api, state,
        stack.prometheus_url, "-u", "4", "-t", "4s", "--testid", testid,
        "--", "--json-file", str(prefix),
    )  # fmt: skip
    finished_record(state, testid, result)
    locust = {
        f"{entry['method']} {entry['name']}": entry["num_requests"]
        for entry in json.loads(Path(f"{prefix}.json").read_text())
    }
    preset = next(p for p in PRESETS if p.stem == "seed004-endpoints")
    out = tmp_path / "gate.json"
    main([
        "gate", "check", "--rules", str(preset), "--testid", testid, "--state-dir", str(state),
        "--prometheus", stack.prometheus_url, "--json", str(out), "--no-push",
    ])  # fmt: skip
    capsys.readouterr()
    objectives = json.loads(out.read_text())["objectives"]
    unmatched = [(o["name"], o["status"], o["reason"]) for o in objectives if o["value"] is None]
    assert not unmatched and all(o["status"] != "ERROR" for o in objectives), unmatched
    rules = {o.name: o for o in load_rules(preset).objectives}
    for entry in objectives:
        request = rules[entry["name"]].request
        # each endpoint objective counts exactly the requests Locust made to it
        expected = sum(locust.values()) if request is None else locust[request]
        assert entry["samples"] == expected, (entry["name"], request, locust)


def test_benchmark_presets_are_the_seeds_tables() -> None:
    by_name = {p.stem: {o.name: o for o in load_rules(p).objectives} for p in PRESETS}
    seed004 = by_name["seed004-benchmarks"]
    health_mean = seed004["health check mean under 10ms"]
    assert (health_mean.sli, health_mean.request) == ("benchmark_mean", "test_health_check")
    assert health_mean.passing.limit == pytest.approx(0.010)  # type: ignore[union-attr]
    assert health_mean.relative.passing.limit == pytest.approx(0.20)  # type: ignore[union-attr]
    assert seed004["create max under 2000ms"].sli == "benchmark_max"
    assert seed004["create max under 2000ms"].passing.limit == pytest.approx(2.0)  # type: ignore[union-attr]
    seed001 = by_name["seed001-benchmarks"]
    assert seed001["dashboard loading mean under 1.5s"].passing.limit == pytest.approx(1.5)  # type: ignore[union-attr]
    assert seed001["aggregation mean under 300ms"].passing.limit == pytest.approx(0.3)  # type: ignore[union-attr]
    every = seed001["no slow benchmark (every mean under 2s)"]
    assert every.request is None and every.on_multi_series == "worst"
