"""Files generated from code and committed (dashboards, rules, Kubernetes manifests): write
the ones whose content changed, list the stale ones, and the `python -m` entry point that
does either (`--check` for CI and the tests that prove a fresh build equals the commit)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from perfstack.core.paths import assets_root


def _differs(path: Path, content: str) -> bool:
    return not path.is_file() or path.read_text(encoding="utf-8") != content


def write_files(root: Path, files: Mapping[str, str]) -> list[str]:
    """Write each relative path's content under root; return the paths that changed."""
    changed = []
    for relative, content in files.items():
        path = root / relative
        if _differs(path, content):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
            changed.append(relative)
    return changed


def stale_files(root: Path, files: Mapping[str, str]) -> list[str]:
    """The relative paths under root that are missing or differ from `files`."""
    return [relative for relative, content in files.items() if _differs(root / relative, content)]


def main(
    module: str,
    description: str | None,
    write: Callable[[Path], list[str]],
    stale: Callable[[Path], list[str]],
    argv: Sequence[str] | None = None,
) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=description)
    parser.add_argument(
        "--root",
        type=Path,
        default=None,
        help="repository root to write into (default: this checkout)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 listing the files that differ from a fresh build",
    )
    args = parser.parse_args(argv)
    root = args.root or assets_root()
    if args.check:
        differing = stale(root)
        for path in differing:
            print(f"stale: {path} (run `python -m {module}`)", file=sys.stderr)
        return 1 if differing else 0
    for path in write(root):
        print(f"wrote {path}")
    return 0
