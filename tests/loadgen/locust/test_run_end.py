"""Whether a Locust run ended as planned: the plan read from Locust's options and shape, and
who began the stop."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

from loadgen.locust.run_end import (
    RUN_TIME_END,
    SHAPE_END,
    LoadPlan,
    ending,
    plan_of,
    stop_origin,
)
from loadgen.locust.swarms import Swarms


class Stages:
    def tick(self) -> tuple[int, float] | None:
        return None


class Scenario(Stages):
    planned_seconds = 120.0


def environment(headless: bool = True, run_time: int | None = None, shape: object = None):
    options = SimpleNamespace(headless=headless, run_time=run_time)
    return SimpleNamespace(parsed_options=options, shape_class=shape)


def test_the_plan_is_the_shape_else_the_run_time_and_none_in_the_web_ui() -> None:
    assert plan_of(environment(run_time=60)) == LoadPlan(60.0)
    assert plan_of(environment(run_time=60, shape=Stages())) == LoadPlan(None, "Stages")
    assert plan_of(environment(shape=Scenario())) == LoadPlan(120.0, "Scenario")
    assert plan_of(environment()) is None  # headless without -t: Ctrl-C is its end
    assert plan_of(environment(headless=False, run_time=60)) is None  # the user drives


def test_a_stop_is_told_by_the_locust_code_that_began_it() -> None:
    for module, function in (RUN_TIME_END, SHAPE_END):
        namespace = {"__name__": module, "check": stop_origin}
        exec(f"def {function}():\n    return check()", namespace)  # a frame of that name
        assert namespace[function]() == (module, function)
    assert stop_origin() is None  # e.g. the locustfile's own runner.quit()


def test_the_installed_locust_still_ends_its_runs_there() -> None:
    # else every -t run would read quit_early; a child process, as importing Locust
    # patches the standard library
    code = (
        "import inspect, locust.main, locust.runners; print("
        "'def stop_and_optionally_quit(' in inspect.getsource(locust.main.main), "
        "'shape_worker' in vars(locust.runners.Runner))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.stdout.split() == ["True", "True"], result.stderr


def test_only_locust_s_own_end_of_the_plan_completes_it() -> None:
    assert ending(LoadPlan(60.0), RUN_TIME_END, 59.0) == ("completed", "")
    assert ending(LoadPlan(None, "Stages"), SHAPE_END, 4.0) == ("completed", "")
    assert ending(None, None, 1.0) == ("completed", "")  # nothing planned
    # Ctrl-C while Locust waited for the shape: Locust then stops it as if at --run-time
    assert ending(LoadPlan(None, "Stages"), RUN_TIME_END, 1.0)[0] == "quit_early"
    assert ending(LoadPlan(60.0), None, 30.04) == (
        "quit_early",
        "Locust quit after 30.0s of the planned 1m00s",
    )
    assert ending(LoadPlan(None, "Stages"), None, 1.23) == (
        "quit_early",
        "Locust quit after 1.2s, before the load shape Stages ended",
    )


def test_the_first_stop_of_a_swarm_says_who_stopped_it() -> None:
    swarms = Swarms()
    swarms.started(1000.0, (0, 0))
    swarms.stopping(None)  # the locustfile's quit, cut short
    swarms.stopping(RUN_TIME_END)  # then Locust's run-time limit
    swarms.stopped(1005.0, (12, 1))
    assert swarms.last_stopped_by is None
    assert swarms.to_json()[0]["requests"] == 12 and swarms.to_json()[0]["failures"] == 1
    assert 0 <= swarms.load_before_stop <= swarms.load_seconds
