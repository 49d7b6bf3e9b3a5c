"""nginx on 127.0.0.1 answering every method and path with one fixed answer: the target of
the HTTP overhead bench and of tests that need a fast stand-in for an API, or for a store
that refuses writes (a fixed `status`, e.g. 403 like an auth proxy)."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import httpx

from perfstack.core.ports import free_port

# One process, no master: the caller's kill() then ends all of nginx (a killed master
# leaves its workers running).
_CONF = """
master_process off;
worker_processes 1;
daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {workdir}/body;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port};
        location / {{ default_type {content_type}; return {status} "{body}"; }}
    }}
}}
"""


def start_nginx(
    workdir: Path,
    body: str = "ok\\n",
    content_type: str = "text/plain",
    timeout: float = 10.0,
    *,
    status: int = 200,
) -> tuple[subprocess.Popen[bytes], str]:
    """(the nginx process, its URL) once it answers; `body` is written into nginx's config
    as it is (nginx escapes, e.g. `ok\\n`). RuntimeError naming the error log when it does
    not answer within `timeout`."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = workdir / "nginx.conf"
    config.write_text(
        _CONF.format(
            workdir=workdir, port=port, body=body, content_type=content_type, status=status
        )
    )
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    process = subprocess.Popen(
        [binary, "-c", str(config), "-p", str(workdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == status:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.05)
    process.kill()
    process.wait()
    raise RuntimeError(f"nginx did not start; see {workdir}/nginx-error.log")
