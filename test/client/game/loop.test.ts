// The frame-rate cap: over simulated displays (with rAF jitter), the number of frames that run
// matches the cap, never more, and a cap at or above the display's rate keeps every frame.
import { describe, expect, it } from "vitest";
import { FrameLimiter } from "../../../src/client/game/loop.ts";

/** Frames run over `seconds` of a display at `hz`, capped at `cap`, with +-`jitter` ms on each frame time. */
function frames(hz: number, cap: number, seconds = 4, jitter = 0.6): number {
  const limiter = new FrameLimiter();
  let seed = 12345;
  const rand = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  let ran = 0;
  const n = Math.round(hz * seconds);
  for (let i = 0; i < n; i++) {
    const t = 1000 + (i * 1000) / hz + (rand() * 2 - 1) * jitter;
    if (limiter.ready(t, cap)) ran++;
  }
  return ran / seconds;
}

describe("frame limiter", () => {
  it("runs every frame without a cap", () => {
    expect(frames(144, 0)).toBe(144);
  });

  it("holds the cap on a faster display", () => {
    expect(frames(144, 60)).toBeGreaterThanOrEqual(59);
    expect(frames(144, 60)).toBeLessThanOrEqual(61);
    expect(frames(240, 144)).toBeGreaterThanOrEqual(142);
    expect(frames(240, 144)).toBeLessThanOrEqual(145);
    expect(frames(60, 30)).toBeGreaterThanOrEqual(29.5);
    expect(frames(60, 30)).toBeLessThanOrEqual(30.5);
  });

  it("keeps every frame when the cap is the display's rate or above, despite jitter", () => {
    expect(frames(60, 60)).toBeGreaterThanOrEqual(59.5);
    expect(frames(60, 144)).toBe(60);
  });

  it("does not catch up with a burst after a stall", () => {
    const limiter = new FrameLimiter();
    expect(limiter.ready(0, 60)).toBe(true);
    // Two seconds without frames, then a 144 Hz burst: still at most one frame per 16.7 ms.
    let ran = 0;
    for (let t = 2000; t < 2100; t += 1000 / 144) if (limiter.ready(t, 60)) ran++;
    expect(ran).toBeLessThanOrEqual(7);
  });
});
