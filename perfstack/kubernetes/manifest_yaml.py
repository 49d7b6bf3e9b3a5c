"""YAML the way kustomize writes it: multi-line strings as literal blocks, strings that
need quotes in double quotes, no line wrapping; so the committed rendered file reads like
`kubectl kustomize` output and diffs against it line by line."""

from __future__ import annotations

from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    def choose_scalar_style(self) -> str:
        style = super().choose_scalar_style()
        return '"' if style == "'" else style

    def ignore_aliases(self, data: Any) -> bool:
        return True  # a dict used twice (labels as a selector) is written out twice


def _string(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _string)


def dump(document: Any, sort_keys: bool = False) -> str:
    return yaml.dump(
        document,
        Dumper=_Dumper,
        sort_keys=sort_keys,
        default_flow_style=False,
        allow_unicode=True,
        width=1_000_000,
    )


def dump_all(documents: list[Any], sort_keys: bool = False) -> str:
    return "---\n".join(dump(document, sort_keys) for document in documents)


def load_all(text: str) -> list[Any]:
    return [document for document in yaml.safe_load_all(text) if document is not None]
