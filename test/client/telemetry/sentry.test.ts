import { afterEach, describe, expect, it } from "vitest";
import { startCrashReporting } from "../../../src/client/telemetry/sentry.ts";
import { createSentryTunnel } from "../../../src/server/http/sentry-tunnel.ts";
import { PLACEHOLDER_SENTRY_DSN } from "../../../src/shared/telemetry/client-config.ts";
import { CrashInbox } from "../../../src/server/telemetry/crash-inbox.ts";
import { serve } from "../../server/http/helpers.ts";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

/** Waits until `cond` holds (the SDK sends asynchronously). */
async function until(cond: () => boolean, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("crash reporting through the tunnel (real @sentry/browser client)", () => {
  it("delivers a scrubbed event to the crash inbox, and nothing after close()", async () => {
    const inbox = new CrashInbox();
    const s = await serve(createSentryTunnel({ enabled: () => true, dsn: () => undefined, inbox }));
    closers.push(s.close);
    const reporter = startCrashReporting({
      dsn: PLACEHOLDER_SENTRY_DSN,
      sampleRate: 1,
      tunnel: `${s.url}/telemetry/sentry`,
      release: "voxel-shooter@0.1.0",
      environment: "test",
      gpu: { vendor: "google", arch: "swiftshader" },
    });
    reporter.captureError(new Error("lost player carol@example.com at 192.0.2.44"));
    await until(() => inbox.size === 1);
    const text = JSON.stringify(inbox.list()[0]);
    expect(text).not.toContain("carol@example.com");
    expect(text).not.toContain("192.0.2.44");
    const event = inbox.list()[0].items.find((i) => i.header.type === "event")!.payload as Record<string, unknown>;
    expect(event.release).toBe("voxel-shooter@0.1.0");
    expect(event.environment).toBe("test");
    expect(event.user).toBeUndefined();
    expect((event.contexts as Record<string, unknown>).gpu).toEqual({ vendor: "google", arch: "swiftshader" });

    reporter.captureGpu({ kind: "device_lost", site: "device", message: "GPU process lost", reason: "unknown" });
    await until(() => inbox.size === 2);
    const lost = inbox.list()[0].items[0].payload as { level: string; tags: Record<string, string> };
    expect(lost.level).toBe("fatal");
    expect(lost.tags).toMatchObject({ gpu_error: "device_lost", device_lost_reason: "unknown" });

    await reporter.close();
    reporter.captureError(new Error("after withdrawal"));
    await new Promise((r) => setTimeout(r, 200));
    expect(inbox.size).toBe(2);
  });
});
