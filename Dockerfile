# The perfstack image: demo target, load generators and exporter (see docker-compose.yml).
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
RUN pip install --no-cache-dir . && useradd --create-home perfstack
USER perfstack
ENTRYPOINT ["perfstack"]
