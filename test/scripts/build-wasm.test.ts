// scripts/build-wasm.sh rebuilds the committed WebAssembly mesher byte for byte: the .wasm in
// the repository is what its C source and the script's flags make (with Debian's clang and lld
// 14, which scripts/ensure-system-deps.sh installs), not a stale or hand-made binary.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const COMMITTED = join(ROOT, "src/shared/mesh/wasm/greedy.wasm");

it("scripts/build-wasm.sh rebuilds src/shared/mesh/wasm/greedy.wasm with identical bytes", () => {
  const dir = mkdtempSync(join(tmpdir(), "build-wasm-"));
  try {
    const rebuilt = join(dir, "greedy.wasm");
    execFileSync("bash", [join(ROOT, "scripts/build-wasm.sh"), rebuilt], { stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
    const clang = execFileSync("clang", ["--version"], { encoding: "utf8" }).split("\n")[0];
    const same = Buffer.compare(readFileSync(rebuilt), readFileSync(COMMITTED)) === 0;
    expect(same, `the committed .wasm is not what scripts/build-wasm.sh builds (${clang}): run the script and commit its output`).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
