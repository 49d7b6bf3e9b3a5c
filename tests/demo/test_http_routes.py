"""HTTP routes in process (httpx's ASGI transport): payloads and input checks."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette

from demo.app import create_app
from demo.knobs import Knobs


class InProcessClient:
    """Synchronous calls into the app, one event loop per call (no server, no lifespan)."""

    def __init__(self, app: Starlette) -> None:
        self.app = app

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://demo") as client:
                return await client.request(method, url, **kwargs)

        return asyncio.run(call())

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)


@pytest.fixture
def client() -> InProcessClient:
    app = create_app(Knobs(), registry=CollectorRegistry(), rng=random.Random(3), seed_items=30)
    return InProcessClient(app)


def test_items_page_and_total(client: InProcessClient) -> None:
    body = client.get("/api/items", params={"offset": 25, "limit": 10}).json()
    assert body["total"] == 30
    assert [item["id"] for item in body["items"]] == [26, 27, 28, 29, 30]
    assert len(client.get("/api/items").json()["items"]) == 20  # default page


@pytest.mark.parametrize("params", [{"limit": "500"}, {"limit": "-1"}, {"offset": "x"}])
def test_bad_paging_is_400(client: InProcessClient, params: dict[str, str]) -> None:
    response = client.get("/api/items", params=params)
    assert response.status_code == 400 and "query parameter" in response.json()["error"]


def test_create_then_read_back(client: InProcessClient) -> None:
    created = client.post("/api/items", json={"name": "lamp", "price": 12})
    assert created.status_code == 201
    item = created.json()
    assert item == {"name": "lamp", "price": 12, "id": 31}
    assert client.get("/api/items/31").json() == item
    assert client.get("/api/items", params={"offset": 30}).json()["total"] == 31


@pytest.mark.parametrize("body", [b"{", b"[]", b'{"name": 5}', b'{"title": "x"}'])
def test_create_rejects_bad_bodies(client: InProcessClient, body: bytes) -> None:
    assert client.post("/api/items", content=body).status_code == 400


def test_unknown_item_and_non_numeric_id(client: InProcessClient) -> None:
    assert client.get("/api/items/999").status_code == 404
    assert client.get("/api/items/abc").status_code == 404  # no route matches


def test_admin_snapshot_reflects_changes(client: InProcessClient) -> None:
    snapshot = client.post("/admin/knobs", json={"cache_size": 3, "latency_ms": 1}).json()
    assert (snapshot["cache_size"], snapshot["latency_ms"], snapshot["items"]) == (3, 1.0, 30)
    rejected = client.post("/admin/knobs", json={"cache_size": 5, "error_ratio": 9})
    assert rejected.status_code == 400 and rejected.json()["knob"] == "error_ratio"
    assert client.get("/admin/knobs").json()["cache_size"] == 3  # all or nothing
