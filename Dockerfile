# The perfstack image: demo target, load generators, exporter and gate (docker-compose.yml,
# deploy/kubernetes). Build: docker build -t perfstack:0.1.0 .
FROM python:3.11.10-slim-bookworm
WORKDIR /app
COPY pyproject.toml README.md ./
COPY perfstack perfstack
COPY loadgen loadgen
COPY exporters exporters
COPY gate gate
COPY demo demo
COPY prometheus prometheus
COPY alerts alerts
COPY grafana grafana
COPY examples examples
# A numeric user, so Kubernetes can check runAsNonRoot (deploy/kubernetes runs as 10001).
RUN pip install --no-cache-dir . && useradd --create-home --uid 10001 --user-group perfstack
USER 10001:10001
ENTRYPOINT ["perfstack"]
