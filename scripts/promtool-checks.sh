#!/usr/bin/env bash
# Checks the Prometheus deploy files with Debian's promtool: the configuration (and the rule
# files it names), the alert rules on their own, and the alert rule unit tests. Exits non-zero
# on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v promtool >/dev/null 2>&1; then
  echo "promtool not found: sudo apt-get install -y prometheus" >&2
  exit 1
fi

promtool check config deploy/prometheus/prometheus.yml
promtool check rules deploy/prometheus/alerts.yml
promtool test rules deploy/prometheus/alerts.test.yml
