"""`python -m loadgen.locust.launcher <locust args>`: Locust's own main, with the plugin
loaded and a locustfile that fails to import reported as one line and its own exit code.

Locust lets the import error's traceback escape and exits 1, the same code it uses for
request failures; `perfstack run` needs to tell the two apart.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import Any

from perfstack.core.errors import ExitCode
from perfstack.core.processes import take_sigint

IMPORT_ERROR_PREFIX = "perfstack-locustfile-error: "
SHAPE_CONFLICT_PREFIX = "perfstack-shape-conflict: "
BOUNDS_ENV = "PERFSTACK_RUN_BOUNDS"  # the bounds flags `perfstack run` was given
OUR_SHAPE = "PerfstackScenarioShape"  # loadgen/locust/shape.py, which plays --scenario
# where the run's arrival stages are written (`file:line: key`, or the --rate flag)
ARRIVAL_ENV = "PERFSTACK_ARRIVAL_SOURCE"


def describe_import_error(path: str, error: BaseException) -> str:
    """`<file>:<line>: <Type>: <message>`, the line being the locustfile's own when known."""
    line: int | None = None
    if (
        isinstance(error, SyntaxError)
        and error.filename
        and Path(error.filename).resolve() == Path(path).resolve()
    ):
        line = error.lineno
    else:
        for frame in traceback.extract_tb(error.__traceback__):
            if Path(frame.filename).resolve() == Path(path).resolve():
                line = frame.lineno
    where = f"{path}:{line}" if line else path
    message = str(error).splitlines()[0] if str(error) else ""
    return f"{where}: cannot import locustfile: {type(error).__name__}: {message}".rstrip(": ")


def shape_conflict(path: str, shapes: list[Any], bounds: str, arrival: str = "") -> str | None:
    """The one-line refusal when the locustfile has its own LoadTestShape and the user gave
    bounds the shape would override (Locust lets a shape ignore -u, -r and -t), or arrival
    stages (`arrival`: where they are written), which need perfstack's shape."""
    own = [type(shape).__name__ for shape in shapes if type(shape).__name__ != OUR_SHAPE]
    if own and arrival:
        return (
            f"{arrival}: arrival stages start the iterations themselves, but {path} defines "
            f"its own load shape {own[0]}: remove the shape class, or use user stages"
        )
    given = [flag for flag in bounds.split(",") if flag]
    if not own or not given:
        return None
    return (
        f"{path}: defines its own load shape {own[0]}, which would override "
        f"{', '.join(given)}: drop {'them' if len(given) > 1 else 'it'} to run the shape "
        "as written, or remove the shape class to use perfstack's bounds"
    )


def main(argv: list[str]) -> None:
    import locust.main as locust_main

    take_sigint()  # `perfstack run` stops Locust with SIGINT

    import loadgen.locust.plugin  # noqa: F401  (registers the event listeners)

    original = locust_main.load_locustfile

    def guarded_load(path: str) -> Any:
        try:
            loaded = original(path)
        except SystemExit:
            raise
        except BaseException as error:
            sys.stderr.write(IMPORT_ERROR_PREFIX + describe_import_error(path, error) + "\n")
            sys.stderr.flush()
            os._exit(ExitCode.LOCUSTFILE_IMPORT)
        conflict = shape_conflict(
            path,
            list(loaded[1]),
            os.environ.get(BOUNDS_ENV, ""),
            os.environ.get(ARRIVAL_ENV, ""),
        )
        if conflict is not None:
            sys.stderr.write(SHAPE_CONFLICT_PREFIX + conflict + "\n")
            sys.stderr.flush()
            os._exit(ExitCode.USAGE)
        return loaded

    locust_main.load_locustfile = guarded_load
    sys.argv = ["locust", *argv]
    locust_main.main()


if __name__ == "__main__":
    main(sys.argv[1:])
