"""A read-only user on FastHttpUser (geventhttpclient): many cheap GETs, no writes.

    perfstack run -f examples/locustfile_read_only.py --host http://127.0.0.1:8000 -u 50 -t 2m

Item URLs carry ids; `name=` groups them into one series (`/api/items/[id]`). Without
it, perfstack's name cap (200 by default, `--max-names`) would fold the excess into
`_other_`.
"""

from __future__ import annotations

import random

from locust import FastHttpUser, between, task

import loadgen.locust.plugin  # noqa: F401


class ReadOnlyUser(FastHttpUser):
    wait_time = between(0.5, 2)

    @task(5)
    def item(self) -> None:
        self.client.get(f"/api/items/{random.randint(1, 100)}", name="/api/items/[id]")

    @task(3)
    def page(self) -> None:
        self.client.get(f"/api/items?offset={random.randrange(0, 80)}&limit=20", name="/api/items")

    @task(1)
    def health(self) -> None:
        with self.client.get("/health", catch_response=True) as response:
            if response.status_code == 200 and response.json().get("status") != "ok":
                response.failure("health check answered but not ok")
