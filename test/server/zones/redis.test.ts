// The test Redis launcher (redis.ts) is what the zone tests' "Redis down" cases stand on: a
// pause is a real crash (the port stops answering), a resume brings back the same port with
// every acknowledged write (append-only, fsync on every write), and stop() leaves nothing behind.
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startRedis } from "./redis.ts";
import type { TestRedis } from "./redis.ts";

let redis: TestRedis | undefined;

afterEach(async () => {
  await redis?.stop();
  redis = undefined;
});

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

describe("test Redis", () => {
  it("runs append-only with fsync on every write and no snapshots, on loopback", async () => {
    redis = await startRedis();
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    const c = redis.client();
    try {
      expect(await c.config("GET", "appendonly")).toEqual(["appendonly", "yes"]);
      expect(await c.config("GET", "appendfsync")).toEqual(["appendfsync", "always"]);
      expect(await c.config("GET", "save")).toEqual(["save", ""]);
      expect(await c.config("GET", "bind")).toEqual(["bind", "127.0.0.1"]);
    } finally {
      c.disconnect();
    }
  });

  it("pause kills it (the port refuses), resume brings it back on the same port with its data; stop removes the directory", async () => {
    redis = await startRedis();
    const c = redis.client();
    c.on("error", () => {});
    await c.set("voxel:test", "kept");
    c.disconnect();
    await redis.pause();
    expect(await listening(redis.port)).toBe(false);
    await redis.resume();
    const c2 = redis.client();
    try {
      expect(await c2.get("voxel:test")).toBe("kept");
    } finally {
      c2.disconnect();
    }
    const dir = redis.dir;
    expect(existsSync(dir)).toBe(true);
    await redis.stop();
    expect(await listening(redis.port)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });
});
