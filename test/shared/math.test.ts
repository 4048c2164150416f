import { describe, expect, it } from "vitest";
import { clamp } from "../../src/shared/math.ts";

describe("clamp", () => {
  it("limits to the range, both ends included, and keeps NaN", () => {
    expect([-2, 0, 0.5, 1, 3].map((v) => clamp(v, 0, 1))).toEqual([0, 0, 0.5, 1, 1]);
    expect(clamp(-Infinity, -1, 1)).toBe(-1);
    expect(clamp(Infinity, -1, 1)).toBe(1);
    expect(clamp(Number.NaN, 0, 1)).toBeNaN();
  });
});
