// The one token bucket and its keyed and per-route uses.
import { describe, expect, it } from "vitest";
import { KeyedTokenBuckets, TokenBucket } from "../../../src/server/http/rate-limit.ts";

describe("token bucket", () => {
  it("allows the burst, then the sustained rate", () => {
    const b = new TokenBucket(5, 10, 1000, 0);
    let ok = 0;
    for (let i = 0; i < 20; i++) if (b.take(0) === 0) ok++;
    expect(ok).toBe(5);
    ok = 0;
    for (let t = 0; t <= 1000; t += 10) if (b.take(t) === 0) ok++;
    // 10 per second (the last token may land a hair late in floating point).
    expect(ok).toBeGreaterThanOrEqual(9);
    expect(ok).toBeLessThanOrEqual(10);
  });

  it("holds at most its capacity however long it was idle", () => {
    const b = new TokenBucket(3, 10, 1000, 0);
    let ok = 0;
    for (let i = 0; i < 10; i++) if (b.take(60_000) === 0) ok++;
    expect(ok).toBe(3);
  });

  it("says how long until the next token, and hands out partial grants", () => {
    const b = new TokenBucket(2, 1, 500, 0);
    expect([b.take(0), b.take(0)]).toEqual([0, 0]);
    expect(b.take(0)).toBe(500);
    expect(b.take(200)).toBe(300);
    expect(b.takeUpTo(5, 1000)).toBe(2);
    expect(b.takeUpTo(5, 1000)).toBe(0);
  });

  it("forgets the least recently used key past maxKeys (which only refills it)", () => {
    let now = 0;
    const k = new KeyedTokenBuckets(1, 60_000, 2, () => now);
    expect(k.take("a")).toBe(0);
    expect(k.take("b")).toBe(0);
    expect(k.take("a")).toBeGreaterThan(0);
    expect(k.take("c")).toBe(0); // evicts b, the least recently used
    expect(k.take("b")).toBe(0);
    now = 1;
    expect(k.take("b")).toBeGreaterThan(0);
  });
});
