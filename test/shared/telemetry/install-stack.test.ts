import { describe, expect, it } from "vitest";
import { InstallStack } from "../../../src/shared/telemetry/install-stack.ts";

describe("InstallStack", () => {
  it("makes the newest installed backend active and falls back to the default", () => {
    const seen: string[] = [];
    const s = new InstallStack("noop", (a) => seen.push(a));
    expect(s.active).toBe("noop");
    const a = s.install("a");
    const b = s.install("b");
    expect(s.active).toBe("b");
    b();
    expect(s.active).toBe("a");
    a();
    expect(s.active).toBe("noop");
    expect(seen).toEqual(["a", "b", "a", "noop"]);
  });

  it("uninstalled out of order, never brings back a backend already uninstalled", () => {
    const s = new InstallStack("noop");
    const a = s.install("a");
    const b = s.install("b");
    a();
    expect(s.active).toBe("b");
    b();
    expect(s.active).toBe("noop");
  });

  it("tells two installs of the same backend apart, and a second uninstall does nothing", () => {
    const s = new InstallStack("noop");
    const first = s.install("x");
    const other = s.install("y");
    const second = s.install("x");
    first();
    first();
    expect(s.active).toBe("x");
    second();
    expect(s.active).toBe("y");
    other();
    expect(s.active).toBe("noop");
  });
});
