import { describe, expect, it } from "vitest";
import { toToken, validateBreadcrumbBatch } from "../../../src/shared/telemetry/breadcrumb.ts";
import { clone, validBatch, validWindow } from "./fixtures.ts";

type Json = Record<string, unknown>;

/** Validates a batch after `mutate` edits a JSON copy of a valid one. */
function check(mutate: (b: Json) => void) {
  const b = clone(validBatch()) as unknown as Json;
  mutate(b);
  return validateBreadcrumbBatch(b);
}

function win(b: Json): Json {
  return (b.windows as Json[])[0];
}

describe("validateBreadcrumbBatch", () => {
  it("accepts a well-formed batch", () => {
    const r = validateBreadcrumbBatch(clone(validBatch()));
    expect(r.ok).toBe(true);
  });

  it("accepts up to 40 windows and rejects 0 or 41", () => {
    expect(validateBreadcrumbBatch(clone(validBatch({ windows: Array.from({ length: 40 }, () => validWindow()) }))).ok).toBe(true);
    expect(check((b) => (b.windows = []))).toMatchObject({ ok: false, reason: "length", path: "windows" });
    expect(validateBreadcrumbBatch(clone(validBatch({ windows: Array.from({ length: 41 }, () => validWindow()) })))).toMatchObject({
      ok: false,
      reason: "length",
    });
  });

  it("rejects non-objects", () => {
    for (const v of [null, 1, "x", [], true]) expect(validateBreadcrumbBatch(v)).toMatchObject({ ok: false });
    expect(validateBreadcrumbBatch([])).toMatchObject({ reason: "not_object" });
  });

  it("rejects unknown keys at every level without echoing the key", () => {
    expect(check((b) => (b.player_name = "alice"))).toEqual({ ok: false, reason: "unknown_key", path: "?" });
    expect(check((b) => (win(b).note = "free text"))).toEqual({ ok: false, reason: "unknown_key", path: "windows.0.?" });
    expect(check((b) => ((win(b).fps as Json).p42 = 1))).toMatchObject({ reason: "unknown_key", path: "windows.0.fps.?" });
    expect(check((b) => ((b.gpu as Json).renderer = "ANGLE (NVIDIA)"))).toMatchObject({ reason: "unknown_key" });
  });

  it("names an object's unknown key before anything inside it, the outermost first", () => {
    expect(check((b) => {
      b.player_name = "alice";
      b.seq = "1";
    })).toEqual({ ok: false, reason: "unknown_key", path: "?" });
    expect(check((b) => {
      b.player_name = "alice";
      win(b).note = "free text";
      win(b).frames = -1;
    })).toEqual({ ok: false, reason: "unknown_key", path: "?" });
    expect(check((b) => {
      win(b).note = "free text";
      win(b).frames = -1;
    })).toEqual({ ok: false, reason: "unknown_key", path: "windows.0.?" });
  });

  it("rejects a __proto__ key from JSON.parse", () => {
    const raw = JSON.stringify(validBatch()).replace('"v":1', '"__proto__":{"x":1},"v":1');
    expect(validateBreadcrumbBatch(JSON.parse(raw))).toMatchObject({ ok: false, reason: "unknown_key" });
  });

  it("rejects missing keys", () => {
    expect(check((b) => delete b.session)).toMatchObject({ reason: "missing_key", path: "session" });
    expect(check((b) => delete (win(b).net as Json).rtt_ms_p50)).toMatchObject({ reason: "missing_key", path: "windows.0.net.rtt_ms_p50" });
  });

  it("checks types, integers and ranges", () => {
    expect(check((b) => (b.seq = "1"))).toMatchObject({ reason: "type", path: "seq" });
    expect(check((b) => (b.seq = 1.5))).toMatchObject({ reason: "type", path: "seq" });
    expect(check((b) => (b.seq = -1))).toMatchObject({ reason: "range", path: "seq" });
    expect(check((b) => ((win(b).fps as Json).p50 = 1001))).toMatchObject({ reason: "range", path: "windows.0.fps.p50" });
    expect(check((b) => ((win(b).fps as Json).p50 = null))).toMatchObject({ reason: "type" });
    expect(check((b) => (win(b).dur_ms = 0))).toMatchObject({ reason: "range", path: "windows.0.dur_ms" });
    expect(check((b) => (win(b).dur_ms = 600_001))).toMatchObject({ reason: "range" });
    expect(check((b) => ((win(b).upload as Json).vertex_bytes = 1e13))).toMatchObject({ reason: "range" });
  });

  it("accepts only known enum values", () => {
    expect(check((b) => (win(b).device_lost_reason = "unknown")).ok).toBe(true);
    expect(check((b) => (win(b).device_lost_reason = "driver crashed at 0x1234"))).toMatchObject({ reason: "enum" });
  });

  it("restricts string fields to short [a-z0-9.-] tokens or random ids", () => {
    expect(check((b) => (b.build = "1.2.3-beta.4")).ok).toBe(true);
    expect(check((b) => (b.build = "Alice's build"))).toMatchObject({ reason: "pattern", path: "build" });
    expect(check((b) => (b.build = "x".repeat(33)))).toMatchObject({ reason: "pattern" });
    expect(check((b) => ((b.gpu as Json).vendor = "nvidia corporation"))).toMatchObject({ reason: "pattern", path: "gpu.vendor" });
    expect(check((b) => (b.session = "alice@example.com"))).toMatchObject({ reason: "pattern", path: "session" });
    expect(check((b) => (b.session = "short"))).toMatchObject({ reason: "pattern" });
    expect(check((b) => (b.key = "has space in it"))).toMatchObject({ reason: "pattern", path: "key" });
  });

  it("rejects other schema versions", () => {
    expect(check((b) => (b.v = 2))).toEqual({ ok: false, reason: "version", path: "v" });
  });

  it("requires fixed-length bucket arrays of integers", () => {
    expect(check((b) => (win(b).frame_ms as number[]).push(0))).toMatchObject({ reason: "length", path: "windows.0.frame_ms" });
    expect(check((b) => ((win(b).frame_ms as number[])[0] = 0.5))).toMatchObject({ reason: "type", path: "windows.0.frame_ms.0" });
  });

  it("checks cross-field consistency", () => {
    expect(check((b) => (win(b).frames = 1799))).toMatchObject({ reason: "inconsistent", path: "windows.0.frame_ms" });
    expect(check((b) => ((win(b).upload as Json).count = 11))).toMatchObject({ reason: "inconsistent", path: "windows.0.upload.ms" });
    expect(check((b) => (win(b).hidden_ms = 30_001))).toMatchObject({ reason: "inconsistent", path: "windows.0.hidden_ms" });
    expect(
      check((b) => {
        win(b).dur_ms = 1000; // 1800 frames in one second is beyond 1000 fps
      }),
    ).toMatchObject({ reason: "inconsistent", path: "windows.0.frames" });
  });
});

describe("toToken", () => {
  it("reduces adapter strings to schema tokens", () => {
    expect(toToken("NVIDIA Corporation")).toBe("nvidia-corporation");
    expect(toToken("  Intel(R)  ")).toBe("intel-r");
    expect(toToken("apple")).toBe("apple");
    expect(toToken(undefined)).toBe("");
    expect(toToken("x".repeat(50))).toHaveLength(32);
    expect(toToken("Ümlaut GPU")).toBe("mlaut-gpu");
  });
});
