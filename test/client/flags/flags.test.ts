// The page's flags: flagd definitions evaluated in-process through OpenFeature's web SDK,
// variants assigned by the page's stable random id (the same id, the same variant; ids spread
// over the split), no eval or new Function (the page's CSP forbids both), defaults when the
// server has none; and the experiment variant rides in breadcrumbs only with performance
// consent.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_CLIENT_FLAGS, evaluateClientFlags, FLAGS_ID_KEY, flagsTargetingKey, loadClientFlags } from "../../../src/client/flags/index.ts";
import { ConsentStore } from "../../../src/client/telemetry/consent.ts";
import type { StorageLike } from "../../../src/client/telemetry/consent.ts";
import { installClientTelemetry } from "../../../src/client/telemetry/index.ts";
import type { BreadcrumbBatch } from "../../../src/shared/telemetry/breadcrumb.ts";
import { validateBreadcrumbBatch } from "../../../src/shared/telemetry/breadcrumb.ts";

const SHIPPED = readFileSync(join(import.meta.dirname, "../../../flags.json"), "utf8");

/** A client experiment on view distance: control 8 chunks, "a" 12, split 50/50 by the page's id. */
function viewExperiment(): string {
  const doc = JSON.parse(SHIPPED) as { flags: Record<string, Record<string, unknown>> };
  doc.flags["view-distance"] = {
    state: "ENABLED",
    variants: { control: 8, a: 12 },
    defaultVariant: "control",
    targeting: { fractional: [["control", 50], ["a", 50]] },
    metadata: { scope: "client", experiment: true },
  };
  return JSON.stringify(doc);
}

function memoryStorage(): StorageLike & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}

describe("client flags", () => {
  it("evaluates the shipped file: defaults where the flags leave the setting alone", async () => {
    const flags = await evaluateClientFlags(SHIPPED, "abcdefghijklmnopqrstuvwx");
    expect(flags).toEqual({ viewChunks: undefined, mesherMode: "pool", experiment: { flag: "", variant: "none" } });
  });

  it("assigns a variant by the page's random id: stable per id, spread over the split", async () => {
    const doc = viewExperiment();
    const seen = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      const id = flagsTargetingKey(null);
      const a = await evaluateClientFlags(doc, id);
      const b = await evaluateClientFlags(doc, id);
      expect(b).toEqual(a);
      expect(a.experiment.flag).toBe("view-distance");
      expect(a.viewChunks).toBe(a.experiment.variant === "a" ? 12 : 8);
      seen.set(a.experiment.variant, (seen.get(a.experiment.variant) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual(["a", "control"]);
  });

  it("keeps its random id in storage and reuses it", () => {
    const storage = memoryStorage();
    const id = flagsTargetingKey(storage);
    expect(id).toMatch(/^[a-z0-9]{24}$/);
    expect(storage.data.get(FLAGS_ID_KEY)).toBe(id);
    expect(flagsTargetingKey(storage)).toBe(id);
  });

  it("never calls eval or the Function constructor (the page's CSP allows neither)", async () => {
    const realEval = globalThis.eval;
    const RealFunction = globalThis.Function;
    const calls: string[] = [];
    globalThis.eval = ((x: string) => {
      calls.push(`eval ${x}`);
      return realEval(x);
    }) as typeof eval;
    globalThis.Function = new Proxy(RealFunction, {
      construct(target, args) {
        calls.push("new Function");
        return Reflect.construct(target, args);
      },
      apply(target, self, args) {
        calls.push("Function()");
        return Reflect.apply(target, self, args);
      },
    });
    try {
      const flags = await evaluateClientFlags(viewExperiment(), "zyxwvutsrqponmlkjihgfedc");
      expect(flags.experiment.flag).toBe("view-distance");
    } finally {
      globalThis.eval = realEval;
      globalThis.Function = RealFunction;
    }
    expect(calls).toEqual([]);
  });

  it("falls back to the defaults when the server has no flags, answers garbage or does not answer", async () => {
    const storage = memoryStorage();
    const answer = (status: number, body: string) => async () => ({ ok: status === 200, text: async () => body });
    expect(await loadClientFlags({ fetch: answer(404, "{}"), storage })).toEqual(DEFAULT_CLIENT_FLAGS);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    expect(await loadClientFlags({ fetch: answer(200, "{not json"), storage })).toEqual(DEFAULT_CLIENT_FLAGS);
    expect(warn).toHaveBeenCalled();
    warn.mockRestore();
    const hang = (_u: string, init: { signal: AbortSignal }) =>
      new Promise<never>((_, reject) => init.signal.addEventListener("abort", () => reject(init.signal.reason)));
    expect(await loadClientFlags({ fetch: hang, storage, timeoutMs: 50 })).toEqual(DEFAULT_CLIENT_FLAGS);
    expect((await loadClientFlags({ fetch: answer(200, viewExperiment()), storage })).experiment.flag).toBe("view-distance");
  });
});

describe("the client experiment variant in breadcrumbs", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  /** A window just big enough for the telemetry feature, recording every request. */
  function fakeWindow() {
    const requests: { url: string; method: string; body?: string }[] = [];
    const storage = memoryStorage();
    let t = 0;
    const win = Object.assign(new EventTarget(), {
      document: Object.assign(new EventTarget(), { visibilityState: "visible" }),
      performance: { now: () => t, timeOrigin: 1_700_000_000_000 },
      requestAnimationFrame: (cb: (now: number) => void) => setTimeout(() => cb((t += 16)), 16) as unknown as number,
      cancelAnimationFrame: (id: number) => clearTimeout(id),
      navigator: {},
      location: { href: "http://game.test/" },
      localStorage: storage,
      fetch: (url: string, init: RequestInit = {}) => {
        requests.push({ url, method: init.method ?? "GET", body: typeof init.body === "string" ? init.body : undefined });
        const body = url.endsWith("/config") ? { v: 1, ingest: true, trace_sample_ratio: 0, sentry: null, build: "0.1.0" } : {};
        return Promise.resolve(new Response(JSON.stringify(body), { status: url.endsWith("/config") ? 200 : 202 }));
      },
    });
    return { win: win as unknown as Window, requests, storage };
  }

  it("sends the variant only once performance consent is given, and then in every batch", async () => {
    const flags = await evaluateClientFlags(viewExperiment(), "abcdefghijklmnopqrstuvwx");
    expect(flags.experiment.variant).not.toBe("none");
    const w = fakeWindow();
    const consent = new ConsentStore(w.storage);
    const { dispose } = installClientTelemetry({}, { win: w.win, consent, experiment: flags.experiment });
    await vi.advanceTimersByTimeAsync(90_000);
    expect(w.requests).toEqual([]);
    consent.set("crash", true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(w.requests.filter((r) => r.method === "POST")).toEqual([]);
    consent.set("performance", true);
    await vi.advanceTimersByTimeAsync(65_000);
    const posts = w.requests.filter((r) => r.method === "POST" && r.url.endsWith("/breadcrumbs"));
    expect(posts.length).toBeGreaterThanOrEqual(2);
    for (const p of posts) {
      const batch = JSON.parse(p.body!) as BreadcrumbBatch;
      expect(validateBreadcrumbBatch(batch).ok).toBe(true);
      expect(batch.experiment).toEqual({ flag: "view-distance", variant: flags.experiment.variant });
    }
    dispose();
  });

  it("sends no experiment field when the page is in none", async () => {
    const w = fakeWindow();
    const consent = new ConsentStore(w.storage);
    consent.set("performance", true);
    const { dispose } = installClientTelemetry({}, { win: w.win, consent, experiment: DEFAULT_CLIENT_FLAGS.experiment });
    await vi.advanceTimersByTimeAsync(31_000);
    const post = w.requests.find((r) => r.method === "POST");
    expect(post).toBeDefined();
    expect("experiment" in (JSON.parse(post!.body!) as object)).toBe(false);
    dispose();
  });
});
