"""Strict reading of YAML mappings with the position of every key, for error messages that
name the file, the line and the key ("rules.yaml:12: objectives[2].pass: ...").

PyYAML's composer keeps a mark on every node; walking nodes instead of loaded dicts keeps
those marks, catches duplicate keys (which `safe_load` silently lets the last one win) and
distinguishes the string "1" from the number 1.

The one reader of the gate's rule files and of scenario files (loadgen.scenarios,
loadgen.ws.scenario). Their wordings differ and are kept: the gate reads with `mapping()`
and `check_keys()` ("unknown key (expected one of ...)" on the value's line), scenario
files with `fields()` ("unknown key; expected one of ..." on the key's line) and
`loaded()` (the value as `yaml.safe_load` builds it).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

import yaml

from perfstack.core.errors import ExitCode, PerfstackError

_BOOL_TAG = "tag:yaml.org,2002:bool"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_NULL_TAG = "tag:yaml.org,2002:null"
_DECIMAL_INT = re.compile(r"[-+]?[0-9]+(?:_[0-9]+)*")


class RuleFileError(PerfstackError):
    def __init__(self, file: str, line: int, key: str, message: str) -> None:
        where = f"{file}:{line}: {key}: " if key else f"{file}:{line}: "
        super().__init__(where + message, ExitCode.USAGE)
        self.file, self.line, self.key = file, line, key


class Node:
    """One YAML node with its dotted path; accessors raise RuleFileError on the wrong shape."""

    def __init__(self, node: yaml.Node, path: str, file: str) -> None:
        self.node, self.path, self.file = node, path, file

    @property
    def line(self) -> int:
        return int(self.node.start_mark.line) + 1

    def error(self, message: str) -> RuleFileError:
        return RuleFileError(self.file, self.line, self.path, message)

    def expected(self, what: str, got: object) -> RuleFileError:
        """The error "expected WHAT, got GOT" (GOT as its repr)."""
        return self.error(f"expected {what}, got {got!r}")

    def renamed(self, path: str) -> Node:
        """This node reported under another key path: a list's items under the list's key,
        a missing key on the line of what should have held it."""
        return Node(self.node, path, self.file)

    def child_path(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    @property
    def is_mapping(self) -> bool:
        return isinstance(self.node, yaml.MappingNode)

    @property
    def is_sequence(self) -> bool:
        return isinstance(self.node, yaml.SequenceNode)

    @property
    def is_scalar(self) -> bool:
        return isinstance(self.node, yaml.ScalarNode)

    # --- shapes -------------------------------------------------------------------------
    def mapping(self) -> dict[str, Node]:
        if not self.is_mapping:
            raise self.error(f"expected a mapping, got {self.describe()}")
        items: dict[str, Node] = {}
        for key, key_node, value in self.pairs():
            if not key_node.is_scalar:
                raise RuleFileError(self.file, key_node.line, self.path, "keys must be strings")
            if key in items:
                raise key_node.error("duplicate key")
            items[key] = value
        return items

    def pairs(self) -> list[tuple[str, Node, Node]]:
        """(key, key node, value node) of a mapping in document order, unchecked: a repeated
        key is there each time. Both nodes are named by the key's path; a key that is not a
        scalar is named by str() of its yaml node value."""
        if not self.is_mapping:
            raise self.error("expected a mapping")
        pairs: list[tuple[str, Node, Node]] = []
        for key_node, value_node in self.node.value:
            key = str(key_node.value)
            path = self.child_path(key)
            pairs.append((key, Node(key_node, path, self.file), Node(value_node, path, self.file)))
        return pairs

    def fields(
        self, allowed: Collection[str] | None = None, required: tuple[str, ...] = ()
    ) -> dict[str, Node]:
        """The values of a mapping by key, for scenario files. Keys are checked in document
        order, on the key's line: the first one not in `allowed` (None: any key) is "unknown
        key; expected one of ..." (sorted), a repeated one "duplicate key". Then the first
        `required` key missing is "required key missing", on the mapping's line."""
        items: dict[str, Node] = {}
        for key, key_node, value in self.pairs():
            if allowed is not None and key not in allowed:
                raise key_node.error(f"unknown key; expected one of {', '.join(sorted(allowed))}")
            if key in items:
                raise key_node.error("duplicate key")
            items[key] = value
        for key in required:
            if key not in items:
                raise self.renamed(self.child_path(key)).error("required key missing")
        return items

    def sequence(self) -> list[Node]:
        if not isinstance(self.node, yaml.SequenceNode):
            raise self.error(f"expected a list, got {self.describe()}")
        return [Node(item, self.child_path(i), self.file) for i, item in enumerate(self.node.value)]

    def loaded(self) -> Any:
        """The value of a scalar as `yaml.safe_load` builds it: str, int, float, bool, None,
        a date...; a list or a mapping is "expected a single value". A tag that does not fit
        the text (`!!int abc`) raises what PyYAML raises."""
        if not self.is_scalar:
            raise self.error("expected a single value")
        return yaml.SafeLoader("").construct_object(self.node)

    def scalar(self) -> str:
        if not isinstance(self.node, yaml.ScalarNode) or self.node.tag == _NULL_TAG:
            raise self.error(f"expected a value, got {self.describe()}")
        return str(self.node.value)

    def string(self) -> str:
        value = self.scalar()
        if self.node.tag in (_BOOL_TAG,):
            raise self.error(f"expected a string, got the boolean {value!r} (quote it)")
        if not value.strip():
            raise self.error("must not be empty")
        return value

    def boolean(self) -> bool:
        value = self.scalar()
        if self.node.tag != _BOOL_TAG:
            raise self.error(f"expected true or false, got {value!r}")
        return value.lower() in ("true", "yes", "on")

    def number(self) -> float:
        value = self.scalar()
        if self.node.tag not in (_INT_TAG, _FLOAT_TAG):
            raise self.error(f"expected a number, got {value!r}")
        try:
            return float(yaml.safe_load(value))
        except (ValueError, TypeError):  # an explicit tag on a non-number: `!!float abc`
            raise self.error(f"expected a number, got {value!r}") from None

    def integer(self) -> int:
        value = self.scalar()
        # YAML 1.1 also tags 0x10, 0b101 and 1:30 as integers (int() rejects them): decimals only
        if self.node.tag != _INT_TAG or not _DECIMAL_INT.fullmatch(value):
            raise self.error(f"expected a whole number in decimal digits, got {value!r}")
        return int(value)

    def choice(self, allowed: tuple[str, ...]) -> str:
        value = self.string()
        if value not in allowed:
            raise self.error(f"expected one of {', '.join(allowed)}; got {value!r}")
        return value

    def describe(self) -> str:
        if isinstance(self.node, yaml.MappingNode):
            return "a mapping"
        if isinstance(self.node, yaml.SequenceNode):
            return "a list"
        if self.node.tag == _NULL_TAG:
            return "nothing (null)"
        return f"{self.node.value!r}"


def check_keys(
    node: Node, items: dict[str, Node], allowed: tuple[str, ...], required: tuple[str, ...] = ()
) -> None:
    for key, child in items.items():
        if key not in allowed:
            raise RuleFileError(
                node.file,
                child.line,
                child.path,
                f"unknown key (expected one of {', '.join(allowed)})",
            )
    for key in required:
        if key not in items:
            raise node.error(f"missing required key {key!r}")


def load_document(path: Path) -> Node:
    """The root node of a YAML file; syntax errors carry their line."""
    file = str(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise PerfstackError(
            f"{file}: cannot read rule file: {error.strerror or error}", ExitCode.USAGE
        ) from error
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise RuleFileError(
            file, line, "", f"not UTF-8: byte {data[error.start]:#04x} at offset {error.start}"
        ) from error
    return parse_document(text, file)


def compose(text: str, file: str) -> Node | None:
    """The root node of the one YAML document in `text`, None when there is none (nothing,
    or only comments); syntax errors are PyYAML's (yaml.YAMLError), for the caller to word."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    return None if root is None else Node(root, "", file)


def invalid_yaml(file: str, error: yaml.YAMLError, problem: str) -> PerfstackError:
    """The scenario files' wording of a syntax error: `FILE:LINE: invalid YAML: PROBLEM`, at
    the line PyYAML marked, or `FILE: invalid YAML: PROBLEM` when it marked none (characters
    YAML does not allow)."""
    mark = getattr(error, "problem_mark", None)
    where = f"{file}:{mark.line + 1}" if mark else file
    return PerfstackError(f"{where}: invalid YAML: {problem}", ExitCode.USAGE)


def parse_document(text: str, file: str) -> Node:
    try:
        root = compose(text, file)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        line = mark.line + 1 if mark else 1
        raise RuleFileError(file, line, "", f"invalid YAML: {error.problem}") from error
    except yaml.reader.ReaderError as error:
        # characters YAML does not allow (control characters): no mark, a position instead
        line = text[: error.position].count("\n") + 1
        raise RuleFileError(
            file,
            line,
            "",
            f"invalid YAML: non-printable character U+{error.character:04X} is not allowed",
        ) from error
    if root is None:
        raise RuleFileError(file, 1, "", "the file is empty (expected a mapping with 'objectives')")
    return root
