// The facades' install stack: the newest backend is active, and uninstalling in any order
// never brings back one that was already uninstalled.
import { describe, expect, it } from "vitest";
import { InstallStack } from "../../../src/shared/telemetry/install-stack.ts";

describe("InstallStack", () => {
  it("makes the newest install active and falls back when all are undone", () => {
    const seen: string[] = [];
    const stack = new InstallStack("noop", (a) => seen.push(a));
    const undoA = stack.install("a");
    const undoB = stack.install("b");
    expect(stack.active).toBe("b");
    undoB();
    expect(stack.active).toBe("a");
    undoA();
    expect(stack.active).toBe("noop");
    expect(seen).toEqual(["a", "b", "a", "noop"]);
  });

  it("never resurrects a backend undone out of order, and each undo works once", () => {
    const stack = new InstallStack("noop");
    const undoA = stack.install("a");
    const undoB = stack.install("b");
    undoA();
    expect(stack.active).toBe("b");
    undoB();
    expect(stack.active).toBe("noop");
    undoA();
    undoB();
    expect(stack.active).toBe("noop");
  });

  it("removes one install of a backend installed twice per undo", () => {
    const stack = new InstallStack("noop");
    const first = stack.install("a");
    stack.install("a");
    first();
    first();
    expect(stack.active).toBe("a");
  });
});
