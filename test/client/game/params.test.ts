import { describe, expect, it } from "vitest";
import { DEFAULT_VIEW_CHUNKS, parseAoMode, parseParams } from "../../../src/client/game/params.ts";
import { DEFAULT_WORLD_GEN } from "../../../src/shared/voxel/worldgen.ts";

describe("parseParams", () => {
  it("defaults", () => {
    expect(parseParams("")).toEqual({ viewChunks: DEFAULT_VIEW_CHUNKS, seed: DEFAULT_WORLD_GEN.seed, autotest: false, offline: false });
  });

  it("reads view, seed, autotest and offline", () => {
    expect(parseParams("?view=3&seed=42&autotest=1&offline=1")).toEqual({ viewChunks: 3, seed: 42, autotest: true, offline: true });
  });

  it("clamps the view distance and ignores garbage", () => {
    expect(parseParams("?view=0").viewChunks).toBe(1);
    expect(parseParams("?view=999").viewChunks).toBe(32);
    expect(parseParams("?view=abc&seed=x&autotest=yes&offline=true")).toEqual({ viewChunks: DEFAULT_VIEW_CHUNKS, seed: DEFAULT_WORLD_GEN.seed, autotest: false, offline: false });
  });
});

describe("parseAoMode", () => {
  it("defaults to per-pixel AO (shader)", () => {
    expect(parseAoMode("")).toBe("shader");
    expect(parseAoMode("?view=3")).toBe("shader");
  });

  it("reads vertex or shader and ignores anything else", () => {
    expect(parseAoMode("?ao=vertex")).toBe("vertex");
    expect(parseAoMode("?autotest=1&ao=shader")).toBe("shader");
    expect(parseAoMode("?ao=VERTEX")).toBe("shader");
    expect(parseAoMode("?ao=")).toBe("shader");
  });
});
