"""Light, mixed and heavy users against the demo target, in the proportions of a real day.

    perfstack run -f examples/locustfile_user_mix.py --host http://127.0.0.1:8000 --scenario smoke

The plugin import is the only perfstack-specific line; with plain `locust` it is what
pushes the metrics (`perfstack run` loads it either way).
"""

from __future__ import annotations

import random

from locust import HttpUser, between, task

import loadgen.locust.plugin  # noqa: F401

ITEM_IDS = range(1, 101)  # the demo target seeds 100 items


class LightUser(HttpUser):
    """Most visitors: glance at a page or two, think a while."""

    weight = 6
    wait_time = between(3, 8)

    @task(3)
    def browse_items(self) -> None:
        self.client.get("/api/items?limit=20", name="/api/items")

    @task(1)
    def home(self) -> None:
        self.client.get("/")


class MixedUser(HttpUser):
    """Regular users: read, open items, sometimes create one."""

    weight = 3
    wait_time = between(1, 3)

    @task(4)
    def list_items(self) -> None:
        offset = random.randrange(0, 80)
        self.client.get(f"/api/items?offset={offset}&limit=20", name="/api/items")

    @task(3)
    def open_item(self) -> None:
        self.client.get(f"/api/items/{random.choice(ITEM_IDS)}", name="/api/items/[id]")

    @task(2)
    def slow_report(self) -> None:
        self.client.get("/api/latency")

    @task(1)
    def create_item(self) -> None:
        self.client.post("/api/items", json={"name": f"note-{random.randrange(10**6)}"})


class HeavyUser(HttpUser):
    """Power users and integrations: short pauses, writes, the flaky dependency."""

    weight = 1
    wait_time = between(0.2, 1)

    @task(3)
    def create_item(self) -> None:
        self.client.post("/api/items", json={"name": "bulk", "tags": ["import"]})

    @task(2)
    def flaky_dependency(self) -> None:
        self.client.get("/api/flaky")

    @task(2)
    def latency(self) -> None:
        self.client.get("/api/latency")

    @task(1)
    def page_through(self) -> None:
        for offset in (0, 20, 40):
            self.client.get(f"/api/items?offset={offset}&limit=20", name="/api/items")
