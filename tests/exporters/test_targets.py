from __future__ import annotations

import os

import pytest

from exporters.targets import TargetSpec, TargetTracker, default_name, descendants
from perfstack.core.errors import ExitCode, PerfstackError
from tests.exporters.recorded import RecordedSampler


def tree() -> RecordedSampler:
    sampler = RecordedSampler()
    sampler.add(10, 1, "uvicorn", "python -m uvicorn app:app", 100)
    sampler.add(11, 10, "python", "python -c worker", 50)
    sampler.add(12, 11, "python", "python -c grandchild", 25)
    sampler.add(20, 1, "bash", "bash -c 'perfstack exporter --cmdline uvicorn'", 5)
    return sampler


def test_descendants_include_grandchildren_only_of_the_roots() -> None:
    assert descendants({10}, tree()) == {10, 11, 12}
    assert descendants({99}, tree()) == set()


def test_cmdline_pattern_skips_the_exporters_own_lineage() -> None:
    sampler = tree()
    tracker = TargetTracker(TargetSpec("cmdline", "uvicorn"), sampler, exclude={20})
    tracker.start()
    assert tracker.pids() == {10, 11, 12}


def test_restart_with_new_pid_is_followed_and_counted() -> None:
    sampler = tree()
    tracker = TargetTracker(TargetSpec("name", "^uvicorn$"), sampler, exclude=set())
    tracker.start()
    assert tracker.pids() == {10, 11, 12}
    for pid in (10, 11, 12):
        sampler.remove(pid)
    assert tracker.pids() == set()
    assert tracker.restarts == 0
    sampler.add(30, 1, "uvicorn", "python -m uvicorn app:app", 100)
    assert tracker.pids() == {30}
    assert tracker.restarts == 1


def test_no_search_while_a_root_lives() -> None:
    sampler = tree()
    tracker = TargetTracker(TargetSpec("name", "^uvicorn$"), sampler, exclude=set())
    tracker.start()
    scans = sampler.process_scans
    for _ in range(5):
        tracker.pids()
    assert sampler.process_scans == scans


def test_pid_target_follows_its_exact_command_line_after_restart() -> None:
    sampler = tree()
    tracker = TargetTracker(TargetSpec("pid", "10"), sampler, exclude=set())
    tracker.start()
    assert tracker.spec.name == "uvicorn"
    sampler.remove(10)
    sampler.add(40, 1, "uvicorn", "python -m uvicorn other:app", 100)  # not the same command
    assert tracker.pids() == set()  # orphans of 10 are not the target
    sampler.add(41, 1, "uvicorn", "python -m uvicorn app:app", 100)
    assert tracker.pids() == {41}


def test_port_target_resolves_to_the_listener() -> None:
    sampler = tree()
    sampler.listening[8000] = {10}
    tracker = TargetTracker(TargetSpec("port", "8000"), sampler, exclude=set())
    tracker.start()
    assert tracker.pids() == {10, 11, 12}


def test_missing_pid_is_a_one_line_error() -> None:
    with pytest.raises(PerfstackError) as error:
        TargetTracker(TargetSpec("pid", "999"), tree(), exclude=set()).start()
    assert error.value.exit_code == ExitCode.TARGET_NOT_FOUND
    assert str(error.value) == "--pid 999: no such process"


def test_permission_denied_pid_is_a_one_line_error() -> None:
    sampler = tree()
    sampler.denied.add(10)
    with pytest.raises(PerfstackError, match=r"--pid 10: permission denied reading process 10"):
        TargetTracker(TargetSpec("pid", "10"), sampler, exclude=set()).start()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (TargetSpec("cmdline", "uvicorn("), "--cmdline 'uvicorn(': not a valid regular expression"),
        (TargetSpec("port", "99999"), "--port 99999: expected a TCP port 1-65535"),
        (TargetSpec("pid", "abc"), "--pid abc: expected a process id"),
    ],
)
def test_bad_selector_values(spec: TargetSpec, message: str) -> None:
    with pytest.raises(PerfstackError, match=message.replace("(", r"\(")) as error:
        TargetTracker(spec, tree(), exclude=set())
    assert error.value.exit_code == ExitCode.USAGE


@pytest.mark.parametrize(
    ("spec", "name"),
    [
        (TargetSpec("port", "8000"), "port-8000"),
        (TargetSpec("name", "^nginx$"), "nginx"),
        (TargetSpec("cmdline", "/usr/bin/uvicorn app:app"), "uvicorn"),
        (TargetSpec("launch", "python -m demo --port 1"), "demo"),
        (TargetSpec("launch", "python3 -u tools/app.py"), "app"),
        (TargetSpec("launch", "python3 -c 'print(1)'"), "python3"),
        (TargetSpec("launch", "uvicorn app:app"), "uvicorn"),
        (TargetSpec("pid", "1"), None),
    ],
)
def test_default_names(spec: TargetSpec, name: str | None) -> None:
    assert default_name(spec) == name


def test_own_lineage_contains_this_process() -> None:
    from exporters.targets import own_lineage

    lineage = own_lineage()
    assert os.getpid() in lineage and os.getppid() in lineage
