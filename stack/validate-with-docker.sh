#!/usr/bin/env bash
# Checks that need Docker (not run by the test suite, whose machines have no engine): each
# component validates its own config with the exact image the stack pins. Run from anywhere,
# after `obsgen build`.
set -euo pipefail
cd "$(dirname "$0")/.."
compose=stack/docker-compose.yml
image() { sed -n "s|^ *image: *\(.*$1.*\)$|\1|p" "$compose" | head -n 1; }

export GRAFANA_ADMIN_PASSWORD="${GRAFANA_ADMIN_PASSWORD:-validate-only}"
echo "== docker compose config"
docker compose -f "$compose" --profile loadgen config --quiet

echo "== OpenTelemetry Collector: validate"
docker run --rm -v "$PWD/collector/otel-collector.yaml:/cfg.yaml:ro" \
  "$(image opentelemetry-collector-contrib)" validate --config=/cfg.yaml

echo "== Loki: -verify-config"
docker run --rm -v "$PWD/stack/loki/loki.yaml:/cfg.yaml:ro" \
  "$(image grafana/loki)" -config.file=/cfg.yaml -verify-config

echo "== Prometheus: promtool check config (with build/prometheus/rules)"
docker run --rm --entrypoint promtool \
  -v "$PWD/stack/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro" \
  -v "$PWD/build/prometheus/rules:/etc/prometheus/rules:ro" \
  "$(image prom/prometheus)" check config /etc/prometheus/prometheus.yml

echo "== Alertmanager: amtool check-config"
docker run --rm --entrypoint amtool \
  -v "$PWD/build/alertmanager/alertmanager.yml:/cfg.yml:ro" \
  "$(image prom/alertmanager)" check-config /cfg.yml

echo "All config checks passed. Tempo has no offline config check: start the stack and"
echo "watch 'docker compose -f $compose ps' report every service healthy."
