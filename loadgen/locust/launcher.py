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

IMPORT_ERROR_PREFIX = "perfstack-locustfile-error: "


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


def main(argv: list[str]) -> None:
    import locust.main as locust_main

    import loadgen.locust.plugin  # noqa: F401  (registers the event listeners)

    original = locust_main.load_locustfile

    def guarded_load(path: str) -> Any:
        try:
            return original(path)
        except SystemExit:
            raise
        except BaseException as error:
            sys.stderr.write(IMPORT_ERROR_PREFIX + describe_import_error(path, error) + "\n")
            sys.stderr.flush()
            os._exit(ExitCode.LOCUSTFILE_IMPORT)

    locust_main.load_locustfile = guarded_load
    sys.argv = ["locust", *argv]
    locust_main.main()


if __name__ == "__main__":
    main(sys.argv[1:])
