import { describe, expect, it, vi } from "vitest";
import {
  CONSENT_STORAGE_KEY,
  ConsentStore,
  isGranted,
  nextConsentState,
} from "../../../src/client/telemetry/consent.ts";
import type { StorageLike } from "../../../src/client/telemetry/consent.ts";

function memoryStorage(initial: Record<string, string> = {}): StorageLike & { data: Map<string, string> } {
  const data = new Map(Object.entries(initial));
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}

describe("consent state machine", () => {
  it("follows the transition table", () => {
    expect(nextConsentState("unset", "grant")).toBe("granted");
    expect(nextConsentState("unset", "revoke")).toBe("denied");
    expect(nextConsentState("denied", "grant")).toBe("granted");
    expect(nextConsentState("denied", "revoke")).toBe("denied");
    expect(nextConsentState("granted", "revoke")).toBe("withdrawn");
    expect(nextConsentState("granted", "grant")).toBe("granted");
    expect(nextConsentState("withdrawn", "revoke")).toBe("withdrawn");
    expect(nextConsentState("withdrawn", "grant")).toBe("granted");
  });

  it("only 'granted' allows sending", () => {
    expect(["unset", "granted", "denied", "withdrawn"].filter((s) => isGranted(s as never))).toEqual(["granted"]);
  });
});

describe("ConsentStore", () => {
  it("starts with both channels off", () => {
    const store = new ConsentStore(memoryStorage());
    expect(store.state("performance")).toBe("unset");
    expect(store.granted("performance")).toBe(false);
    expect(store.granted("crash")).toBe(false);
  });

  it("keeps the channels independent and persists the choice", () => {
    const storage = memoryStorage();
    const store = new ConsentStore(storage);
    store.set("performance", true);
    expect(store.granted("performance")).toBe(true);
    expect(store.granted("crash")).toBe(false);
    const reloaded = new ConsentStore(storage);
    expect(reloaded.state("performance")).toBe("granted");
    expect(reloaded.state("crash")).toBe("unset");
    reloaded.set("performance", false);
    expect(new ConsentStore(storage).state("performance")).toBe("withdrawn");
    expect(JSON.parse(storage.data.get(CONSENT_STORAGE_KEY)!)).toEqual({ v: 1, performance: "withdrawn", crash: "unset" });
  });

  it("notifies synchronously with the previous and next state, once per change", () => {
    const store = new ConsentStore(memoryStorage());
    const seen: string[] = [];
    const unsubscribe = store.subscribe((ch, prev, next) => seen.push(`${ch}:${prev}->${next}`));
    store.set("crash", true);
    expect(seen).toEqual(["crash:unset->granted"]);
    store.set("crash", true);
    store.set("crash", false);
    expect(seen).toEqual(["crash:unset->granted", "crash:granted->withdrawn"]);
    unsubscribe();
    store.set("crash", true);
    expect(seen).toHaveLength(2);
  });

  it("treats corrupt or foreign stored values as off", () => {
    for (const raw of ["{", "null", '{"v":2,"performance":"granted"}', '{"v":1,"performance":"yes"}', '"granted"']) {
      const store = new ConsentStore(memoryStorage({ [CONSENT_STORAGE_KEY]: raw }));
      expect(store.granted("performance")).toBe(false);
    }
  });

  it("works when storage throws (choice held in memory)", () => {
    const broken: StorageLike = {
      getItem: () => {
        throw new Error("SecurityError");
      },
      setItem: () => {
        throw new Error("QuotaExceededError");
      },
    };
    const store = new ConsentStore(broken);
    expect(store.granted("performance")).toBe(false);
    store.set("performance", true);
    expect(store.granted("performance")).toBe(true);
    expect(new ConsentStore(null).granted("crash")).toBe(false);
  });

  it("follows changes made in another tab", () => {
    const store = new ConsentStore(memoryStorage());
    store.set("performance", true);
    const listener = vi.fn();
    store.subscribe(listener);
    store.syncFrom(JSON.stringify({ v: 1, performance: "withdrawn", crash: "granted" }));
    expect(store.state("performance")).toBe("withdrawn");
    expect(store.granted("crash")).toBe(true);
    expect(listener).toHaveBeenCalledTimes(2);
    // Key removed in the other tab: everything off.
    store.syncFrom(null);
    expect(store.granted("crash")).toBe(false);
  });
});
