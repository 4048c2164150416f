#!/usr/bin/env bash
# Builds src/shared/mesh/wasm/greedy.wasm, the WebAssembly greedy mesher
# (src/shared/mesh/wasm-greedy.ts), from greedy.c with Debian's clang and lld (version 14;
# scripts/ensure-system-deps.sh installs them). The .wasm is committed, so `npm install &&
# npm start` needs no C compiler; test/scripts/build-wasm.test.ts rebuilds it with these exact
# flags and checks the committed bytes are identical. Run this after changing greedy.c.
#   wasm32, no libc (-nostdlib), SIMD128 (i8x16 compares and bitmasks), bulk memory (memset and
#   memcpy become memory.fill/copy), no entry point, the source path kept out of the binary,
#   names and the producers section stripped (so the bytes depend only on the source and the
#   compiler version). The memory is the static data plus a 64 KiB stack and never grows.
# Usage: scripts/build-wasm.sh [OUT]   (default: src/shared/mesh/wasm/greedy.wasm)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/src/shared/mesh/wasm/greedy.wasm}"
cd "$root/src/shared/mesh/wasm"
clang --target=wasm32 -O3 -msimd128 -mbulk-memory -nostdlib -Wall -Wextra -Werror \
  -Wl,--no-entry -Wl,-z,stack-size=65536 -Wl,--strip-all \
  -o "$out" greedy.c
