import { describe, expect, it } from "vitest";
import { backoffDelay } from "../../src/shared/backoff.ts";
import { RECONNECT_BACKOFF } from "../../src/client/net/connection.ts";

describe("backoffDelay", () => {
  it("reconnects: doubles from the base up to the cap without jitter", () => {
    const none = () => 0;
    expect([0, 1, 2, 3, 4, 5, 6, 7, 50].map((a) => backoffDelay(a, RECONNECT_BACKOFF, none))).toEqual([250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
  });

  it("scales each delay into (1 - jitter, 1] of the nominal delay", () => {
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    for (let attempt = 0; attempt < 10; attempt++) {
      const nominal = backoffDelay(attempt, RECONNECT_BACKOFF, () => 0);
      for (let i = 0; i < 50; i++) {
        const d = backoffDelay(attempt, RECONNECT_BACKOFF, random);
        expect(d).toBeGreaterThan(nominal * (1 - RECONNECT_BACKOFF.jitter));
        expect(d).toBeLessThanOrEqual(nominal);
      }
    }
  });

  it("treats negative or fractional attempts as the first ones", () => {
    expect(backoffDelay(-3, RECONNECT_BACKOFF, () => 0)).toBe(RECONNECT_BACKOFF.baseMs);
    expect(backoffDelay(1.7, RECONNECT_BACKOFF, () => 0)).toBe(RECONNECT_BACKOFF.baseMs * 2);
  });

  it("follows any schedule: telemetry delivery's doubles per attempt up to its cap, with bounded jitter", () => {
    const delivery = { baseMs: 1_000, factor: 2, maxMs: 60_000, jitter: 0.5 };
    // Retry 0 (after the first failed attempt): between half the base and the base.
    expect(backoffDelay(0, delivery, () => 0)).toBe(1_000);
    expect(backoffDelay(0, delivery, () => 0.5)).toBe(750);
    expect(backoffDelay(0, delivery, () => 1 - 2 ** -53)).toBeGreaterThanOrEqual(500);
    expect(backoffDelay(2, delivery, () => 0.5)).toBe(3_000);
    expect(backoffDelay(19, delivery, () => 0)).toBe(60_000);
    expect(backoffDelay(Number.NaN, delivery, () => 0)).toBe(1_000);
  });
});
