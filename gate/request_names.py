"""A shorthand's `request`: "METHOD name", method first as Locust's own stats show it
("POST /api/items"), or a bare name, which means every method of that name.

Only the standard HTTP methods in capitals count as a method: a descriptive request name
such as "Get user profile" or "list items" stays a bare name."""

from __future__ import annotations

from dataclasses import dataclass

HTTP_METHODS = frozenset(
    ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT")
)


@dataclass(frozen=True)
class RequestRef:
    name: str
    method: str | None = None  # None: every method

    def __str__(self) -> str:
        return self.name if self.method is None else f"{self.method} {self.name}"


def parse_request(text: str) -> RequestRef:
    method, space, name = text.partition(" ")
    name = name.lstrip(" ")
    if space and method in HTTP_METHODS and name:
        return RequestRef(name, method)
    return RequestRef(text)
