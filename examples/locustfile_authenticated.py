"""An authenticated user: gets a token once, then sends it as a bearer header.

    PERFSTACK_EXAMPLE_TOKEN=... perfstack run -f examples/locustfile_authenticated.py \
        --host http://127.0.0.1:8000 -u 20 -t 1m

The demo target does not check tokens; against a real service, replace `log_in` with
its login call. The token is never logged: Locust records the URL and name only.
"""

from __future__ import annotations

import os
import secrets

from locust import HttpUser, between, task

import loadgen.locust.plugin  # noqa: F401


class AuthenticatedUser(HttpUser):
    wait_time = between(1, 2)

    def on_start(self) -> None:
        self.log_in()

    def log_in(self) -> None:
        token = os.environ.get("PERFSTACK_EXAMPLE_TOKEN") or secrets.token_urlsafe(24)
        self.client.headers["Authorization"] = f"Bearer {token}"

    @task(3)
    def my_items(self) -> None:
        self.client.get("/api/items?limit=10", name="/api/items")

    @task(1)
    def add_item(self) -> None:
        with self.client.post("/api/items", json={"name": "mine"}, catch_response=True) as response:
            if response.status_code != 201:
                response.failure(f"expected 201 Created, got {response.status_code}")
