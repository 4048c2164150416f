import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ConsentStore } from "../../../src/client/telemetry/consent.ts";
import { commandTraceparent, installClientTelemetry } from "../../../src/client/telemetry/index.ts";
import type { BreadcrumbBatch } from "../../../src/shared/telemetry/breadcrumb.ts";
import { validateBreadcrumbBatch } from "../../../src/shared/telemetry/breadcrumb.ts";
import { fakeWindow } from "./fake-window.ts";

const ON = { v: 1, ingest: true, trace_sample_ratio: 0, sentry: null, build: "0.1.0" };

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("installClientTelemetry", () => {
  it("sends nothing at all without consent, not even the config request", async () => {
    const w = fakeWindow(ON);
    const { dispose } = installClientTelemetry({ net: () => ({ bytesIn: 1, bytesOut: 1, rttMs: 30, serverTickMs: 2 }) }, { win: w.win, storage: w.storage });
    await vi.advanceTimersByTimeAsync(120_000);
    w.setHidden(true);
    w.win.dispatchEvent(new Event("pagehide"));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(w.requests).toEqual([]);
    expect(w.beacons).toEqual([]);
    expect(commandTraceparent(1, "fire")).toBeUndefined();
    dispose();
  });

  it("with performance consent: fetches the config, then sends valid batches every 30 s and on hide", async () => {
    const w = fakeWindow(ON);
    const consent = new ConsentStore(w.storage);
    const { dispose } = installClientTelemetry({}, { win: w.win, consent });
    await vi.advanceTimersByTimeAsync(5_000);
    consent.set("performance", true);
    await vi.advanceTimersByTimeAsync(0);
    expect(w.requests.map((r) => `${r.method} ${r.url}`)).toEqual(["GET /telemetry/v1/config"]);
    await vi.advanceTimersByTimeAsync(30_000);
    const posts = w.requests.filter((r) => r.method === "POST");
    expect(posts.map((r) => r.url)).toEqual(["/telemetry/v1/breadcrumbs"]);
    const batch = JSON.parse(posts[0].body!) as BreadcrumbBatch;
    expect(validateBreadcrumbBatch(batch).ok).toBe(true);
    // Only frames since consent: about 30 s at 60 fps, none of the 5 s before it.
    expect(batch.windows[0].frames).toBeGreaterThan(1_700);
    expect(batch.windows[0].frames).toBeLessThan(1_900);
    // Ten more seconds of play, then the tab is hidden: that partial window goes out by beacon.
    await vi.advanceTimersByTimeAsync(10_000);
    w.setHidden(true);
    expect(w.beacons).toEqual(["/telemetry/v1/breadcrumbs"]);
    // Hidden: the next timer tick finds no frames and sends nothing.
    await vi.advanceTimersByTimeAsync(30_000);
    expect(w.requests.filter((r) => r.method === "POST")).toHaveLength(1);
    dispose();
  });

  it("withdrawing consent stops at once: nothing more is sent", async () => {
    const w = fakeWindow(ON);
    const consent = new ConsentStore(w.storage);
    const { dispose } = installClientTelemetry({}, { win: w.win, consent });
    consent.set("performance", true);
    await vi.advanceTimersByTimeAsync(45_000);
    const before = w.requests.length;
    expect(before).toBe(2);
    consent.set("performance", false);
    await vi.advanceTimersByTimeAsync(120_000);
    w.setHidden(true);
    w.win.dispatchEvent(new Event("pagehide"));
    expect(w.requests.length).toBe(before);
    expect(w.beacons).toEqual([]);
    dispose();
  });

  it("follows a withdrawal made in another tab", async () => {
    const w = fakeWindow(ON);
    const consent = new ConsentStore(w.storage);
    const { dispose } = installClientTelemetry({}, { win: w.win, consent });
    consent.set("performance", true);
    await vi.advanceTimersByTimeAsync(1_000);
    const ev = Object.assign(new Event("storage"), { key: "voxel-shooter.telemetry-consent.v1", newValue: JSON.stringify({ v: 1, performance: "withdrawn", crash: "unset" }) });
    w.win.dispatchEvent(ev);
    expect(consent.granted("performance")).toBe(false);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(w.requests.filter((r) => r.method === "POST")).toEqual([]);
    dispose();
  });

  it("sends nothing when the server says client ingest is off", async () => {
    const w = fakeWindow({ v: 1, ingest: false, trace_sample_ratio: 0, sentry: null, build: "" });
    const consent = new ConsentStore(w.storage);
    const { dispose } = installClientTelemetry({}, { win: w.win, consent });
    consent.set("performance", true);
    consent.set("crash", true);
    await vi.advanceTimersByTimeAsync(120_000);
    w.setHidden(true);
    expect(w.requests.map((r) => r.url)).toEqual(["/telemetry/v1/config"]);
    expect(w.beacons).toEqual([]);
    dispose();
  });
});
