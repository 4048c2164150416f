// `promtool check metrics` on a live scrape of the real server: the exposition must stay
// lint-clean (no reserved labels such as `quantile` on a non-summary, no gauge named *_total,
// counters ending in _total, base units). Uses Debian's promtool, which scripts/ensure-system-deps.sh
// installs for npm test.
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLiveServer } from "./live-server.ts";
import type { LiveServer } from "./live-server.ts";

let live: LiveServer;
let scrape: string;

beforeAll(async () => {
  live = await startLiveServer();
  await live.server.waitForTicks(10);
  scrape = await live.scrape();
});
afterAll(() => live?.stop());

/** Runs `promtool check metrics` on an exposition; returns its exit status and what it printed. */
function promtoolCheck(text: string): { status: number | null; output: string } {
  const r = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8", timeout: 30_000 });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

describe("promtool check metrics on a live scrape", () => {
  it("reports no problem with the server's exposition", () => {
    expect(scrape).toContain("game_tick_duration_seconds_count");
    expect(promtoolCheck(scrape)).toEqual({ status: 0, output: "" });
  });

  it("does flag what it is meant to catch (the check itself works)", () => {
    const bad = `${scrape}# HELP game_bad_fps A gauge with a quantile label.\n# TYPE game_bad_fps gauge\ngame_bad_fps{quantile="p95"} 30\n`;
    const r = promtoolCheck(bad);
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('game_bad_fps non-summary metrics should not have "quantile" label');
  });
});
