"""YAML laid out as kustomize lays it out."""

from __future__ import annotations

from perfstack.kubernetes.manifest_yaml import dump, dump_all, load_all


def test_strings_are_written_as_kustomize_writes_them() -> None:
    document = {"b": "2", "a": "line one\nline two\n", "c": "$(LOAD_USERS)", "d": "true"}
    assert dump(document, sort_keys=True) == (
        'a: |\n  line one\n  line two\nb: "2"\nc: $(LOAD_USERS)\nd: "true"\n'
    )


def test_a_dict_used_twice_is_written_twice_not_as_an_alias() -> None:
    labels = {"app": "x"}
    text = dump({"metadata": {"labels": labels}, "selector": labels})
    assert "&" not in text and "*" not in text
    [document] = load_all(text)
    assert document["metadata"]["labels"] is not document["selector"]


def test_documents_are_separated_and_read_back() -> None:
    text = dump_all([{"a": 1}, {"b": "x" * 200}])
    assert text == "a: 1\n---\nb: " + "x" * 200 + "\n"  # never wrapped
    assert load_all(text) == [{"a": 1}, {"b": "x" * 200}]
