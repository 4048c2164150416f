import { describe, expect, it } from "vitest";
import { DEFAULT_VIEW_CHUNKS, parseParams } from "../../../src/client/game/params.ts";
import { DEFAULT_WORLD_GEN } from "../../../src/shared/voxel/worldgen.ts";

describe("parseParams", () => {
  it("defaults", () => {
    expect(parseParams("")).toEqual({ viewChunks: DEFAULT_VIEW_CHUNKS, seed: DEFAULT_WORLD_GEN.seed, autotest: false });
  });

  it("reads view, seed and autotest", () => {
    expect(parseParams("?view=3&seed=42&autotest=1")).toEqual({ viewChunks: 3, seed: 42, autotest: true });
  });

  it("clamps the view distance and ignores garbage", () => {
    expect(parseParams("?view=0").viewChunks).toBe(1);
    expect(parseParams("?view=999").viewChunks).toBe(32);
    expect(parseParams("?view=abc&seed=x&autotest=yes")).toEqual({ viewChunks: DEFAULT_VIEW_CHUNKS, seed: DEFAULT_WORLD_GEN.seed, autotest: false });
  });
});
