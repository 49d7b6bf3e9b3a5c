from __future__ import annotations

import pytest

from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.history.labels import ci_labels, parse_label, run_labels


def test_a_label_is_name_equals_value() -> None:
    assert parse_label("branch=main") == ("branch", "main")
    assert parse_label("env=a=b") == ("env", "a=b")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("branch", "expected NAME=VALUE"),
        ("1x=y", "expected NAME=VALUE"),
        ("__name__=y", "expected NAME=VALUE"),
        ("scenario=other", "'scenario' is set by perfstack itself"),
        ("testid=x", "'testid' is set by perfstack itself"),
        ("env=", "the value is empty"),
    ],
)
def test_a_bad_label_is_one_line_naming_the_flag(text: str, expected: str) -> None:
    with pytest.raises(PerfstackError) as caught:
        parse_label(text)
    assert caught.value.exit_code == ExitCode.USAGE
    assert caught.value.message.startswith(f"--label {text!r}: ")
    assert expected in caught.value.message


def test_ci_branch_and_commit_come_from_the_ci_variables() -> None:
    github = {"GITHUB_REF_NAME": "main", "GITHUB_SHA": "abc123"}
    assert ci_labels(github) == {"branch": "main", "commit": "abc123"}
    assert ci_labels({"CI_COMMIT_REF_NAME": "feature", "CI_COMMIT_SHA": "def"}) == {
        "branch": "feature",
        "commit": "def",
    }
    assert ci_labels({}) == {}


def test_given_labels_override_the_ci_ones() -> None:
    environ = {"GITHUB_REF_NAME": "main", "GITHUB_SHA": "abc"}
    assert run_labels([("branch", "release"), ("env", "ci")], environ) == {
        "branch": "release",
        "commit": "abc",
        "env": "ci",
    }
