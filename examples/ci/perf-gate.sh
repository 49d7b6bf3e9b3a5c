#!/usr/bin/env bash
# The performance gate of a CI job, as one script (examples/ci/github-actions.yml calls it;
# it runs the same on a laptop):
#
#   1. start the stack (Prometheus + Alertmanager, `perfstack up`) unless one is given
#   2. start the target (the demo target here) unless TARGET_URL names one
#   3. run the pytest-benchmark suite with --perfstack (its results go to Prometheus)
#   4. run a Locust scenario with `perfstack run`
#   5. gate both runs: JSON, JUnit XML and Markdown per gate into $PERFSTACK_CI_OUT; the
#      gate appends its Markdown to $GITHUB_STEP_SUMMARY when that is set (GitHub Actions)
#   6. exit with the first failing gate's code (1 FAIL, 2 bad rules, 3 no data,
#      4 Prometheus unavailable), else the suite's or the load run's, else 0
#
# Every step runs even when an earlier one failed, so the reports are always complete.
# Settings (environment, all optional):
#   PERFSTACK_CI_OUT          where results go (default: perf-results)
#   PERFSTACK_START_STACK     1 (default): `perfstack up` here and `perfstack down` at the
#                             end; 0: use PERFSTACK_PROMETHEUS_URL / the state dir's stack
#   TARGET_URL                the system under test (default: start the demo target)
#   PERFSTACK_BENCH_TESTS     the pytest suite (default: examples/ci/perf_tests)
#   PERFSTACK_BENCH_RULES     its rules (default: examples/ci/benchmark-rules.yaml)
#   PERFSTACK_PYTEST_ARGS     more pytest arguments (e.g. --benchmark-max-time=0.1)
#   PERFSTACK_LOCUSTFILE      the locustfile (default: examples/locustfile_read_only.py)
#   PERFSTACK_LOAD_RULES      its rules (default: examples/ci/load-rules.yaml)
#   PERFSTACK_LOAD_USERS, PERFSTACK_LOAD_DURATION   (default: 10 users, 30s)
#   PERFSTACK_BASELINE        a baseline file (`perfstack baseline save`) for both gates
#   PERFSTACK, PYTHON         how to call perfstack and Python (default: perfstack, python)
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
examples=$(dirname "$here")
out=${PERFSTACK_CI_OUT:-perf-results}
read -r -a perfstack <<<"${PERFSTACK:-perfstack}"
python=${PYTHON:-python}
stamp=$(date -u +%Y%m%dT%H%M%S)
run_id=${GITHUB_RUN_ID:-local}-${GITHUB_RUN_ATTEMPT:-1}-$stamp
bench_testid=ci-benchmarks-$run_id
load_testid=ci-load-$run_id
mkdir -p "$out"

started_stack=0
target_pid=
cleanup() {
    if [[ -n $target_pid ]]; then
        kill "$target_pid" 2>/dev/null && wait "$target_pid" 2>/dev/null
    fi
    if [[ $started_stack == 1 ]]; then
        "${perfstack[@]}" down >/dev/null
    fi
}
trap cleanup EXIT

step() { printf '\n== [%ss] %s\n' "$SECONDS" "$*"; }

if [[ ${PERFSTACK_START_STACK:-1} == 1 ]]; then
    step "starting Prometheus and Alertmanager"
    "${perfstack[@]}" up || exit $?
    started_stack=1
fi

target=${TARGET_URL:-}
if [[ -z $target ]]; then
    step "starting the demo target"
    "${perfstack[@]}" target --port 0 --no-register >"$out/target.log" 2>&1 &
    target_pid=$!
    for _ in $(seq 100); do
        target=$(sed -n 's/^demo target listening on \(http:[^ ]*\).*/\1/p' "$out/target.log")
        [[ -n $target ]] && break
        kill -0 "$target_pid" 2>/dev/null || break
        sleep 0.1
    done
    if [[ -z $target ]]; then
        echo "perf-gate: the demo target did not start: $(tail -n 3 "$out/target.log")" >&2
        exit 12
    fi
fi
echo "target: $target"

step "pytest-benchmark suite ($bench_testid)"
read -r -a pytest_args <<<"${PERFSTACK_PYTEST_ARGS:-}"
TARGET_URL=$target "$python" -m pytest "${PERFSTACK_BENCH_TESTS:-$here/perf_tests}" \
    -m performance -p no:cacheprovider \
    --perfstack --perfstack-testid "$bench_testid" --perfstack-suite ci-benchmarks \
    --benchmark-json "$out/benchmark.json" --junitxml "$out/pytest-junit.xml" \
    "${pytest_args[@]}"
pytest_code=$?

step "Locust scenario ($load_testid)"
"${perfstack[@]}" run -f "${PERFSTACK_LOCUSTFILE:-$examples/locustfile_read_only.py}" \
    --host "$target" --testid "$load_testid" \
    --users "${PERFSTACK_LOAD_USERS:-10}" --duration "${PERFSTACK_LOAD_DURATION:-30s}"
load_code=$?

baseline=()
if [[ -n ${PERFSTACK_BASELINE:-} ]]; then
    baseline=(--baseline "$PERFSTACK_BASELINE")
fi

gate() {  # gate NAME TESTID RULES
    step "gate: $1"
    "${perfstack[@]}" gate check --rules "$3" --testid "$2" "${baseline[@]}" \
        --json "$out/$1-gate.json" --junit "$out/$1-gate.xml" --markdown "$out/$1-gate.md"
}
gate benchmark "$bench_testid" "${PERFSTACK_BENCH_RULES:-$here/benchmark-rules.yaml}"
bench_gate=$?
gate load "$load_testid" "${PERFSTACK_LOAD_RULES:-$here/load-rules.yaml}"
load_gate=$?

step "results in $out"
printf '%-20s exit %s\n' "pytest suite" "$pytest_code" "load run" "$load_code" \
    "benchmark gate" "$bench_gate" "load gate" "$load_gate"
for code in "$bench_gate" "$load_gate" "$pytest_code" "$load_code"; do
    if [[ $code != 0 ]]; then
        exit "$code"
    fi
done
exit 0
