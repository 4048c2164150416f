#!/usr/bin/env bash
# Every check the project has, in order of cost: types, lint, unit and integration
# tests, Prometheus rule checks, then end-to-end tests in real Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-system-deps.sh
echo "== typecheck"; npx tsc --noEmit -p tsconfig.json
echo "== lint";      npx eslint --max-warnings 0 .
if [ -f deploy/prometheus/prometheus.yml ]; then
  echo "== promtool"; bash scripts/promtool-checks.sh
fi
echo "== build";     node scripts/build.mjs
echo "== unit and integration tests"; npx vitest run --project unit
echo "== end-to-end tests (Chromium, WebGPU on SwiftShader)"; npx vitest run --project e2e
