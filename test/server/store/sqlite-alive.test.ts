// The SQLite store's thread (thread.ts) is unref'd while idle (it must not keep a stopped server
// alive) but must hold the process open while a request waits for its reply: a process with
// nothing else running (a script, the loadtest) would otherwise exit mid-open or mid-commit.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../../..");
const dir = mkdtempSync(join(tmpdir(), "voxel-alive-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("SQLite store in a process with nothing else to do", () => {
  it("opens, commits and closes before the process exits", async () => {
    const script = `
      import { openZoneStore } from ${JSON.stringify(join(ROOT, "src/server/store/index.ts"))};
      const s = await openZoneStore({ backend: "sqlite", dir: ${JSON.stringify(dir)} }, "z0", { seed: 1, chunksX: 1, chunksY: 1, chunksZ: 1 });
      await s.append([{ seq: 1, tick: 1, impactId: 7, format: 1, data: new Uint8Array(0) }]);
      await s.close();
      console.log("done", s.image.logBase > 0);`;
    const file = join(dir, "open.mts");
    writeFileSync(file, script);
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", file], { cwd: ROOT, timeout: 60_000 });
    expect(stdout.trim()).toBe("done true");
  }, 60_000);
});
