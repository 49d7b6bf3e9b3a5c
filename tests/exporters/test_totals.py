from __future__ import annotations

from exporters.totals import CounterBook
from tests.exporters.recorded import reading


def test_sums_living_processes() -> None:
    book = CounterBook()
    values = book.update({1: reading(1, 100, cpu=2.0), 2: reading(2, 50, cpu=0.5)})
    assert values.processes == 2
    assert values.gauges["rss_bytes"] == 150
    assert values.gauges["uss_bytes"] == 75
    assert values.counters["cpu_seconds"] == 2.5
    assert values.counters["io_write_bytes"] == 400
    assert values.missing == ()


def test_counters_keep_what_an_exited_child_used() -> None:
    book = CounterBook()
    book.update({1: reading(1, 100, cpu=2.0), 2: reading(2, 50, cpu=0.5)})
    values = book.update({1: reading(1, 100, cpu=2.25)})
    assert values.counters["cpu_seconds"] == 2.75  # 2.25 living + 0.5 from the exited child
    assert values.counters["ctx_voluntary"] == 20
    assert values.gauges["rss_bytes"] == 100  # gauges: the living only


def test_counters_continue_across_a_restart_of_the_whole_target() -> None:
    book = CounterBook()
    book.update({1: reading(1, 100, cpu=3.0)})
    assert book.update({}).processes == 0
    values = book.update({7: reading(7, 80, cpu=0.5)})
    assert values.counters["cpu_seconds"] == 3.5


def test_reused_pid_is_another_process() -> None:
    book = CounterBook()
    book.update({1: reading(1, 100, cpu=3.0)})
    values = book.update({1: reading(1, 100, cpu=0.5, create_time=5000.0)})
    assert values.counters["cpu_seconds"] == 3.5


def test_optional_field_missing_in_one_process_is_omitted_not_partially_summed() -> None:
    book = CounterBook()
    values = book.update(
        {1: reading(1, 100), 2: reading(2, 50, uss_bytes=None, io_read_bytes=None)}
    )
    assert values.gauges["uss_bytes"] is None
    assert values.counters["io_read_bytes"] is None
    assert values.gauges["open_fds"] == 10
    assert set(values.missing) == {"uss_bytes", "io_read_bytes"}
