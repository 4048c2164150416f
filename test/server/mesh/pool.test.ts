// The server's mesh worker pool when a worker misbehaves: a worker that throws or hangs on a job
// is detected (the hang by the job deadline), counted through onWorkerError, replaced, and its
// jobs come back as failed so the mesh system requeues them; nothing is lost silently.
import { afterEach, describe, expect, it } from "vitest";
import { MeshPool } from "../../../src/server/mesh/pool.ts";
import type { MeshJobMeta } from "../../../src/server/mesh/pool.ts";
import type { MeshedChunk } from "../../../src/server/game/state.ts";
import type { SpanHandle } from "../../../src/server/telemetry/facade.ts";

const span: SpanHandle = { setAttributes: () => {}, recordError: () => {}, context: () => undefined, end: () => {} };
const meta = (chunkId: number): MeshJobMeta => ({ chunkId, version: 1, impactId: 0, did: 0, span });
const pools: MeshPool[] = [];

afterEach(async () => {
  for (const p of pools.splice(0)) await p.close();
});

function pool(mode: "hang" | "crash", jobDeadlineMs = 60_000): { pool: MeshPool; errors: unknown[] } {
  const p = new MeshPool(1, { jobDeadlineMs, entry: new URL(`./misbehaving.worker.ts?mode=${mode}`, import.meta.url) });
  const errors: unknown[] = [];
  p.onWorkerError = (err) => errors.push(err);
  pools.push(p);
  return { pool: p, errors };
}

/** Drains the pool every 20 ms until `done` or `ms` pass; returns the failed chunk ids. */
async function drainUntil(p: MeshPool, done: (failed: number[]) => boolean, ms: number): Promise<number[]> {
  const out: MeshedChunk[] = [];
  const failed: number[] = [];
  const until = Date.now() + ms;
  while (!done(failed) && Date.now() < until) {
    p.drain(out, failed);
    await new Promise((r) => setTimeout(r, 20));
  }
  return failed;
}

describe("mesh worker pool failures", () => {
  it("hands back the jobs of a worker that throws, counts it and replaces the worker", async () => {
    const { pool: p, errors } = pool("crash");
    p.submit(meta(7), p.acquire());
    p.submit(meta(8), p.acquire());
    const failed = await drainUntil(p, (f) => f.length >= 2, 10_000);
    expect(failed.sort()).toEqual([7, 8]);
    expect(errors).toHaveLength(1);
    expect(p.inFlight()).toBe(0);
    // The replacement takes jobs again (and, being the same module, fails them the same way).
    expect(p.capacity()).toBeGreaterThan(0);
  });

  it("detects a worker that never answers by the job deadline and hands its jobs back", async () => {
    const { pool: p, errors } = pool("hang", 300);
    p.submit(meta(3), p.acquire());
    const t0 = performance.now();
    const failed = await drainUntil(p, (f) => f.length >= 1, 10_000);
    expect(failed).toEqual([3]);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(300);
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toContain("did not answer");
    expect(p.inFlight()).toBe(0);
  });

  it("leaves a slow job alone while it is inside the deadline", async () => {
    const { pool: p, errors } = pool("hang", 60_000);
    p.submit(meta(4), p.acquire());
    const failed = await drainUntil(p, () => false, 500);
    expect(failed).toEqual([]);
    expect(errors).toHaveLength(0);
    expect(p.inFlight()).toBe(1);
  });
});
