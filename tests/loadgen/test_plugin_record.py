from __future__ import annotations

from loadgen.plugin_record import keep_other_generators
from loadgen.record import RunRecord, load_record, write_record


def record(generator: str, **extra: object) -> RunRecord:
    return RunRecord(
        testid="mixed-1", scenario="s", generator=generator, target="http://127.0.0.1:1", start=1.0,
        extra=dict(extra),
    )  # fmt: skip


def test_a_websocket_summary_already_written_under_the_testid_is_kept(tmp_path):
    write_record(tmp_path, record("ws", ws={"messages": 10}))
    merged = keep_other_generators(tmp_path, record("locust", role="local"))
    assert merged.generator == "locust"
    assert merged.extra == {"role": "local", "ws": {"messages": 10}}
    write_record(tmp_path, merged)
    assert load_record(tmp_path, "mixed-1").extra["ws"] == {"messages": 10}


def test_without_another_record_nothing_changes(tmp_path):
    assert keep_other_generators(tmp_path, record("locust", role="local")).extra == {
        "role": "local"
    }
    write_record(tmp_path, record("locust", role="old"))
    assert keep_other_generators(tmp_path, record("locust", role="new")).extra == {"role": "new"}
