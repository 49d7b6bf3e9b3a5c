"""Where the stack's configuration files are, in a checkout and in an installed wheel.

A checkout keeps prometheus/, alerts/, grafana/ and examples/ at the repository root
(docker-compose mounts them from there). A wheel carries the same trees under
perfstack/_assets (see pyproject's force-include). The checkout wins when both exist so
an editable install always uses the files being edited.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent.parent
_MARKER = Path("prometheus") / "prometheus.yml"


@cache
def assets_root() -> Path:
    checkout = _PACKAGE_DIR.parent
    if (checkout / _MARKER).is_file() and (checkout / "pyproject.toml").is_file():
        return checkout
    bundled = _PACKAGE_DIR / "_assets"
    if (bundled / _MARKER).is_file():
        return bundled
    raise FileNotFoundError(
        f"perfstack configuration not found in {checkout} or {bundled}; reinstall the package"
    )


def prometheus_dir() -> Path:
    return assets_root() / "prometheus"


def alerts_dir() -> Path:
    return assets_root() / "alerts"


def grafana_dir() -> Path:
    return assets_root() / "grafana"


def examples_dir() -> Path:
    return assets_root() / "examples"
