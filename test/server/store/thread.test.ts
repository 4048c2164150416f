// The store thread dying (thread.ts): on SQLite the next request starts a new thread that
// reopens the file and nothing committed is lost; on PostgreSQL the lease's connection died with
// it, so the zone is fenced at once (another server may claim it now) and the next claim wins
// with the next epoch. The thread is ended from outside, as a crash in it would end it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openZoneStore } from "../../../src/server/store/index.ts";
import type { EditRow, WorldIdentity, ZoneStore } from "../../../src/server/store/types.ts";
import { FencedError } from "../../../src/server/store/types.ts";
import { startPostgres } from "./postgres.ts";
import type { TestPostgres } from "./postgres.ts";

const WORLD: WorldIdentity = { seed: 5, chunksX: 1, chunksY: 1, chunksZ: 1 };

function rows(from: number, n: number): EditRow[] {
  return Array.from({ length: n }, (_, i) => ({ seq: from + i, tick: from + i, impactId: 100 + from + i, format: 1, data: Uint8Array.of(from + i) }));
}

/** Ends the store's thread the way a crash inside it would (it is private to the store). */
async function killThread(store: ZoneStore): Promise<void> {
  const worker = (store as unknown as { worker: Worker | null }).worker;
  expect(worker).not.toBeNull();
  await worker!.terminate();
}

describe("store thread lost", () => {
  let dir = "";
  let pg: TestPostgres | null = null;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "voxel-thread-"));
    pg = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await pg?.stop();
  });

  it("SQLite: the next request starts a new thread on the same file; every commit survives", async () => {
    const store = await openZoneStore({ backend: "sqlite", dir }, "z1", WORLD);
    await store.append(rows(1, 3));
    await killThread(store);
    await store.append(rows(4, 2));
    await store.close();
    const again = await openZoneStore({ backend: "sqlite", dir }, "z1", WORLD);
    expect(again.image.tail.map((r) => r.impactId)).toEqual([101, 102, 103, 104, 105]);
    await again.close();
  });

  it("PostgreSQL: the zone is fenced at once, writes are refused, and the next claim wins with the next epoch", async () => {
    // A lease far longer than the claim timeout: the next claim can only win through the freed lock.
    const options = { leaseMs: 60_000, leaseRenewMs: 300, claimTimeoutMs: 5000 };
    const store = await openZoneStore({ backend: "postgres", url: pg!.url }, "z2", WORLD, options);
    await store.append(rows(1, 3));
    const fenced = new Promise<FencedError>((resolve) => store.onFenced(resolve));
    await killThread(store);
    expect((await fenced).epoch).toBe(store.epoch);
    await expect(store.append(rows(4, 1))).rejects.toBeInstanceOf(FencedError);
    // The claim does not wait for the lease to lapse: the dead thread's session (and lock) is gone.
    const next = await openZoneStore({ backend: "postgres", url: pg!.url }, "z2", WORLD, options);
    expect(next.epoch).toBe(store.epoch + 1);
    expect(next.image.lastSeq).toBe(3);
    await store.close();
    await next.close();
  });
});
