#!/usr/bin/env bash
# Makes sure the Debian packages the tests need are present: chromium (end-to-end tests
# with real WebGPU through SwiftShader), prometheus/promtool (alert rules and the scrape
# test), prometheus-alertmanager/amtool (the Alertmanager config and the alerts end-to-end
# test), valgrind (the telemetry instruction-count test) and postgresql (the store's contract,
# crash and fencing tests start their own cluster with its initdb and pg_ctl) and redis-server
# (the zone tests and `npm run cluster` start their own, test/server/zones/redis.ts), clang and
# lld (test/scripts/build-wasm.test.ts rebuilds the committed WebAssembly mesher). Installs
# them with apt-get when running as root; otherwise explains how.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
{ command -v amtool >/dev/null 2>&1 && command -v prometheus-alertmanager >/dev/null 2>&1; } || need+=(prometheus-alertmanager)
command -v valgrind >/dev/null 2>&1 || need+=(valgrind)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || need+=(redis-server)
command -v clang >/dev/null 2>&1 || need+=(clang)
command -v wasm-ld >/dev/null 2>&1 || need+=(lld)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian packages for the tests: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "Missing system packages: ${need[*]}" >&2
  echo "Install them with:  sudo apt-get update && sudo apt-get install -y ${need[*]}" >&2
  echo "(or run npm test as root, which installs them itself)" >&2
  exit 1
fi
