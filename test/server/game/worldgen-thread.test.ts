// The world generated on a thread (worldgen-thread.ts, what main.ts starts before loading the
// server) is the world generateWorld makes on this thread: same voxels, surface, structures and
// spawn; and a World refuses chunk arrays that do not fit its size.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateWorldOnThread } from "../../../src/server/game/worldgen-thread.ts";
import { openZoneStore, StoreOpenError } from "../../../src/server/store/index.ts";
import { startTestServer } from "../support.ts";
import { worldChecksum } from "../../../src/shared/voxel/checksum.ts";
import { World } from "../../../src/shared/voxel/world.ts";
import { generateWorld } from "../../../src/shared/voxel/worldgen.ts";

describe("world generation on a thread", () => {
  it("gives the world generateWorld gives, for two seeds", async () => {
    for (const config of [{ seed: 1337, chunksX: 4, chunksY: 4, chunksZ: 6 }, { seed: 99, chunksX: 6, chunksY: 4, chunksZ: 4 }]) {
      const pending = generateWorldOnThread(config);
      expect(pending.config).toEqual(config);
      const there = await pending.world;
      const here = generateWorld(config);
      expect(worldChecksum(there.world)).toBe(worldChecksum(here.world));
      expect(there.world.size).toEqual(here.world.size);
      expect([...there.surface]).toEqual([...here.surface]);
      expect(there.destructibles).toEqual(here.destructibles);
      expect(there.spawn).toEqual(here.spawn);
      expect([...there.index.items]).toEqual([...here.index.items]);
    }
  }, 60_000);

  it("a start whose store refuses while the world is still generating fails with the store's error, not an unhandled rejection", async () => {
    const dir = mkdtempSync(join(tmpdir(), "voxel-pregen-"));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    // A default-size world takes far longer on its thread than the refused open on the store's.
    const world = { seed: 7, chunksX: 16, chunksY: 4, chunksZ: 16 };
    const owner = await openZoneStore({ backend: "sqlite", dir }, "z0", world);
    try {
      const err = await startTestServer({ ...world, store: `sqlite:${dir}`, zone: "z0", world: generateWorldOnThread(world) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreOpenError);
      expect((err as Error).message).toMatch(/^STORE: /);
      await new Promise((r) => setTimeout(r, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
      await owner.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("World refuses chunk arrays that do not fit its size", () => {
    const size = { chunksX: 1, chunksY: 1, chunksZ: 2 };
    expect(() => new World(size, [new Uint8Array(32 ** 3)])).toThrow(RangeError);
    expect(() => new World(size, [new Uint8Array(32 ** 3), new Uint8Array(10)])).toThrow(RangeError);
    const chunks = [new Uint8Array(32 ** 3), new Uint8Array(32 ** 3)];
    chunks[1][5] = 3;
    expect(new World(size, chunks).get(5, 0, 32)).toBe(3);
  });
});
