#!/usr/bin/env bash
# Installs the Debian packages perfstack runs on (Prometheus, Alertmanager and, for the
# tests and benchmarks, docker-compose for validation, nginx and wrk, and chromium to open
# the HTML report headless, npm to fetch Mermaid for the Markdown charts' render test,
# VictoriaMetrics with vmagent and vmalert as the second store, iproute2 for the network
# namespaces of the multi-host test) when they are missing.
# Only as root on Debian/Ubuntu; elsewhere it says what to install and fails.
set -euo pipefail

needed_for_demo=(prometheus:prometheus prometheus-alertmanager:prometheus-alertmanager promtool:prometheus amtool:prometheus-alertmanager)
needed_for_test=(docker-compose:docker-compose nginx:nginx-light wrk:wrk openssl:openssl chromium:chromium npm:npm victoria-metrics:victoria-metrics vmagent:victoria-metrics vmalert:victoria-metrics ip:iproute2)

wanted=("${needed_for_demo[@]}")
case "${1:-}" in
    --test) wanted+=("${needed_for_test[@]}") ;;
    --bench) wanted+=("${needed_for_test[@]}") ;;
    "") ;;
    *) echo "install-system-deps.sh: unknown option ${1} (expected --test or --bench)" >&2; exit 2 ;;
esac

missing=()
for pair in "${wanted[@]}"; do
    binary=${pair%%:*}
    package=${pair##*:}
    if ! command -v "$binary" >/dev/null 2>&1 && [[ ! -x "/usr/sbin/$binary" ]]; then
        missing+=("$package")
    fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)

if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # Debian's postinst may start packaged services on machines with systemd; perfstack
    # starts its own on 127.0.0.1, so nothing of theirs is needed.
    exit 0
fi

echo "perfstack needs these packages: ${missing[*]}" >&2
echo "install them with your package manager (Debian/Ubuntu: sudo apt-get install ${missing[*]})" >&2
exit 10
