"""`python -m perfstack.kubernetes [--check] [--root DIR]`: write or check deploy/kubernetes/."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from perfstack.core import generated
from perfstack.kubernetes.build import stale, write


def main(argv: Sequence[str] | None = None) -> int:
    return generated.main("perfstack.kubernetes", __doc__, write, stale, argv)


if __name__ == "__main__":
    sys.exit(main())
