"""Scale: how many perfstack generators pushing every 1 s one local Prometheus and one
VictoriaMetrics take before samples queue; series and samples/s at the largest step that
kept up, and the ratio between the two stores, measured in one run.

Synthetic generators (bench/store_scale_pushers.py) push what a Locust generator with
perfstack's plugin pushes: the real schema's series for `--names` request names (224 series
a name, most of them histogram buckets, plus the run and health series), under their own
`instance`, with fresh timestamps and moving values, each on its own connection, at evenly
spread phases of the interval. Several OS processes drive them on asyncio loops; a push
costs them a template copy, a few numpy writes and a snappy compression (about 150 ns a
sample), so they stay far from the stores' cost.

The generator count ramps (`--start`, times `--factor` each step, up to `--max-generators`)
against one store at a time; generators already running keep running. Each step is held
`--step-seconds`; the new generators start over the first half of `--warmup` (their
series are created over those seconds, not in one), and the warm-up is not judged.
A step kept up when, over the judged window:
  - every push got a 2xx answer,
  - 99% of the pushes scheduled in the window completed within one interval of their
    scheduled time (a push not completed yet counts as late; a generator sends one push
    at a time, so a slow store makes the next push start late: the backlog shows here),
  - the store itself counted the samples the pushers saw acknowledged (its own counter:
    prometheus_tsdb_head_samples_appended_total, vm_rows_added_to_storage_total).
The ramp stops at the first step that did not keep up. Series are the store's own count
(prometheus_tsdb_head_series, vm_new_timeseries_created_total).

Fair share of a 2-core machine: the store is pinned to `--store-cpus` cores of its own
(taskset: Go then sizes itself to them), the pushers and this script to the rest, so the
figures are per store core. The pushers' CPU is printed per step: when a step fails with
the pushers near their cores' limit or their loop late, the limit may be theirs, and the
summary says so (the store's figure is then a lower bound). The store's CPU per sample is
printed too, and compared between the stores at one step both ran: a shared core makes
the store wait far more than it makes a sample cost more, so that figure survives a busy
machine best.

    .venv/bin/python bench/bench_store_scale.py [--stores prometheus,victoria-metrics]
        [--names 5] [--start 32] [--factor 2] [--max-generators 2048] [--step-seconds 30]
        [--warmup 20] [--interval 1] [--store-cpus 1] [--pusher-processes 2]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import queue
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
import psutil

from perfstack.testing import PrometheusProcess, VictoriaMetricsProcess
from perfstack.testing.service import ServiceProcess

PUSHERS = Path(__file__).resolve().with_name("store_scale_pushers.py")
STORES = ("prometheus", "victoria-metrics")
MIN_FREE_MEMORY = 1.5 * 2**30  # stop the ramp before the machine runs out
SATURATED = 0.9  # share of their cores the pushers may use before their limit is suspected


@dataclass(frozen=True)
class StoreKind:
    name: str
    process: type[ServiceProcess]
    samples_metric: str  # the store's count of the samples it took in
    series_metric: str  # and of the series it holds
    # seconds its /metrics page may be older than the moment it is read: VictoriaMetrics
    # serves a page renewed about once a second (its counters move in 1 s steps)
    metrics_age: float = 0.0


KINDS = {
    "prometheus": StoreKind(
        "prometheus",
        PrometheusProcess,
        "prometheus_tsdb_head_samples_appended_total",
        "prometheus_tsdb_head_series",
    ),
    "victoria-metrics": StoreKind(
        "victoria-metrics",
        VictoriaMetricsProcess,
        "vm_rows_added_to_storage_total",
        "vm_new_timeseries_created_total",
        metrics_age=1.0,
    ),
}


def own_metrics(url: str, names: Sequence[str], timeout: float = 2.0) -> dict[str, float] | None:
    """The sum over each name's series on the store's /metrics; None when it does not
    answer in time (an overloaded or stopped store)."""
    try:
        text = httpx.get(f"{url}/metrics", timeout=timeout).text
    except httpx.HTTPError:
        return None
    totals = dict.fromkeys(names, 0.0)
    for line in text.splitlines():
        name = line.split("{", 1)[0].split(" ", 1)[0]
        if name in totals:
            totals[name] += float(line.rsplit(" ", 1)[1])
    return totals


@dataclass
class Sample:
    """The store and the pushers at one moment."""

    at: float
    samples: float | None
    series: float | None
    store_cpu: float | None
    store_rss: float | None
    pusher_cpu: float
    load: float = 0.0  # the machine's 1-minute load average


def cpu_seconds(process: psutil.Process) -> float | None:
    with suppress(psutil.Error):
        times = process.cpu_times()
        return float(times.user + times.system)
    return None


def fresh_metrics(
    kind: StoreKind, url: str, deadline: float
) -> tuple[dict[str, float] | None, float]:
    """The store's own counters and the moment they were true. A page that may be old is
    read again (until `deadline`) until the samples counter moves: the new page was made
    between the last two reads."""
    names = (kind.samples_metric, kind.series_metric)
    asked = time.time()
    figures = own_metrics(url, names)
    answered = time.time()
    if figures is None or not kind.metrics_age:
        return figures, (asked + answered) / 2
    while time.time() < deadline:
        time.sleep(0.05)
        previous_answered = answered
        newer = own_metrics(url, names)
        answered = time.time()
        if newer is None:
            return None, answered
        if newer[kind.samples_metric] != figures[kind.samples_metric]:
            return newer, (previous_answered + answered) / 2
    return figures, answered - kind.metrics_age / 2  # nothing moved: no better guess


def take_sample(
    kind: StoreKind,
    store_url: str,
    store: psutil.Process | None,
    pushers: Sequence[psutil.Process],
    deadline: float = 0.0,
) -> Sample:
    figures, at = fresh_metrics(kind, store_url, deadline)
    rss = None
    if store is not None:
        with suppress(psutil.Error):
            rss = float(store.memory_info().rss)
    return Sample(
        at=at,
        samples=(figures or {}).get(kind.samples_metric),
        series=(figures or {}).get(kind.series_metric),
        store_cpu=cpu_seconds(store) if store is not None else None,
        store_rss=rss,
        pusher_cpu=sum(cpu_seconds(p) or 0.0 for p in pushers),
        load=os.getloadavg()[0],
    )


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile; inf for no values (nothing completed is never on time)."""
    if not values:
        return math.inf
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


@dataclass
class Step:
    generators: int
    series_per_generator: int
    interval: float
    window: float  # seconds judged
    pushes: int = 0
    pending: int = 0
    durations: list[float] = field(default_factory=list)
    completions: list[float] = field(default_factory=list)
    loop_lags: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    acked_samples: int = 0
    first: Sample | None = None
    last: Sample | None = None
    pusher_cores: int = 1
    store_cores: int = 1

    def add_report(self, report: dict[str, Any]) -> None:
        self.pushes += report["pushes"]
        self.pending += report["pending"]
        self.durations += report["durations"]
        self.completions += report["completions"]
        self.loop_lags += report["loop_lags"]
        self.acked_samples += report["acked_samples"]
        for error, count in report["errors"].items():
            self.errors[error] = self.errors.get(error, 0) + count

    @property
    def span(self) -> float:
        assert self.first and self.last
        return self.last.at - self.first.at

    @property
    def offered_per_second(self) -> float:
        return self.generators * self.series_per_generator / self.interval

    @property
    def stored_per_second(self) -> float | None:
        if self.first is None or self.last is None:
            return None
        if self.first.samples is None or self.last.samples is None or self.span <= 0:
            return None
        return (self.last.samples - self.first.samples) / self.span

    @property
    def acked_per_second(self) -> float:
        return self.acked_samples / self.window

    @property
    def series(self) -> float | None:
        return self.last.series if self.last else None

    def _rate(self, attribute: str) -> float | None:
        first = getattr(self.first, attribute, None)
        last = getattr(self.last, attribute, None)
        if first is None or last is None or self.span <= 0:
            return None
        return float((last - first) / self.span)

    @property
    def store_cpu(self) -> float | None:
        """Cores the store used over the window."""
        return self._rate("store_cpu")

    @property
    def pusher_cpu(self) -> float | None:
        return self._rate("pusher_cpu")

    @property
    def store_us_per_sample(self) -> float | None:
        """The store's CPU per sample it took in: what a busy machine distorts least (a
        shared core makes the store wait far more than it makes a sample cost more)."""
        cpu, stored = self.store_cpu, self.stored_per_second
        if cpu is None or not stored or stored <= 0:
            return None
        return cpu / stored * 1e6

    @property
    def completion_p99(self) -> float:
        return percentile(self.completions + [math.inf] * self.pending, 0.99)

    @property
    def loop_lag_p99(self) -> float:
        """How late the pushers' loops started pushes that waited for nothing else."""
        return percentile(self.loop_lags, 0.99) if self.loop_lags else 0.0

    @property
    def pushers_saturated(self) -> bool:
        cpu = self.pusher_cpu
        busy = cpu is not None and cpu >= SATURATED * self.pusher_cores
        return busy or self.loop_lag_p99 > self.interval / 2

    def problems(self) -> list[str]:
        """Why the step did not keep up (empty: it did)."""
        found = []
        if self.pushes + self.pending == 0:
            found.append("no push was due in the window")
        failed = sum(self.errors.values())
        if failed:
            worst = max(self.errors.items(), key=lambda item: item[1])
            found.append(f"{failed} of {self.pushes} pushes failed (most: {worst[0]} x{worst[1]})")
        p99 = self.completion_p99
        if not math.isfinite(p99):
            found.append(
                f"over 1% of the pushes due in the window had not completed one interval after "
                f"it ended ({self.pending} of {self.pushes + self.pending})"
            )
        elif p99 > self.interval:
            found.append(
                f"p99 push completed {p99:.2f} s after its scheduled time > "
                f"{self.interval:g} s interval"
            )
        stored = self.stored_per_second
        # the store's counter moves a whole push at a time: one push a generator of slack
        slack = self.generators * self.series_per_generator / max(self.span, 1e-3)
        if stored is None:
            found.append("the store's own counters did not answer")
        elif self.acked_samples and stored < 0.9 * self.acked_per_second - slack:
            found.append(
                f"the store counted {stored:,.0f} samples/s of the "
                f"{self.acked_per_second:,.0f} acknowledged"
            )
        store_cpu = self.store_cpu
        if found and store_cpu is not None and store_cpu < 0.7 * self.store_cores:
            found.append(
                f"the store used {store_cpu:.2f} of its {self.store_cores} cores: was a core "
                f"shared (load average {self.last.load if self.last else 0:.1f})?"
            )
        if found and self.pushers_saturated:
            found.append(
                f"the pushers were behind (CPU {self.pusher_cpu or 0:.2f} of "
                f"{self.pusher_cores} cores, loop lag p99 {self.loop_lag_p99:.2f} s): the "
                "limit may be theirs"
            )
        return found


@dataclass
class Ramp:
    store: str
    version: str
    series_per_generator: int
    steps: list[Step] = field(default_factory=list)
    stopped_by: str = ""  # why the ramp ended without a failed step
    acked_total: int = 0
    stored_total: float | None = None

    @property
    def last_good(self) -> Step | None:
        good = [step for step in self.steps if not step.problems()]
        return good[-1] if good else None

    @property
    def first_bad(self) -> Step | None:
        return next((step for step in self.steps if step.problems()), None)


class PusherProcess:
    """A store_scale_pushers.py child: commands in as JSON lines, reports out."""

    def __init__(self, argv: list[str]) -> None:
        self.process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        self.psutil = psutil.Process(self.process.pid)
        self.messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()

    def _read(self, stream: IO[str] | None) -> None:
        assert stream is not None
        for line in stream:
            self.messages.put(json.loads(line))
        self.messages.put(None)

    def send(self, command: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()

    def receive(self, op: str, timeout: float) -> dict[str, Any]:
        try:
            message = self.messages.get(timeout=timeout)
        except queue.Empty:
            raise RuntimeError(f"pusher process: no {op!r} within {timeout:g} s") from None
        if message is None:
            raise RuntimeError(f"pusher process exited (code {self.process.wait()})")
        if message.get("op") != op:
            raise RuntimeError(f"pusher process: expected {op!r}, got {message!r}")
        return message

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def pinned(cpus: set[int] | None, argv: list[str]) -> list[str]:
    if not cpus:
        return argv
    return ["taskset", "--cpu-list", ",".join(map(str, sorted(cpus))), *argv]


def store_process(kind: StoreKind, workdir: Path, cpus: set[int] | None) -> ServiceProcess:
    """The store, started on `cpus` (taskset, so Go sizes GOMAXPROCS to them)."""
    base = kind.process

    class Pinned(base):  # type: ignore[valid-type,misc]
        def argv(self) -> list[str]:
            return pinned(cpus, super().argv())

    return Pinned(workdir).start()  # type: ignore[no-any-return]


def store_version(kind: StoreKind, url: str) -> str:
    if kind.name == "prometheus":
        with suppress(httpx.HTTPError, KeyError, ValueError):
            info = httpx.get(f"{url}/api/v1/status/buildinfo", timeout=2).json()
            return str(info["data"]["version"])
    elif shutil.which("dpkg-query"):  # Debian's build reports an empty version itself
        done = subprocess.run(
            ["dpkg-query", "-W", "-f", "${Version}", "victoria-metrics"],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode == 0 and done.stdout:
            return done.stdout
    return "version unknown"


def step_counts(start: int, factor: float, maximum: int) -> list[int]:
    counts = [start]
    while counts[-1] < maximum:
        counts.append(min(maximum, max(counts[-1] + 1, round(counts[-1] * factor))))
    return counts


def sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.time()))


@contextmanager
def pusher_processes(
    args: argparse.Namespace, url: str, cpus: set[int] | None
) -> Iterator[list[PusherProcess]]:
    children: list[PusherProcess] = []
    try:
        for index in range(args.pusher_processes):
            argv = [
                sys.executable, str(PUSHERS), "--url", url, "--names", str(args.names),
                "--interval", str(args.interval), "--timeout", str(args.timeout),
                "--process", str(index), "--processes", str(args.pusher_processes),
            ]  # fmt: skip
            children.append(PusherProcess(pinned(cpus, argv)))
        yield children
    finally:
        for child in children:
            child.stop()


def ramp_store(
    kind: StoreKind,
    store: ServiceProcess,
    args: argparse.Namespace,
    store_cpus: set[int] | None,
    pusher_cpus: set[int] | None,
    progress: Callable[[Step], None] = lambda step: None,
) -> Ramp:
    """Ramp the generators against a running `store` until a step does not keep up."""
    store_ps = psutil.Process(store.pid) if store.pid else None
    window = args.step_seconds - args.warmup
    with pusher_processes(args, f"{store.url}/api/v1/write", pusher_cpus) as children:
        ready = [child.receive("ready", 60) for child in children]
        series = ready[0]["series"]
        ramp = Ramp(kind.name, "", series)
        before = own_metrics(store.url, (kind.samples_metric,))
        pushers_ps = [child.psutil for child in children]
        counts = step_counts(args.start, args.factor, args.max_generators)
        start = time.time() + 0.5

        def begin(index: int, start: float) -> tuple[float, float]:
            """Send step `index`; its judged window."""
            judged = (start + args.warmup, start + args.step_seconds)
            for child in children:
                child.send(
                    {"op": "step", "id": index, "generators": counts[index],
                     "start": start, "stagger": args.warmup / 2, "window": judged}
                )  # fmt: skip
            return judged

        judged = begin(0, start)
        for index, count in enumerate(counts):
            step = Step(count, series, args.interval, window)
            step.pusher_cores = len(pusher_cpus) if pusher_cpus else os.cpu_count() or 1
            step.store_cores = len(store_cpus) if store_cpus else os.cpu_count() or 1
            # the store's counters are read inside the window: from its start, and ending
            # before the next step's generators push (a page that may be a second old is
            # read until it moves: `fresh_metrics`)
            age = kind.metrics_age
            sleep_until(judged[0])
            step.first = take_sample(kind, store.url, store_ps, pushers_ps, judged[0] + 1.5 * age)
            this_step, send_next = judged, judged[1] - 0.25
            sleep_until(send_next - 1.25 * age - 0.05)
            step.last = take_sample(kind, store.url, store_ps, pushers_ps, send_next)
            if index + 1 < len(counts):
                # the next step runs while this one's late pushes complete; sent a moment
                # early, so its new generators exist before their first push is due
                sleep_until(send_next)
                if psutil.virtual_memory().available < MIN_FREE_MEMORY:
                    ramp.stopped_by = "the machine's free memory ran low"
                else:
                    judged = begin(index + 1, this_step[1])
            sleep_until(this_step[1])
            wait = args.interval + args.timeout + 10
            for child in children:
                step.add_report(child.receive("report", wait))
            ramp.steps.append(step)
            progress(step)
            if step.problems() or ramp.stopped_by:
                break
        else:
            ramp.stopped_by = f"--max-generators {args.max_generators} reached"
        for child in children:
            child.send({"op": "stop"})
        for child in children:
            ramp.acked_total += child.receive("stopped", args.timeout + 30)["acked_samples"]
        ramp.version = store_version(kind, store.url)
        time.sleep(kind.metrics_age * 1.2)  # a page made after the last push
        after = own_metrics(store.url, (kind.samples_metric,))
        if before is not None and after is not None:
            ramp.stored_total = after[kind.samples_metric] - before[kind.samples_metric]
    return ramp


def _figure(value: float | None, fmt: str, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:{fmt}}{unit}"


def _milliseconds(values: Sequence[float], q: float) -> str:
    return f"{percentile(values, q) * 1000:.0f} ms" if values else "n/a"


def _megabytes(value: float | None) -> str:
    return "n/a" if value is None else f"{value / 2**20:,.0f} MB"


HEADER = (
    f"{'gens':>6} {'series':>10} {'offered/s':>11} {'stored/s':>11} {'push p50':>9} "
    f"{'push p99':>9} {'done p99':>9} {'fails':>6} {'store CPU':>10} {'us/sample':>10} "
    f"{'store RSS':>10} {'pusher CPU':>11}  kept up"
)


def step_line(step: Step) -> str:
    problems = step.problems()
    done = step.completion_p99
    return (
        f"{step.generators:>6} {_figure(step.series, ',.0f'):>10} "
        f"{step.offered_per_second:>11,.0f} {_figure(step.stored_per_second, ',.0f'):>11} "
        f"{_milliseconds(step.durations, 0.5):>9} {_milliseconds(step.durations, 0.99):>9} "
        f"{(f'{done:.2f} s' if math.isfinite(done) else 'never'):>9} "
        f"{sum(step.errors.values()):>6} {_figure(step.store_cpu, '.2f'):>10} "
        f"{_figure(step.store_us_per_sample, '.1f'):>10} "
        f"{_megabytes(step.last.store_rss if step.last else None):>10} "
        f"{_figure(step.pusher_cpu, '.2f'):>5} of {step.pusher_cores:<3}  "
        + ("yes" if not problems else "NO: " + "; ".join(problems))
    )


def summary(ramp: Ramp) -> list[str]:
    good, bad = ramp.last_good, ramp.first_bad
    lines = []
    if good is None:
        lines.append(f"{ramp.store}: kept up with none of the steps")
    else:
        lines.append(
            f"{ramp.store}: kept up with {good.generators} generators: "
            f"{_figure(good.series, ',.0f')} series, "
            f"{_figure(good.stored_per_second, ',.0f')} samples/s stored "
            f"(store CPU {_figure(good.store_cpu, '.2f')} cores, "
            f"{_figure(good.store_us_per_sample, '.1f')} us a sample, "
            f"RSS {_megabytes(good.last.store_rss if good.last else None)})"
        )
    if bad is not None:
        lines.append(f"  {bad.generators} did not: {'; '.join(bad.problems())}")
    elif ramp.stopped_by:
        lines.append(f"  no step failed: stopped as {ramp.stopped_by} (a lower bound)")
    stored = _figure(ramp.stored_total, ",.0f")
    lines.append(
        f"  over the whole ramp the store counted {stored} samples, the pushers saw "
        f"{ramp.acked_total:,} acknowledged"
    )
    return lines


def sustained(ramp: Ramp) -> tuple[float, float] | None:
    """(samples/s, series) at the largest step that kept up."""
    good = ramp.last_good
    if good is None or good.stored_per_second is None or good.series is None:
        return None
    return good.stored_per_second, good.series


def cost_line(ramps: dict[str, Ramp]) -> str:
    """Both stores' CPU per sample at one generator count both ran: the largest both kept
    up with, else the first."""
    vm, prom = ramps.get("victoria-metrics"), ramps.get("prometheus")
    if vm is None or prom is None:
        return "no CPU cost ratio: run both stores"
    by_count = {
        step.generators: (step, other)
        for step in prom.steps
        for other in vm.steps
        if step.generators == other.generators
        and step.store_us_per_sample is not None
        and other.store_us_per_sample is not None
    }
    if not by_count:
        return "no CPU cost ratio: no step with both stores' CPU and counters"
    both_good = [n for n, (a, b) in by_count.items() if not a.problems() and not b.problems()]
    count = max(both_good) if both_good else min(by_count)
    at_prom, at_vm = by_count[count]
    prom_cost, vm_cost = at_prom.store_us_per_sample, at_vm.store_us_per_sample
    assert prom_cost is not None and vm_cost is not None
    return (
        f"store CPU per sample at {count} generators: prometheus {prom_cost:.1f} us, "
        f"victoria-metrics {vm_cost:.1f} us (prometheus / victoria-metrics "
        f"{prom_cost / vm_cost:.2f}; one core at that cost: {1e6 / prom_cost:,.0f} and "
        f"{1e6 / vm_cost:,.0f} samples/s)"
    )


def ratio_line(ramps: dict[str, Ramp]) -> str:
    vm, prom = ramps.get("victoria-metrics"), ramps.get("prometheus")
    if vm is None or prom is None:
        return "no ratio: run both stores (--stores prometheus,victoria-metrics)"
    top, bottom = sustained(vm), sustained(prom)
    if top is None or bottom is None:
        return "no ratio: a store kept up with none of the steps"

    def bound(ramp: Ramp) -> bool:  # its figure is a floor, not its limit
        bad = ramp.first_bad
        return bad is None or bad.pushers_saturated

    sign = {
        (False, False): "",
        (True, False): ">= ",
        (False, True): "<= ",
        (True, True): "~ (both floors) ",
    }[bound(vm), bound(prom)]
    return (
        f"ratio victoria-metrics / prometheus, max sustained at {vm.steps[0].interval:g} s "
        f"pushes: samples/s {sign}{top[0] / bottom[0]:.2f}, series {sign}{top[1] / bottom[1]:.2f}"
    )


def cpu_split(store_cpus: int) -> tuple[set[int] | None, set[int] | None]:
    """(the store's cores, everyone else's), or (None, None) when not pinning."""
    available = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if store_cpus <= 0 or len(available) <= store_cpus:
        return None, None
    return set(available[-store_cpus:]), set(available[:-store_cpus])


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", default=",".join(STORES))
    parser.add_argument("--names", type=int, default=5, help="request names per generator")
    parser.add_argument("--start", type=int, default=32, help="generators at the first step")
    parser.add_argument("--factor", type=float, default=2.0)
    parser.add_argument("--max-generators", type=int, default=2048)
    # VictoriaMetrics creates new series far slower than it appends to known ones: a 10 s
    # warm-up left it catching up at 128 generators where 20 s did not (docs/scale.md)
    parser.add_argument("--step-seconds", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=20.0)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--timeout", type=float, default=5.0, help="per push")
    parser.add_argument("--store-cpus", type=int, default=1, help="0: no pinning")
    parser.add_argument("--pusher-processes", type=int, default=2)
    args = parser.parse_args(argv)
    args.stores = [store.strip() for store in args.stores.split(",") if store.strip()]
    unknown = sorted(set(args.stores) - set(STORES))
    if unknown or not args.stores:
        parser.error(f"--stores: expected some of {', '.join(STORES)}, got {unknown or 'none'}")
    for name in ("names", "start", "max_generators", "pusher_processes"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.factor <= 1:
        parser.error("--factor must be above 1")
    if not (args.interval > 0 and args.timeout > 0 and args.warmup >= 0):
        parser.error("--interval and --timeout must be positive, --warmup not negative")
    if args.step_seconds - args.warmup < args.interval:
        parser.error("--step-seconds minus --warmup must hold at least one --interval")
    if args.max_generators < args.start:
        parser.error("--max-generators must be at least --start")
    return args


def raise_nofile(wanted: int) -> str | None:
    """Soft RLIMIT_NOFILE up to the hard limit (the store and the pushers inherit it): one
    connection a generator on both sides. A warning when that is still too few."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < wanted:
        return f"warning: {hard} open files allowed, {wanted} wanted: large steps may fail"
    return None


def run(args: argparse.Namespace, print_line: Callable[[str], None] = print) -> dict[str, Ramp]:
    warning = raise_nofile(args.max_generators + 256)
    if warning:
        print_line(warning)
    store_cpus, pusher_cpus = cpu_split(args.store_cpus)
    if pusher_cpus:  # this script beside the pushers, off the store's cores
        os.sched_setaffinity(0, pusher_cpus)
    placement = (
        f"store on CPU {sorted(store_cpus)}, {args.pusher_processes} pusher processes and this "
        f"script on CPU {sorted(pusher_cpus)}"
        if store_cpus and pusher_cpus
        else "not pinned: the store, the pushers and this script share every core"
    )
    window = args.step_seconds - args.warmup
    print_line(
        f"store scale: synthetic perfstack generators ({args.names} request names each) "
        f"pushing every {args.interval:g} s; {placement}; steps of {args.step_seconds:g} s "
        f"judged over the last {window:g} s; load average {os.getloadavg()[0]:.2f}"
    )
    ramps: dict[str, Ramp] = {}
    for name in args.stores:
        kind = KINDS[name]
        with tempfile.TemporaryDirectory(prefix=f"bench-scale-{name}-") as tmp:
            store = store_process(kind, Path(tmp), store_cpus)
            try:
                print_line(f"\n{name}")
                print_line(HEADER)
                ramp = ramp_store(
                    kind,
                    store,
                    args,
                    store_cpus,
                    pusher_cpus,
                    lambda step: print_line(step_line(step)),
                )
            finally:
                store.stop()
        ramps[name] = ramp
        print_line(f"{name} {ramp.version}, {ramp.series_per_generator} series per generator")
    print_line("")
    for ramp in ramps.values():
        for line in summary(ramp):
            print_line(line)
    print_line(ratio_line(ramps))
    print_line(cost_line(ramps))
    print_line(f"load average at the end {os.getloadavg()[0]:.2f} (the same machine ran both)")
    return ramps


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    run(args, lambda line: print(line, flush=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
