// The server's context manager (src/server/telemetry/context.ts): a stack for synchronous
// work, AsyncLocalStorage only while an async function started by `with` is running.
import { createContextKey, ROOT_CONTEXT } from "@opentelemetry/api";
import type { Context } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { isAsyncFunction, SyncFirstContextManager } from "../../../src/server/telemetry/context.ts";

const KEY = createContextKey("test");
const ctx = (v: string): Context => ROOT_CONTEXT.setValue(KEY, v);
const seen = (m: SyncFirstContextManager): unknown => m.active().getValue(KEY);
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe("SyncFirstContextManager", () => {
  it("tells async functions from plain ones", () => {
    expect(isAsyncFunction(async () => {})).toBe(true);
    expect(isAsyncFunction(async function named() {})).toBe(true);
    expect(isAsyncFunction(() => Promise.resolve())).toBe(false);
    expect(isAsyncFunction(function plain() {})).toBe(false);
  });

  it("keeps a context for a synchronous run, nested, and restores it after a throw", () => {
    const m = new SyncFirstContextManager().enable();
    expect(m.active()).toBe(ROOT_CONTEXT);
    const out = m.with(ctx("a"), () => {
      const outer = seen(m);
      const inner = m.with(ctx("b"), () => seen(m));
      expect(() => m.with(ctx("c"), () => {
        throw new Error("boom");
      })).toThrow("boom");
      return [outer, inner, seen(m)];
    });
    expect(out).toEqual(["a", "b", "a"]);
    expect(m.active()).toBe(ROOT_CONTEXT);
    m.disable();
  });

  it("passes this and arguments through", () => {
    const m = new SyncFirstContextManager().enable();
    const self = { k: 2 };
    expect(m.with(ctx("a"), function (this: typeof self, x: number) { return this.k * x; }, self, 21)).toBe(42);
    m.disable();
  });

  it("follows an async function across its awaits, each one its own, and a sync with inside it", async () => {
    const m = new SyncFirstContextManager().enable();
    const run = (v: string): Promise<unknown[]> =>
      m.with(ctx(v), async () => {
        const before = seen(m);
        await tick();
        const after = seen(m);
        const nested = m.with(ctx(`${v}!`), () => seen(m));
        await tick();
        return [before, after, nested, seen(m)];
      });
    const [a, b] = await Promise.all([run("a"), run("b")]);
    expect(a).toEqual(["a", "a", "a!", "a"]);
    expect(b).toEqual(["b", "b", "b!", "b"]);
    expect(m.active()).toBe(ROOT_CONTEXT);
    m.disable();
  });

  it("settles a rejecting async function and turns the storage off when the last one settles", async () => {
    const m = new SyncFirstContextManager().enable();
    await expect(m.with(ctx("a"), async () => {
      await tick();
      throw new Error("late");
    })).rejects.toThrow("late");
    // A timer the async function left behind fires after it settled: the storage (and with it
    // Node's async hooks) is off again, so it sees no context. Under AsyncLocalStorage alone it
    // would still see "a".
    const late = await new Promise<unknown>((resolve) => {
      void m.with(ctx("b"), async () => {
        setTimeout(() => resolve(seen(m)), 20);
        await tick();
      });
    });
    expect(late).toBeUndefined();
    m.disable();
  });

  it("binds a function to a context", () => {
    const m = new SyncFirstContextManager().enable();
    const bound = m.bind(ctx("x"), (n: number) => [seen(m), n]);
    expect(bound(1)).toEqual(["x", 1]);
    expect(m.bind(ctx("x"), 5)).toBe(5);
    m.disable();
  });
});
