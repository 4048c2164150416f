// The client facade is a no-op until a backend is installed, and whatever order installed
// backends are disposed in, a disposed backend never becomes active again.
import { describe, expect, it } from "vitest";
import type { ClientTelemetryBackend } from "../../../src/client/telemetry/facade.ts";
import { commandDone, commandTraceparent, installClientBackend, reportError } from "../../../src/client/telemetry/facade.ts";

function backend(name: string, log: string[]): ClientTelemetryBackend {
  return {
    beginCommand: (id) => `${name}-${id}`,
    endCommand: (id, outcome) => void log.push(`${name} end ${id} ${outcome}`),
    captureError: () => void log.push(`${name} error`),
    gpuScope: async (_d, _s, fn) => fn(),
  };
}

describe("client telemetry facade", () => {
  it("forwards to the newest installed backend and is a no-op without one", () => {
    const log: string[] = [];
    expect(commandTraceparent(1, "fire")).toBeUndefined();
    const disposeA = installClientBackend(backend("a", log));
    const disposeB = installClientBackend(backend("b", log));
    expect(commandTraceparent(2, "fire")).toBe("b-2");
    disposeB();
    expect(commandTraceparent(3, "fire")).toBe("a-3");
    disposeA();
    expect(commandTraceparent(4, "fire")).toBeUndefined();
  });

  it("disposed out of order, never brings back a disposed backend", () => {
    const log: string[] = [];
    const disposeA = installClientBackend(backend("a", log));
    const disposeB = installClientBackend(backend("b", log));
    disposeA();
    expect(commandTraceparent(1, "fire")).toBe("b-1");
    disposeB();
    expect(commandTraceparent(2, "fire")).toBeUndefined();
    commandDone(2, "confirmed");
    reportError(new Error("x"));
    expect(log).toEqual([]);
  });
});
