"""Subcommands of this area (registered by perfstack.cli)."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Placeholder until this area's issue lands: adds no command yet."""
