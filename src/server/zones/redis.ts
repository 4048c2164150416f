// The zone's two Redis connections (ioredis): one for commands, one for the blocking stream
// reader. Both are made so that a stale command can never run late: the offline queue is off
// (a command issued while Redis is unreachable fails at once instead of waiting to run after a
// reconnect) and every command has a timeout. Reconnection is ioredis's own, with a capped
// backoff; the `up` state (game_zone_coord_up) follows the command connection's ready/close.
// Lua scripts run atomically on the server: they are the only way a hand-off or a directory
// entry changes (scripts.ts).
import { Redis } from "ioredis";
import type { Log } from "../telemetry/facade.ts";

/** The reader blocks this long per XREAD (ms); its command timeout is longer by READER_SLACK_MS. */
export const READ_BLOCK_MS = 500;
const READER_SLACK_MS = 1500;

/** Timeouts of the command connection. */
export interface RedisTimeouts {
  /** Per command (ms). */
  readonly commandMs: number;
  /** Per connection attempt (ms). */
  readonly connectMs: number;
}

/** A connected (or reconnecting) pair of connections. */
export interface RedisLinks {
  readonly cmd: Redis;
  readonly reader: Redis;
  /** True while the command connection is ready. */
  up(): boolean;
  /** Closes both connections; idempotent. */
  close(): Promise<void>;
}

/**
 * Opens both connections to `url` (redis:// or rediss://). Never rejects: while Redis is
 * unreachable the connections keep retrying (backoff capped at 1 s) and `onUp(false)` has been
 * called; `onUp(true)` follows each (re)connection. Connection errors are logged at a limited
 * rate (the URL's password is never logged).
 */
export function connectRedis(url: string, name: string, t: RedisTimeouts, log: Log, onUp: (up: boolean) => void): RedisLinks {
  const common = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: t.connectMs,
    retryStrategy: (times: number) => Math.min(50 * times, 1000),
    lazyConnect: true,
  };
  const cmd = new Redis(url, { ...common, commandTimeout: t.commandMs, connectionName: `${name}-cmd` });
  const reader = new Redis(url, { ...common, commandTimeout: READ_BLOCK_MS + READER_SLACK_MS, connectionName: `${name}-reader` });
  let ready = false;
  cmd.on("ready", () => {
    if (!ready) log.info({}, "coordinator reachable");
    ready = true;
    onUp(true);
  });
  cmd.on("close", () => {
    if (ready) log.warn({}, "coordinator unreachable; hand-offs are refused until it returns");
    ready = false;
    onUp(false);
  });
  for (const c of [cmd, reader]) {
    c.on("error", (err: Error & { code?: string }) => {
      log.warnLimited("coord.error", { error: err.code ?? err.name }, "redis connection error");
    });
    c.connect().catch(() => {
      // Refused or timed out: retryStrategy keeps trying; the error event logged it.
    });
  }
  let closing: Promise<void> | null = null;
  return {
    cmd,
    reader,
    up: () => ready,
    close: () => {
      closing ??= Promise.all([cmd, reader].map((c) => c.quit().then(() => undefined, () => c.disconnect()))).then(() => undefined);
      return closing;
    },
  };
}

/** A Lua script bound to a connection: keys then args; resolves with the script's reply. */
export type Script = (keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>;

/** Registers `lua` on `redis` (EVALSHA, loaded on first use) and returns a caller. */
export function defineScript(redis: Redis, name: string, numberOfKeys: number, lua: string): Script {
  redis.defineCommand(name, { numberOfKeys, lua });
  const fn = (redis as unknown as Record<string, (...a: (string | number)[]) => Promise<unknown>>)[name];
  return (keys, args) => fn.call(redis, ...keys, ...args);
}
