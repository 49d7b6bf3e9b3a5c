"""nginx as a fixed-answer stand-in: the answer and status it is given, and killing the one
process it returns ends all of nginx."""

from __future__ import annotations

from pathlib import Path

import httpx
import psutil

from perfstack.testing import start_nginx


def test_it_answers_the_given_status_and_body_and_kill_leaves_nothing(tmp_path: Path) -> None:
    process, url = start_nginx(tmp_path / "nginx", body="no tenant", status=401)
    try:
        answer = httpx.post(f"{url}/api/v1/write", content=b"x", timeout=5)
        assert (answer.status_code, answer.text) == (401, "no tenant")
        assert psutil.Process(process.pid).children(recursive=True) == []
    finally:
        process.kill()
        process.wait()
    try:
        httpx.get(url, timeout=2)
        raise AssertionError(f"{url} still answers after kill()")
    except httpx.TransportError:
        pass
