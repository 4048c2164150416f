/**
 * The server's OpenTelemetry context manager: synchronous first, AsyncLocalStorage only for
 * async functions, and only while one is running.
 *
 * Why not AsyncLocalStorageContextManager alone: once an AsyncLocalStorage is entered, Node
 * installs async hooks for the rest of the process. Every promise and every async resource
 * (each timer, immediate and socket write) then runs a JS hook, and V8 throws away all code
 * optimised under its "no promise hook" assumption. The tick is synchronous and its spans never
 * need any of that; counted with `npm run bench:telemetry`, it made trace ratio 0.05 cost
 * several percent of the tick's instructions.
 *
 * So `with(context, fn)` keeps `context` active for fn's synchronous run (a stack, like
 * OpenTelemetry's StackContextManager). Only when fn is an async function does the context
 * also follow its awaits, through AsyncLocalStorage.run; when the last such function has
 * settled the storage is disabled again, and with it Node's hooks. A plain function that
 * returns a promise gets the synchronous behaviour: its continuations see no context.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { ROOT_CONTEXT } from "@opentelemetry/api";
import type { Context, ContextManager } from "@opentelemetry/api";

const AsyncFunction = (async () => {}).constructor;

/** True for an `async function` / async arrow (whose awaits `with` makes the context follow). */
export function isAsyncFunction(fn: unknown): boolean {
  return fn instanceof AsyncFunction;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === "object" && v !== null && typeof (v as { then?: unknown }).then === "function";
}

export class SyncFirstContextManager implements ContextManager {
  /** The context of the innermost synchronous `with`, or undefined outside any. */
  private current: Context | undefined = undefined;
  private readonly storage = new AsyncLocalStorage<Context>();
  /** Async functions started by `with` that have not settled. */
  private inFlight = 0;

  active(): Context {
    return this.current ?? this.storage.getStore() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(context: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    const previous = this.current;
    if (!isAsyncFunction(fn)) {
      this.current = context;
      try {
        return fn.call(thisArg, ...args);
      } finally {
        this.current = previous;
      }
    }
    // The async function's own awaits read the context from the storage.
    this.current = undefined;
    this.inFlight++;
    let result: ReturnType<F>;
    try {
      result = this.storage.run(context, () => fn.call(thisArg, ...args));
    } catch (err) {
      this.settled();
      throw err;
    } finally {
      this.current = previous;
    }
    if (!isThenable(result)) {
      this.settled();
      return result;
    }
    return Promise.resolve(result).finally(() => this.settled()) as ReturnType<F>;
  }

  /** One async function settled; the last one turns Node's async hooks off again. */
  private settled(): void {
    if (--this.inFlight === 0) this.storage.disable();
  }

  bind<T>(context: Context, target: T): T {
    if (typeof target !== "function") return target;
    const fn = target as unknown as (...a: unknown[]) => unknown;
    const bound = (...a: unknown[]): unknown => this.with(context, () => fn(...a));
    return bound as unknown as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.current = undefined;
    this.storage.disable();
    return this;
  }
}
