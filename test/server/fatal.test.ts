// The last resort and the signals, against the real CLI (`node --import tsx src/server/main.ts`)
// in a child process. The development-only trigger (DEV_CRASH_TRIGGER, POST /debug/crash on the
// metrics listener) lets an error escape to the process; the process must then write exactly one
// fatal line, report exactly one crash (to the local crash inbox in CRASH_DIR, or to Sentry when
// SENTRY_DSN is set), and exit non-zero within its flush deadline. The next process shows the
// crash on /debug/crashes; SIGTERM stops it cleanly with exit status 0.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT_FATAL } from "../../src/server/telemetry/fatal.ts";
import { killClis, startCli } from "./cli.ts";
import { startReceiver } from "./telemetry/helpers.ts";
import type { Receiver } from "./telemetry/helpers.ts";

/** The fatal path's default flush deadline, and slack for a loaded machine. */
const FATAL_DEADLINE_MS = 3000;
const SLACK_MS = 2000;

const dirs: string[] = [];
const receivers: Receiver[] = [];
afterAll(async () => {
  killClis();
  for (const r of receivers) await r.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "voxel-crash-"));
  dirs.push(d);
  return d;
}

function crashFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.startsWith("crash-"));
}

describe("fatal exit", () => {
  it("uncaught exception: one fatal line, one crash report in CRASH_DIR, exit 70 within the deadline; the next process shows it", async () => {
    const dir = tempDir();
    const cli = await startCli({ DEV_CRASH_TRIGGER: "1", CRASH_DIR: dir });
    expect((await fetch(`${cli.gameUrl}/healthz`)).status).toBe(200);
    const t0 = performance.now();
    const res = await fetch(`${cli.metricsUrl}/debug/crash?origin=uncaught_exception`, { method: "POST" });
    expect(res.status).toBe(202);
    const exit = await cli.exited;
    expect(exit.code).toBe(EXIT_FATAL);
    expect(exit.at - t0).toBeLessThan(FATAL_DEADLINE_MS + SLACK_MS);

    const fatal = cli.lines.filter((l) => l.level === "fatal");
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toMatchObject({ component: "server", origin: "uncaught_exception", error_class: "DevCrashError" });
    const files = crashFiles(dir);
    expect(files).toHaveLength(1);
    const report = JSON.parse(readFileSync(join(dir, files[0]), "utf8")) as { header: { event_id: string }; items: { payload: Record<string, unknown> }[] };
    const event = report.items[0].payload as { level: string; exception: { values: { type: string; mechanism: { type: string }; stacktrace: { frames: { function?: string }[] } }[] }; tags: Record<string, string> };
    expect(event.level).toBe("fatal");
    // Sentry's stack parser is loaded at the fatal error (not at start): the frames are there.
    expect(event.exception.values[0].stacktrace.frames.length).toBeGreaterThan(0);
    expect(event.exception.values[0]).toMatchObject({ type: "DevCrashError", mechanism: { type: "uncaught_exception" } });
    expect(event.tags).toMatchObject({ origin: "uncaught_exception", zone: "z0", shard: "s0" });

    // The supervisor's restart: the crash that ended the previous process is on /debug/crashes.
    const next = await startCli({ CRASH_DIR: dir });
    const inbox = (await (await fetch(`${next.metricsUrl}/debug/crashes`)).json()) as { crashes: { header: { event_id: string } }[] };
    expect(inbox.crashes.map((c) => c.header.event_id)).toEqual([report.header.event_id]);
    // And it has no crash trigger without DEV_CRASH_TRIGGER.
    expect((await fetch(`${next.metricsUrl}/debug/crash`, { method: "POST" })).status).toBe(404);

    const s0 = performance.now();
    next.child.kill("SIGTERM");
    const stopped = await next.exited;
    expect(stopped.code).toBe(0);
    expect(stopped.at - s0).toBeLessThan(10_000 + SLACK_MS);
    expect(next.lines.find((l) => l.msg === "shutting down")).toMatchObject({ reason: "SIGTERM" });
    expect(next.lines.some((l) => l.msg === "server stopped")).toBe(true);
    expect(next.lines.filter((l) => l.level === "fatal" || l.level === "error")).toEqual([]);
  });

  it("unhandled rejection with SENTRY_DSN: reported to Sentry (not the local inbox), one fatal line, exit 70", async () => {
    const sentry = await startReceiver();
    receivers.push(sentry);
    const dir = tempDir();
    const dsn = `${sentry.url.replace("http://", "http://publickey@")}/42`;
    const cli = await startCli({ DEV_CRASH_TRIGGER: "1", CRASH_DIR: dir, SENTRY_DSN: dsn });
    const t0 = performance.now();
    expect((await fetch(`${cli.metricsUrl}/debug/crash?origin=unhandled_rejection`, { method: "POST" })).status).toBe(202);
    const exit = await cli.exited;
    expect(exit.code).toBe(EXIT_FATAL);
    expect(exit.at - t0).toBeLessThan(FATAL_DEADLINE_MS + SLACK_MS);
    const fatal = cli.lines.filter((l) => l.level === "fatal");
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toMatchObject({ origin: "unhandled_rejection", error_class: "DevCrashError" });
    const envelopes = sentry.requests.filter((r) => r.path.startsWith("/api/42/envelope/")).map((r) => r.body.toString("utf8"));
    const events = envelopes.filter((b) => b.includes('"type":"event"') && b.includes("DevCrashError"));
    expect(events).toHaveLength(1);
    expect(events[0]).toContain('"level":"fatal"');
    expect(events[0]).toContain('"mechanism":{"type":"unhandled_rejection","handled":false}');
    expect(crashFiles(dir)).toEqual([]);
  });

  it("refuses DEV_CRASH_TRIGGER in production, naming the setting", async () => {
    await expect(startCli({ DEV_CRASH_TRIGGER: "1", NODE_ENV: "production" })).rejects.toThrow(/DEV_CRASH_TRIGGER/);
  });
});
