"""`python -m perfstack.kubernetes [--check] [--root DIR]`: write or check deploy/kubernetes/."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from perfstack.core.paths import assets_root
from perfstack.kubernetes.build import stale, write


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m perfstack.kubernetes", description=__doc__)
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
            print(f"stale: {path} (run `python -m perfstack.kubernetes`)", file=sys.stderr)
        return 1 if differing else 0
    for path in write(root):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
