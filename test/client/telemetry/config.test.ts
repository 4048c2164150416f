import { describe, expect, it } from "vitest";
import { ClientConfigLoader } from "../../../src/client/telemetry/config.ts";
import type { ConfigFetch } from "../../../src/client/telemetry/config.ts";
import { CLIENT_CONFIG_OFF } from "../../../src/shared/telemetry/client-config.ts";

const GOOD = { v: 1, ingest: true, trace_sample_ratio: 0.5, sentry: null, build: "0.1.0" };

function scripted(steps: ({ status: number; body?: unknown } | "network")[]) {
  let calls = 0;
  const fn: ConfigFetch = () => {
    const step = steps[Math.min(calls++, steps.length - 1)];
    if (step === "network") return Promise.reject(new TypeError("offline"));
    return Promise.resolve({ status: step.status, json: () => Promise.resolve(step.body) });
  };
  return { fn, calls: () => calls };
}

describe("ClientConfigLoader", () => {
  it("fetches once and caches a good answer", async () => {
    const f = scripted([{ status: 200, body: GOOD }]);
    const l = new ClientConfigLoader("/telemetry/v1/config", f.fn);
    expect(await l.load()).toEqual(GOOD);
    expect(await l.load()).toEqual(GOOD);
    expect(f.calls()).toBe(1);
  });

  it("reads 404 as off, for the page's lifetime", async () => {
    const f = scripted([{ status: 404 }, { status: 200, body: GOOD }]);
    const l = new ClientConfigLoader("/c", f.fn);
    expect(await l.load()).toBe(CLIENT_CONFIG_OFF);
    expect(await l.load()).toBe(CLIENT_CONFIG_OFF);
    expect(f.calls()).toBe(1);
  });

  it("asks again after a network error or 5xx", async () => {
    const f = scripted(["network", { status: 503 }, { status: 200, body: GOOD }]);
    const l = new ClientConfigLoader("/c", f.fn);
    expect(await l.load()).toBe(CLIENT_CONFIG_OFF);
    expect(await l.load()).toBe(CLIENT_CONFIG_OFF);
    expect(await l.load()).toEqual(GOOD);
    expect(f.calls()).toBe(3);
  });
});
