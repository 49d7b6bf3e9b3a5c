"""The extra labels a run summary carries: `--label k=v` and the CI's branch and commit.

They identify where a run came from (low cardinality by intent: a branch, a commit, an
environment); the summary's own labels (scenario, sli, name, testid) cannot be overridden.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

from perfstack.core.errors import ExitCode, PerfstackError

_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
RESERVED = frozenset({"scenario", "sli", "name", "testid", "generator", "instance", "job"})
# (branch variable, commit variable) of the CI systems we know, first match wins
CI_VARIABLES = (
    ("GITHUB_REF_NAME", "GITHUB_SHA"),  # GitHub Actions
    ("CI_COMMIT_REF_NAME", "CI_COMMIT_SHA"),  # GitLab CI
    ("BUILDKITE_BRANCH", "BUILDKITE_COMMIT"),
    ("CIRCLE_BRANCH", "CIRCLE_SHA1"),
    ("GIT_BRANCH", "GIT_COMMIT"),  # Jenkins
)


def parse_label(text: str, flag: str = "--label") -> tuple[str, str]:
    """`k=v` -> (k, v); PerfstackError (exit 2) naming the flag and what was expected."""
    key, sep, value = text.partition("=")
    if not sep or not _LABEL_NAME.match(key) or key.startswith("__"):
        raise PerfstackError(
            f"{flag} {text!r}: expected NAME=VALUE with NAME like [a-zA-Z_][a-zA-Z0-9_]*",
            ExitCode.USAGE,
        )
    if key in RESERVED:
        raise PerfstackError(
            f"{flag} {text!r}: {key!r} is set by perfstack itself; choose another name",
            ExitCode.USAGE,
        )
    if not value:
        raise PerfstackError(f"{flag} {text!r}: the value is empty", ExitCode.USAGE)
    return key, value


def label_argument(text: str) -> tuple[str, str]:
    """argparse `type=` for `--label`: bad input is caught before any load starts."""
    try:
        return parse_label(text)
    except PerfstackError as error:
        raise argparse.ArgumentTypeError(error.message) from None


def ci_labels(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """branch and commit from the CI's variables, when a known CI sets them."""
    env = os.environ if environ is None else environ
    for branch_var, commit_var in CI_VARIABLES:
        branch, commit = env.get(branch_var, ""), env.get(commit_var, "")
        if branch or commit:
            return {k: v for k, v in (("branch", branch), ("commit", commit)) if v}
    return {}


def run_labels(
    given: Sequence[tuple[str, str]] | None, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The CI's branch/commit, overridden by `--label` values given on the command line."""
    return {**ci_labels(environ), **dict(given or ())}


def add_label_argument(parser: Any, what: str = "run summary") -> None:
    parser.add_argument(
        "--label",
        action="append",
        type=label_argument,
        default=[],
        metavar="NAME=VALUE",
        help=f"extra label on the {what} (repeatable; e.g. branch=main, env=staging); the "
        "CI's branch and commit are added by themselves",
    )
