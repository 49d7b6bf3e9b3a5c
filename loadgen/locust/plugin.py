"""perfstack's Locust plugin: `import loadgen.locust.plugin` in a locustfile is all it takes.

Every Locust process pushes its own series (label `instance`): a standalone process or a
worker pushes request metrics, users and its health; a master pushes run info, its health
and, at the end, exact percentiles merged from its workers. Workers learn the run's
testid from the master (a custom message sent before the first spawn, and the spawn
message's copy of the master's options) and send their exact histograms with their last
stats report, so the master's exact counts and Locust's own totals come from the same
messages. The master (or standalone process) writes the run record when Locust quits.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import gevent
from locust import events
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

from loadgen.annotations import Annotator
from loadgen.locust import heap, in_flight, master_link, pacing
from loadgen.locust.arrival_run import ARRIVAL_CLOCK, ArrivalRun, arrival_scenario
from loadgen.locust.greenlet_lag import GreenletLagTicker
from loadgen.locust.listener import RecorderListener
from loadgen.locust.live_status import LiveStatusWriter
from loadgen.locust.names import AgreedNames, NameGuard
from loadgen.locust.record import build_record
from loadgen.locust.recorder import RequestRecorder
from loadgen.locust.run_end import stop_origin
from loadgen.locust.settings import REMOTE_WRITE_URL_SOURCE, PluginSettings, add_arguments
from loadgen.locust.swarms import Swarms
from perfstack.core.identity import RunIdentity, new_testid
from perfstack.core.record import joined_with_existing, write_record, write_record_file
from perfstack.metrics.health import GeneratorHealth
from perfstack.metrics.registry import Registry
from perfstack.metrics.schema import ArrivalMetrics, RunMetrics
from perfstack.push.config import PushConfig
from perfstack.push.pusher import RemoteWritePusher

RUN_MESSAGE = "perfstack_run"
STOP_MESSAGE = "perfstack_stop"
NAMES_MESSAGE = "perfstack_names"  # worker -> master: new request names
NAMES_ANSWER = "perfstack_names_answer"  # master -> worker: which of them are admitted
SCHEDULE_DONE = "perfstack_schedule_done"  # worker -> master: its share of the arrivals played
FINAL_REPORT_TIMEOUT = 15.0
NAMES_SETTLE_TIMEOUT = 3.0  # at the end, how long a worker waits for answers about new names
REPORT_KEY = "perfstack"
IN_FLIGHT_KEY = "perfstack_in_flight"  # in every worker report: [count, oldest age in s]
# in every worker report of an arrival run: [scheduled, dropped, fell behind (0/1)]
ARRIVAL_KEY = "perfstack_arrival"
log = logging.getLogger("perfstack")
logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per push drowns Locust's log


class PluginRun:
    """The plugin's state in one Locust process."""

    def __init__(self, environment: Environment, settings: PluginSettings) -> None:
        self.environment = environment
        self.settings = settings
        runner = environment.runner
        self.role = (
            "master"
            if isinstance(runner, MasterRunner)
            else "worker"
            if isinstance(runner, WorkerRunner)
            else "local"
        )
        self.registry = Registry()
        self.recorder = RequestRecorder(
            self.registry, settings.max_names, agreed_names=self.role == "worker"
        )
        self.request_listener = RecorderListener(
            environment.events.request, self.recorder.on_request
        )
        self.http = self.recorder.metrics
        self.guard = self.recorder.guard
        self.run_metrics = RunMetrics(self.registry) if self.role != "worker" else None
        # one periodic greenlet samples both the hub's lag and the users (see greenlet_lag)
        self.ticker = GreenletLagTicker(on_tick=self._on_tick)
        self.health = GeneratorHealth(self.registry, ticker=self.ticker)
        self.identity: RunIdentity | None = None
        self.pusher: RemoteWritePusher | None = None
        self.next_push = 0.0
        self.start: float | None = None
        self.end: float | None = None
        self.peak_users = 0
        self.swarms = Swarms()
        self.final_report_due = False
        self.worker_reports: dict[str, dict[str, Any]] = {}  # instance -> last cumulative info
        self.final_reports_from: set[str] = set()  # worker client ids
        self.annotator = Annotator.from_env()
        self.live: LiveStatusWriter | None = None
        self.finished = False
        self._received: dict[str, Any] = {}
        self._settler: gevent.Greenlet | None = None
        self.stop_watch: in_flight.StopWatch | None = None
        self.worker_in_flight: dict[str, in_flight.InFlight] = {}  # client id -> last report
        # open model (arrival stages) or, failing that, closed-model users paced by
        # constant_throughput/constant_pacing: both know each iteration's intended start
        scenario = arrival_scenario()
        plays = self.role != "master"
        self.arrival = ArrivalRun(scenario, environment.user_classes, plays) if scenario else None
        self.paced = (
            pacing.arm_user_classes(environment.user_classes)
            if plays and self.arrival is None
            else []
        )
        self.recorder.correcting = self.arrival is not None or bool(self.paced)
        if self.arrival is not None and plays:
            counts = self.arrival.counts
            ArrivalMetrics(self.registry, lambda: (counts.scheduled, counts.dropped))
            self.health.behind = self.arrival.behind

    # -- wiring ------------------------------------------------------------------------------
    def attach(self) -> None:
        listeners = self.environment.events
        runner = self.environment.runner
        listeners.test_start.add_listener(self.on_test_start)
        listeners.test_stopping.add_listener(self.on_test_stopping)
        listeners.test_stop.add_listener(self.on_test_stop)
        listeners.quit.add_listener(self.on_quit)
        listeners.spawning_complete.add_listener(self.on_spawning_complete)
        if self.role != "master":
            self.request_listener.attach()
            self.stop_watch = in_flight.StopWatch(in_flight.FrameCodes())
            in_flight.install(self.stop_watch)
        if self.role == "worker" and runner is not None:
            keep_json_file_to_the_master(self.environment.parsed_options)
            runner.register_message(RUN_MESSAGE, self.on_run_message)
            runner.register_message(STOP_MESSAGE, self.on_stop_message)
            runner.register_message(NAMES_ANSWER, self.on_names_answer)
            listeners.report_to_master.add_listener(self.on_report_to_master)
        if self.role == "master" and runner is not None:
            runner.register_message(NAMES_MESSAGE, self.on_names_question)
            runner.register_message(SCHEDULE_DONE, self.on_schedule_done)
            listeners.worker_report.add_listener(self.on_worker_report)

    # -- run lifecycle ----------------------------------------------------------------------------
    def on_test_start(self, environment: Environment, **_: Any) -> None:
        # before the first user: what lives for the whole run leaves full collections (heap)
        heap.freeze_startup_objects()
        if self.role != "worker":
            self.swarms.started(time.time(), self.recorder.counts())
        if self.identity is not None:
            if isinstance(self.guard, AgreedNames):
                self.guard.resume()
            return  # one testid per process: a restarted test (web UI) continues the run
        if self.role == "worker":
            self.settings = PluginSettings.from_options(environment.parsed_options)  # the master's
            testid = self._received.get("testid") or self.settings.testid
            scenario = self._received.get("scenario") or self.settings.scenario
            self.start = float(self._received.get("start") or time.time())
        else:
            testid = self.settings.testid or new_testid(self.settings.scenario)
            scenario = self.settings.scenario
            assert self.swarms.current is not None
            self.start = self.swarms.current.start
            options = environment.parsed_options
            if options is not None:  # copied into every worker's options with the spawn message
                options.perfstack_testid = testid
            if isinstance(environment.runner, MasterRunner):
                # each worker plays every n-th slot of the schedule: its place among them
                clients = sorted(client.id for client in environment.runner.clients.all)
                parts = {client: index for index, client in enumerate(clients)}
                environment.runner.send_message(
                    RUN_MESSAGE,
                    {"testid": testid, "scenario": scenario, "start": self.start, "parts": parts},
                )
        self.identity = RunIdentity.create(
            scenario=scenario, generator="locust", testid=testid or None
        )
        if self.run_metrics is not None:
            user_classes = ",".join(sorted(cls.__name__ for cls in environment.user_classes))
            self.run_metrics.started(environment.host or "", user_classes, self.start)
        self.pusher = RemoteWritePusher(
            self.registry,
            PushConfig(
                url=self.settings.remote_write_url,
                interval=self.settings.push_interval,
                buffer_seconds=self.settings.buffer_seconds,
                stop_timeout=self.settings.push_stop_timeout,
                labels=self.identity.labels(),
                url_source=REMOTE_WRITE_URL_SOURCE,
            ),
        )  # driven by the lag ticker's greenlet (tick()): no wake-ups of its own
        self.next_push = time.monotonic()
        if self.role != "worker":
            log.info("perfstack: testid %s, pushing to %s", testid, self.settings.remote_write_url)
            if self.settings.live_file is not None:
                self.live = LiveStatusWriter(self.settings.live_file, self, environment).start()
            if self.annotator is not None:
                gevent.spawn(
                    self.annotator.run_started, testid, scenario, self.start, environment.host or ""
                )

    def on_run_message(self, environment: Environment, msg: Any, **_: Any) -> None:
        self._received = dict(msg.data or {})
        parts = self._received.get("parts") or {}
        client_id = getattr(environment.runner, "client_id", None)
        if self.arrival is not None and client_id in parts:
            self.arrival.part, self.arrival.parts = int(parts[client_id]), len(parts)

    def on_spawning_complete(self, **_: Any) -> None:
        """An arrival run's schedule starts once the pool of users is up (a slot due while
        users are still spawning would count as dropped for want of them); the run ends
        (the shape, ARRIVAL_CLOCK) once every process has played its share."""
        runner = self.environment.runner
        if self.arrival is None or runner is None:
            return
        if self.role != "worker" and ARRIVAL_CLOCK.epoch is None:
            ARRIVAL_CLOCK.epoch = time.time()
        if self.role == "master":
            return
        self.arrival.start(lambda: runner.user_count, self._schedule_played)

    def _schedule_played(self) -> None:
        runner = self.environment.runner
        if self.role == "worker" and runner is not None:
            runner.send_message(SCHEDULE_DONE, {})
        else:
            ARRIVAL_CLOCK.finished = True

    def on_schedule_done(self, environment: Environment, msg: Any, **_: Any) -> None:
        runner = environment.runner
        if self.arrival is None or not isinstance(runner, MasterRunner):
            return
        self.arrival.finished_parts.add(str(msg.node_id))
        expected = {client.id for client in runner.clients.all}
        if expected <= self.arrival.finished_parts:
            ARRIVAL_CLOCK.finished = True

    def on_test_stopping(self, environment: Environment, **_: Any) -> None:
        """Before Locust kills the users: which of Locust's ends began the stop (swarms), and
        the requests in flight get a moment to land, so only those still hanging then are
        counted as `in_flight_at_stop` (in_flight)."""
        if self.role != "worker":
            self.swarms.stopping(stop_origin())
        runner = environment.runner
        if self.stop_watch is None or runner is None:
            return
        left = self.stop_watch.let_land(lambda: runner.user_greenlets)
        if left.count:
            log.warning(
                "perfstack: %d requests still in flight at stop (oldest %.1f s): counted as"
                " failures (in_flight_at_stop)",
                left.count,
                left.oldest_seconds or 0.0,
            )

    def on_test_stop(self, environment: Environment, **_: Any) -> None:
        self.end = time.time()
        if self.arrival is not None:
            self.arrival.stop()
        if self.role == "worker":
            self._settle_names_then_report()
            return
        self.final_report_due = True
        if self.role == "master":
            self._collect_final_reports()
        self.swarms.stopped(self.end, self.recorder.counts())

    def _collect_final_reports(self) -> None:
        """Have every worker stop and report now, and wait for those reports.

        Locust's master gives its workers 0.5 s to send their last stats after `quit`; on a
        busy machine a report can miss that window, and both Locust's totals and the exact
        histograms would lose its requests. Asking first makes the totals complete.
        """
        runner = self.environment.runner
        if not isinstance(runner, MasterRunner):
            return
        missing_state = {client.id for client in runner.clients.missing}
        expected = {client.id for client in runner.clients.all} - missing_state
        if not expected:
            return
        self.final_reports_from.clear()  # the web UI may stop several swarms, each reported
        runner.send_message(STOP_MESSAGE, {})
        deadline = time.monotonic() + FINAL_REPORT_TIMEOUT
        while not expected <= self.final_reports_from and time.monotonic() < deadline:
            gevent.sleep(0.05)
        missing = expected - self.final_reports_from
        if missing:
            log.warning("perfstack: no final report from workers %s", ", ".join(sorted(missing)))

    def on_stop_message(self, environment: Environment, msg: Any, **_: Any) -> None:
        # the answers about new names arrive through this same message loop: wait elsewhere
        gevent.spawn(self._stop_and_report, environment)

    def _stop_and_report(self, environment: Environment) -> None:
        runner = environment.runner
        if runner is None:
            return
        runner.stop()  # no-op when already stopped; fires test_stop otherwise
        if self._settler is not None:
            self._settler.join()
        self.final_report_due = True
        send_stats = getattr(runner, "_send_stats", None)
        if send_stats is not None:
            send_stats()

    def _settle_names_then_report(self) -> None:
        """The final report waits until the master has answered about the last new names
        (at most NAMES_SETTLE_TIMEOUT), so as few names as possible are decided alone.
        The master's plugin waits longer than that for every worker's final report."""
        if self._settler is not None and not self._settler.dead:
            return
        self._settler = gevent.spawn(self._settle_names)

    def _settle_names(self) -> None:
        guard = self.guard
        deadline = time.monotonic() + NAMES_SETTLE_TIMEOUT
        try:
            if not isinstance(guard, AgreedNames):
                return
            while True:
                self.recorder.flush()
                self._ask_about_names()
                if not guard.undecided or time.monotonic() > deadline:
                    return
                gevent.sleep(0.02)
        finally:
            self.final_report_due = True  # on a worker, set only here and after a STOP

    def on_quit(self, exit_code: int = 0, **_: Any) -> None:
        if self.finished or self.identity is None or self.pusher is None:
            return
        self.finished = True
        self.end = self.end or time.time()
        if self.role != "worker":
            self.swarms.stopped(self.end, self.recorder.counts())  # no-op once test_stop ran
        self._set_users({})
        if self.live is not None:
            self.live.stop()
        if self.role != "worker":
            self.recorder.publish_run_quantiles()
            assert self.run_metrics is not None
            self.run_metrics.ended(self.end)
        else:  # a worker quitting without its final report: the last push carries all
            self.recorder.decide_waiting_names()
        self.pusher.stop()
        self.health.close()
        if self.role == "worker":
            return
        record = build_record(self, exit_code)
        if self.settings.record_file is not None:  # `perfstack run` writes the record
            path = write_record_file(self.settings.record_file, record)
        else:
            state_dir = self.settings.state_dir
            path = write_record(state_dir, joined_with_existing(state_dir, record))
        log.info("perfstack: run record %s", path)
        if self.annotator is not None and self.start is not None:
            p95 = record.percentiles.get("p95")
            summary = f"{record.requests} requests, {record.failures} failures, p95 {p95} s"
            self.annotator.run_ended(
                self.identity.testid, self.identity.scenario, self.start, self.end, summary
            )

    # -- distributed ----------------------------------------------------------------------------
    def on_report_to_master(self, client_id: str, data: dict[str, Any]) -> None:
        flights = self.requests_in_flight()
        data[IN_FLIGHT_KEY] = [flights.count, flights.oldest_seconds]
        if self.arrival is not None:
            counts = self.arrival.counts
            data[ARRIVAL_KEY] = [counts.scheduled, counts.dropped, int(self.arrival.fell_behind)]
        if not self.final_report_due:
            return  # exact histograms travel once, with the report that follows test_stop
        self.final_report_due = False
        pushed = self.pusher.stats if self.pusher else None
        data[REPORT_KEY] = {
            "final": True,
            "instance": self.identity.instance if self.identity else "",
            "deltas": self.recorder.take_deltas(),
            "name_overflow": self.guard.overflow_count,
            "names_decided_alone": getattr(self.guard, "decided_alone", 0),
            "saturated": self.health.was_saturated,
            "samples_dropped": pushed.dropped_total if pushed else 0,
            "store_refused": pushed.refused if pushed else None,
            "store_answer_unexpected": pushed.unexpected_answer if pushed else None,
        }
        if self.arrival is not None:
            data[REPORT_KEY]["arrival"] = {
                **self.arrival.counts.to_json(),
                "fell_behind": self.arrival.fell_behind,
            }

    def on_worker_report(self, client_id: str, data: dict[str, Any]) -> None:
        flights = data.get(IN_FLIGHT_KEY)
        if isinstance(flights, list) and len(flights) == 2:
            self.worker_in_flight[client_id] = in_flight.InFlight(int(flights[0]), flights[1])
        live = data.get(ARRIVAL_KEY)
        if self.arrival is not None and isinstance(live, list) and len(live) == 3:
            self.arrival.worker_live[client_id] = [int(value) for value in live]
        report = data.get(REPORT_KEY)
        if not report:
            return
        self.recorder.merge_deltas(report["deltas"])
        self.worker_reports[report["instance"] or client_id] = report
        if self.arrival is not None and isinstance(report.get("arrival"), dict):
            self.arrival.worker_counts[report["instance"] or client_id] = report["arrival"]
        if report.get("final"):
            self.final_reports_from.add(client_id)

    def on_names_question(self, environment: Environment, msg: Any, **_: Any) -> None:
        runner, guard = environment.runner, self.guard
        if runner is None or not isinstance(guard, NameGuard):
            return
        answer = guard.answer(str(name) for name in (msg.data or {}).get("names", []))
        runner.send_message(NAMES_ANSWER, answer, client_id=msg.node_id)

    def on_names_answer(self, environment: Environment, msg: Any, **_: Any) -> None:
        data = msg.data or {}
        if isinstance(self.guard, AgreedNames):
            self.guard.decide(data.get("admitted", []), bool(data.get("full")))

    def _ask_about_names(self) -> None:
        guard, runner = self.guard, self.environment.runner
        if not isinstance(guard, AgreedNames) or runner is None:
            return
        questions = guard.take_questions()
        if questions:
            runner.send_message(NAMES_MESSAGE, {"names": questions})

    def requests_in_flight(self) -> in_flight.InFlight:
        """Requests in flight now: this process's users, or on a master the sum of the
        workers' last reports (Locust sends one every 3 s)."""
        if self.role == "master":
            reports = list(self.worker_in_flight.values())
            ages = [r.oldest_seconds for r in reports if r.oldest_seconds is not None]
            return in_flight.InFlight(sum(r.count for r in reports), max(ages, default=None))
        runner = self.environment.runner
        if self.stop_watch is None or runner is None:
            return in_flight.InFlight()
        return in_flight.live_flights(self.stop_watch.codes, runner.user_greenlets)

    # -- periodic work, all on the lag ticker's one greenlet -------------------------------------
    def _on_tick(self) -> None:
        self._sample_users()
        pusher, now = self.pusher, time.monotonic()
        if pusher is None or self.finished or now < self.next_push:
            return
        step = self.ticker.step
        self.next_push = now + max(step, self.settings.push_interval - step / 2)
        try:
            pusher.tick()
        except RuntimeError:  # stopped meanwhile by on_quit
            return
        self._ask_about_names()  # the names the push's fold found new

    def _sample_users(self) -> None:
        runner = self.environment.runner
        if self.finished or self.identity is None or runner is None:
            return
        self.peak_users = max(self.peak_users, runner.user_count)
        self.swarms.saw_users(runner.user_count)
        if self.role != "master":
            self._set_users(dict(runner.user_classes_count))

    def _set_users(self, counts: dict[str, int]) -> None:
        if self.role == "master":
            return
        for user_class in self.environment.user_classes:
            name = user_class.__name__
            self.http.users_active.labels(name).set(counts.get(name, 0))


def keep_json_file_to_the_master(options: Any) -> None:
    """Locust writes `--json-file` in every process as it quits, a worker's too, though a
    worker's statistics went to its master (its file holds `[]`). Under `--processes` the
    forked workers share the master's path, and a worker's `[]` written while the master
    wrote its own left the master's file corrupt (`[]` then NUL bytes, then the end of the
    master's JSON; CI saw it). Locust drops the options that make no sense on a forked
    worker (CSV, HTML report) but not this one; the plugin drops it on every worker."""
    if getattr(options, "json_file", None):
        options.json_file = None


_runs: list[PluginRun] = []
master_link.install()  # before Locust creates a worker runner (which connects to the master)


@events.init_command_line_parser.add_listener
def _add_arguments(parser: Any, **_: Any) -> None:
    add_arguments(parser)


@events.init.add_listener
def _on_init(environment: Environment, **_: Any) -> None:
    settings = PluginSettings.from_options(environment.parsed_options)
    if settings.disabled or environment.runner is None:
        return
    run = PluginRun(environment, settings)
    run.attach()
    _runs.append(run)
