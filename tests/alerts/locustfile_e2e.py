"""A minimal locustfile for the end-to-end alert test: steady GETs against the demo target."""

from locust import FastHttpUser, constant, task


class Reader(FastHttpUser):
    wait_time = constant(0.02)

    @task
    def items(self) -> None:
        self.client.get("/api/items", name="items")
