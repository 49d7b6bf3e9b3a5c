"""The end-of-run summary of a real `perfstack run`: one row per (method, name) as Locust
keeps them, and request names printed as written, brackets included."""

from __future__ import annotations

import json
from pathlib import Path

from tests.loadgen.locust_runs import finished_record, run_perfstack, write_locustfile

ITEMS_LOCUSTFILE = """
from locust import HttpUser, constant, task

class Items(HttpUser):
    wait_time = constant(0.02)

    @task(3)
    def list_items(self):
        self.client.get("/api/items")

    @task
    def create_item(self):
        self.client.post("/api/items", json={"name": "x"})

    @task(2)
    def one_item(self):
        self.client.get("/api/items/1", name="/api/items/[id]")
"""


def locust_counts_by_method(prefix: Path) -> dict[tuple[str, str], int]:
    """{(method, name): requests} from Locust's own final `--json-file` stats."""
    return {
        (entry["method"], entry["name"]): entry["num_requests"]
        for entry in json.loads(Path(f"{prefix}.json").read_text())
    }


def table_rows(stdout: str) -> dict[tuple[str, str], int]:
    """{(method, name): requests} from the summary table's rows."""
    rows = {}
    for line in stdout.splitlines():
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if len(cells) >= 3 and cells[2].isdigit():
            rows[(cells[0], cells[1])] = int(cells[2])
    return rows


def test_the_summary_keeps_methods_apart_and_prints_bracketed_names(demo_target, stack, tmp_path):
    testid = f"summary-{tmp_path.name}"[:60]
    prefix = tmp_path / "locust-stats"
    result = run_perfstack(
        write_locustfile(tmp_path, ITEMS_LOCUSTFILE), demo_target.url, tmp_path / "state",
        stack.prometheus_url, "-u", "2", "-t", "3s", "--testid", testid,
        "--", "--json-file", str(prefix),
    )  # fmt: skip
    record = finished_record(tmp_path / "state", testid, result)
    locust = locust_counts_by_method(prefix)
    assert set(locust) == {
        ("GET", "/api/items"), ("POST", "/api/items"), ("GET", "/api/items/[id]"),
    }  # fmt: skip
    recorded = {
        (method, name): figures.requests
        for name, stats in record.names.items()
        for method, figures in stats.methods.items()
    }
    assert recorded == locust
    items = record.names["/api/items"]
    assert items.requests == locust["GET", "/api/items"] + locust["POST", "/api/items"]
    assert {m: f.percentiles.keys() for m, f in items.methods.items()} == {
        "GET": {"p50", "p90", "p95", "p99", "max"}, "POST": {"p50", "p90", "p95", "p99", "max"},
    }  # fmt: skip
    rows = table_rows(result.stdout)
    assert rows == {**locust, ("", "total"): record.requests}, result.stdout
