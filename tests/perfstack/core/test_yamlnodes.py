"""The YAML reader with line numbers shared by the gate's rule files and the scenario files:
the gate's accessors (mapping, check_keys, parse_document) and the scenario files' (fields,
pairs, loaded, compose, invalid_yaml) each keep their own wording."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
import yaml

from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.core.yamlnodes import (
    Node,
    RuleFileError,
    check_keys,
    compose,
    invalid_yaml,
    parse_document,
)


def _root(text: str, file: str = "s.yaml") -> Node:
    root = compose(text, file)
    assert root is not None
    return root


def _message(call: Callable[[], object]) -> str:
    with pytest.raises(PerfstackError) as raised:
        call()
    assert raised.value.exit_code == ExitCode.USAGE
    return raised.value.message


# --- the gate's reading ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "r.yaml:1: the file is empty (expected a mapping with 'objectives')"),
        (
            "# only a comment\n",
            "r.yaml:1: the file is empty (expected a mapping with 'objectives')",
        ),
        ("a: [\n", "r.yaml:2: invalid YAML: expected the node content, but found '<stream end>'"),
        ("a: 1\n\x07\n", "r.yaml:2: invalid YAML: non-printable character U+0007 is not allowed"),
        ("a: 1\n---\nb: 2\n", "r.yaml:2: invalid YAML: but found another document"),
    ],
)
def test_parse_document_errors(text: str, message: str) -> None:
    assert _message(lambda: parse_document(text, "r.yaml")) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- 1\n", "r.yaml:1: expected a mapping, got a list"),
        ("---\n", "r.yaml:2: expected a mapping, got nothing (null)"),
        ("\n\n\nx\n", "r.yaml:4: expected a mapping, got 'x'"),
        ("a: 1\nb:\n  - 1\na: 2\n", "r.yaml:4: a: duplicate key"),
        ("top:\n  ? [a]\n  : 1\n", None),
    ],
)
def test_mapping_errors(text: str, message: str | None) -> None:
    root = parse_document(text, "r.yaml")
    if message is None:  # a key that is not a scalar: on its line, under the mapping's path
        top = root.mapping()["top"]
        assert _message(top.mapping) == "r.yaml:2: top: keys must be strings"
    else:
        assert _message(root.mapping) == message


def test_check_keys_unknown_on_the_value_line_missing_on_the_mapping_line() -> None:
    root = parse_document("a: 1\nzzz:\n  - 1\n", "r.yaml")
    message = _message(lambda: check_keys(root, root.mapping(), ("a", "b")))
    assert message == "r.yaml:3: zzz: unknown key (expected one of a, b)"
    root = parse_document("\na: 1\n", "r.yaml")
    message = _message(lambda: check_keys(root, root.mapping(), ("a", "b"), required=("b",)))
    assert message == "r.yaml:2: missing required key 'b'"


def test_mapping_gives_child_paths_and_lines() -> None:
    root = parse_document("a:\n  b:\n    - x\n    - {c: 1}\n", "r.yaml")
    item = root.mapping()["a"].mapping()["b"].sequence()[1]
    assert (item.path, item.line) == ("a.b[1]", 4)
    c = item.mapping()["c"]
    assert (c.path, c.line, c.integer()) == ("a.b[1].c", 4, 1)
    assert str(c.error("bad")) == "r.yaml:4: a.b[1].c: bad"


# --- the scenario files' reading ------------------------------------------------------------
def test_compose_is_none_for_an_empty_document_and_leaves_syntax_errors_to_the_caller() -> None:
    assert compose("", "s.yaml") is None
    assert compose("# nothing\n", "s.yaml") is None
    null = compose("---\n", "s.yaml")  # an explicit empty document is a null scalar on line 2
    assert null is not None and null.is_scalar and null.line == 2 and null.path == ""
    with pytest.raises(yaml.YAMLError):
        compose("a: [\n", "s.yaml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: [\n", "s.yaml:2: invalid YAML: expected the node content, but found '<stream end>'"),
        ("a: 1\n---\nb: 2\n", "s.yaml:2: invalid YAML: but found another document"),
        # no mark on disallowed characters: no line
        (
            "a: 1\n\x07\n",
            "s.yaml: invalid YAML: unacceptable character #x0007: special characters are not "
            "allowed",
        ),
    ],
)
def test_invalid_yaml_names_the_marked_line_or_only_the_file(text: str, message: str) -> None:
    with pytest.raises(yaml.YAMLError) as raised:
        compose(text, "s.yaml")
    error = raised.value
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    result = invalid_yaml("s.yaml", error, problem)
    assert type(result) is PerfstackError
    assert result.message == message and result.exit_code == ExitCode.USAGE


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # unknown and duplicate keys: the first in document order, on the key's line
        (
            "a: 1\nzzz:\n  - 1\n",
            "s.yaml:2: top.zzz: unknown key; expected one of a, b, stages",
        ),
        ("zzz: 1\na: 1\na: 2\n", "s.yaml:1: top.zzz: unknown key; expected one of a, b, stages"),
        ("a: 1\na: 2\nzzz: 1\n", "s.yaml:2: top.a: duplicate key"),
        (
            "a:\n  - 1\na:\n  - 2\n",
            "s.yaml:3: top.a: duplicate key",
        ),
        # then required keys, on the mapping's line
        ("\n  a: 1\n", "s.yaml:2: top.stages: required key missing"),
        ("[1]\n", "s.yaml:1: top: expected a mapping"),
        # a key that is not a scalar is named by its yaml node
        (
            "? [a]\n: 1\n",
            "s.yaml:1: top.[ScalarNode(tag='tag:yaml.org,2002:str', value='a')]: unknown key; "
            "expected one of a, b, stages",
        ),
    ],
)
def test_fields_errors(text: str, message: str) -> None:
    node = _root(text).renamed("top")
    assert _message(lambda: node.fields({"stages", "b", "a"}, required=("stages",))) == message


def test_fields_without_allowed_keys_only_refuses_repeats() -> None:
    node = _root("X-A: 1\nX-B: [2]\n")
    assert list(node.fields()) == ["X-A", "X-B"]
    assert _message(_root("X: 1\nX: 2\n").fields) == "s.yaml:2: X: duplicate key"


def test_fields_paths_and_lines() -> None:
    stages = _root("stages:\n  - kind: ramp\n    users:\n      3\n").fields()["stages"]
    stage = stages.sequence()[0]
    users = stage.fields({"kind", "users"})["users"]
    assert (users.path, users.line, users.loaded()) == ("stages[0].users", 4, 3)
    assert stage.fields({"kind", "users"})["kind"].line == 2


def test_pairs_keep_every_key_in_order_with_the_key_nodes() -> None:
    pairs = _root("a: 1\n\nb: 2\na: 3\n").pairs()
    assert [(key, k.line, v.loaded()) for key, k, v in pairs] == [
        ("a", 1, 1),
        ("b", 3, 2),
        ("a", 4, 3),
    ]
    assert pairs[1][1].path == pairs[1][2].path == "b"
    assert _message(_root("- a\n").pairs) == "s.yaml:1: expected a mapping"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("5", 5),
        ("'5'", "5"),
        ("1.5", 1.5),
        ("1_000", 1000),
        ("0x10", 16),
        ("yes", True),
        ("~", None),
        ("", None),
        ("5s", "5s"),
        ("2020-01-01", datetime.date(2020, 1, 1)),
        ("!!str 5", "5"),
    ],
)
def test_loaded_is_the_value_safe_load_gives(text: str, value: object) -> None:
    node = _root(f"v: {text}\n").fields()["v"]
    loaded = node.loaded()
    assert loaded == value and type(loaded) is type(value)
    assert loaded == yaml.safe_load(f"v: {text}\n")["v"]


def test_loaded_refuses_lists_and_mappings_and_lets_bad_tags_raise() -> None:
    items = _root("a: [1]\nb:\n  c: 1\nd: !!int abc\ne: !foo x\n").fields()
    assert _message(items["a"].loaded) == "s.yaml:1: a: expected a single value"
    assert _message(items["b"].loaded) == "s.yaml:3: b: expected a single value"
    with pytest.raises(ValueError):
        items["d"].loaded()
    with pytest.raises(yaml.constructor.ConstructorError):
        items["e"].loaded()


def test_expected_and_renamed() -> None:
    items = _root("name: x\nlist:\n  - 7\n").fields()
    error = items["name"].expected("a number > 0", "x")
    assert isinstance(error, RuleFileError)
    assert (error.message, error.file, error.line, error.key) == (
        "s.yaml:1: name: expected a number > 0, got 'x'",
        "s.yaml",
        1,
        "name",
    )
    item = items["list"].sequence()[0]
    assert item.path == "list[0]"
    renamed = item.renamed("list")
    assert (renamed.path, renamed.line, renamed.loaded()) == ("list", 3, 7)
    assert str(renamed.error("bad")) == "s.yaml:3: list: bad"
