"""`python -m perfstack.mixin [--check] [--root DIR]`: write or check the generated files."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from perfstack.core import generated
from perfstack.mixin.build import stale, write


def main(argv: Sequence[str] | None = None) -> int:
    return generated.main("perfstack.mixin", __doc__, write, stale, argv)


if __name__ == "__main__":
    sys.exit(main())
