from __future__ import annotations

import json

import pytest

from loadgen.ws.messages import (
    DEFAULT_MATCHER,
    DEFAULT_TEMPLATE,
    MessageSpecError,
    MessageTemplate,
    check_pair,
    parse_matcher,
)


def test_default_template_renders_json_with_id_and_payload() -> None:
    compiled = MessageTemplate(DEFAULT_TEMPLATE, payload_size=5).compile()
    first = json.loads(compiled.render("3-1", 3, 1))
    second = json.loads(compiled.render("3-2", 3, 2))
    assert first == {"id": "3-1", "text": "xxxxx"} and second["id"] == "3-2"


def test_all_placeholders_and_literal_json_braces() -> None:
    compiled = MessageTemplate('{"a": {"b": 1}, "c": "{conn}/{seq}/{id}"}').compile()
    assert json.loads(compiled.render("7-9", 7, 9)) == {"a": {"b": 1}, "c": "7/9/7-9"}


@pytest.mark.parametrize(
    ("template", "words"),
    [
        ('{"id": "{idd}"}', "unknown placeholder {idd}"),
        ("hello", "needs an {id} placeholder"),
    ],
)
def test_malformed_templates(template: str, words: str) -> None:
    with pytest.raises(MessageSpecError, match=words.replace("{", r"\{").replace("}", r"\}")):
        MessageTemplate(template)


def test_field_matcher_reads_nested_fields_and_ignores_non_json() -> None:
    matcher = parse_matcher("id:meta.ref")
    assert matcher.reply_key('{"meta": {"ref": 42}}') == "42"
    assert matcher.reply_key('{"meta": 1}') is None
    assert matcher.reply_key("plain text") is None
    assert parse_matcher(DEFAULT_MATCHER).reply_key(b'{"id": "1-2"}') == "1-2"


def test_echo_and_regex_matchers() -> None:
    echo = parse_matcher("echo")
    assert echo.sent_key("1-1", "hi 1-1") == echo.reply_key(b"hi 1-1") == "hi 1-1"
    regex = parse_matcher(r"regex:ack (\S+)")
    assert regex.reply_key("ack 4-5 done") == "4-5" and regex.reply_key("nope") is None


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("id:", "expected id:FIELD"),
        ("id:a..b", "expected id:FIELD"),
        ("byid", "expected id:FIELD"),
        ("regex:(", "invalid regular expression"),
        ("regex:ack", "needs a (group)"),
    ],
)
def test_malformed_matchers(spec: str, words: str) -> None:
    with pytest.raises(MessageSpecError) as caught:
        parse_matcher(spec)
    assert words in str(caught.value)


def test_pairs_that_could_never_match_are_rejected() -> None:
    check_pair(MessageTemplate(DEFAULT_TEMPLATE), parse_matcher("id:id"))
    check_pair(MessageTemplate("ping {id}"), parse_matcher("echo"))
    with pytest.raises(MessageSpecError, match="not valid JSON"):
        check_pair(MessageTemplate('{"id": "{id}"'), parse_matcher("id:id"))
    with pytest.raises(MessageSpecError, match="does not find the id"):
        check_pair(MessageTemplate('{"ref": "{id}"}'), parse_matcher("id:id"))
