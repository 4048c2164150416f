import * as Sentry from "@sentry/node";
import { afterAll, describe, expect, it } from "vitest";
import { initTelemetry } from "../../../src/server/telemetry/index.ts";
import { captureLines, startReceiver, testConfig } from "./helpers.ts";
import type { Receiver } from "./helpers.ts";

let receiver: Receiver | undefined;
afterAll(() => receiver?.close());

describe("server Sentry", () => {
  it("is not initialised without a DSN", async () => {
    const h = await initTelemetry(testConfig({ metricsAddr: "off" }), { logDestination: captureLines(), processMetrics: false });
    expect(h.sentry).toBeUndefined();
    expect(Sentry.isInitialized()).toBe(false);
    await h.shutdown();
  });

  it("sends scrubbed events to the DSN and flushes on shutdown", async () => {
    receiver = await startReceiver();
    const port = new URL(receiver.url).port;
    const out = captureLines();
    const h = await initTelemetry(
      testConfig({ metricsAddr: "off", sentryDsn: `http://publickey@127.0.0.1:${port}/42`, zone: "eu1" }),
      { logDestination: out, processMetrics: false, release: "voxel@test", environment: "test", sentryCaptureUncaught: false },
    );
    expect(h.sentry).toBeDefined();
    expect(Sentry.isInitialized()).toBe(true);
    // Built at runtime: ContextLines ships source lines, so literals here would show up legitimately.
    const [ip, email, name, id] = [[203, 0, 113, 9].join("."), ["p1", "example.com"].join("@"), "Ali" + "ce", "player-" + 1];
    Sentry.setUser({ id, ip_address: ip, email, username: name });
    h.sentry?.captureException(new Error("mesh worker died"), { system: "mesh" });
    await h.shutdown();

    const envelopes = receiver.requests.filter((r) => r.path.startsWith("/api/42/envelope/"));
    expect(envelopes.length).toBeGreaterThan(0);
    const text = envelopes.map((r) => r.body.toString("utf8")).join("\n");
    expect(text).toContain("mesh worker died");
    expect(text).toContain('"release":"voxel@test"');
    expect(text).toMatch(/"zone":"eu1"/);
    for (const secret of [ip, email, name, id]) expect(text).not.toContain(secret);
    // The effective-config line says "on" but never prints the DSN.
    const configLine = out.json().find((l) => l.msg === "telemetry configured");
    expect(configLine?.sentry).toBe("on");
    expect(out.lines.join("\n")).not.toContain("publickey");
  });
});
