"""Closed-loop GETs against the demo target for the history test: no think time, so even a
short run gives a p50 over a hundred requests or more."""

from locust import FastHttpUser, constant, task


class Reader(FastHttpUser):
    wait_time = constant(0)

    @task
    def items(self) -> None:
        self.client.get("/api/items", name="items")
