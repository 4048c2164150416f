// Test doubles for the client connection: a manual clock with timers, and an in-memory
// transport whose socket events the test fires by hand, plus encoders for server frames.
import {
  ByteWriter,
  createSelfState,
  decodeClientMessage,
  encodeSnapshot,
  encodeWelcome,
  EntityFrame,
  ProjectileFrame,
  PROTOCOL_VERSION,
} from "../../../src/shared/protocol/index.ts";
import type { ClientMessage, WelcomeMsg } from "../../../src/shared/protocol/index.ts";
import type { Timers } from "../../../src/client/net/connection.ts";
import type { NetTransport, TransportEvents, TransportFactory } from "../../../src/client/net/transport.ts";

/** Timers driven by advance(); tasks run in due order. */
export class ManualTimers implements Timers {
  time = 1000;
  private nextId = 1;
  private readonly tasks = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.tasks.set(id, { at: this.time + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.tasks.delete(handle as number);
  }

  /** Moves time forward by `ms`, running every task that falls due on the way. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let best: [number, { at: number; fn: () => void }] | null = null;
      for (const entry of this.tasks) if (entry[1].at <= end && (best === null || entry[1].at < best[1].at)) best = entry;
      if (best === null) break;
      this.tasks.delete(best[0]);
      this.time = Math.max(this.time, best[1].at);
      best[1].fn();
    }
    this.time = end;
  }
}

/** One fake socket: records what the client sent; the test fires the events. */
export class FakeSocket implements NetTransport {
  readonly sent: Uint8Array[] = [];
  closedWith: { code: number; reason: string } | null = null;

  constructor(
    readonly url: string,
    readonly events: TransportEvents,
  ) {}

  send(bytes: Uint8Array): void {
    this.sent.push(bytes.slice());
  }

  close(code: number, reason: string): void {
    this.closedWith = { code, reason };
  }

  /** Decoded client messages sent so far. */
  messages(): ClientMessage[] {
    return this.sent.map((b) => {
      const r = decodeClientMessage(b);
      if (!r.ok) throw new Error(`client sent an undecodable frame: ${r.error.detail}`);
      return r.msg;
    });
  }

  /** Delivers a server frame (copied, as a socket would). */
  receive(bytes: Uint8Array): void {
    this.events.message(bytes.slice());
  }
}

/** A transport factory that keeps every socket it opened. */
export function fakeTransport(): { factory: TransportFactory; sockets: FakeSocket[] } {
  const sockets: FakeSocket[] = [];
  return {
    sockets,
    factory: (url, events) => {
      const s = new FakeSocket(url, events);
      sockets.push(s);
      return s;
    },
  };
}

const w = new ByteWriter(1024);

/** A welcome for a small world. */
export function welcomeBytes(overrides: Partial<Omit<WelcomeMsg, "type">> = {}): Uint8Array {
  return encodeWelcome(w, {
    version: PROTOCOL_VERSION,
    sessionId: "0123456789abcdef0123456789abcdef",
    resumeToken: "fedcba9876543210fedcba9876543210",
    resumed: false,
    entityId: 7,
    tickHz: 30,
    tick: 100,
    seed: 4242,
    chunksX: 2,
    chunksY: 2,
    chunksZ: 2,
    spawnX: 32.5,
    spawnY: 20,
    spawnZ: 32.5,
    spawnYaw: 0,
    interestRadius: 64,
    weaponCooldownMs: 250,
    projectileSpeed: 80,
    projectileLifetimeMs: 1500,
    zone: "z0",
    shard: "s0",
    callsign: "Calm Heron 12",
    team: 1,
    maxHealth: 100,
    respawnMs: 3000,
    logBase: 1,
    baseSeq: 0,
    lastSeq: 0,
    ...overrides,
  }).slice();
}

/** A join snapshot with no entities. */
export function snapshotBytes(tick = 100, editSets = 0): Uint8Array {
  return encodeSnapshot(w, { tick, editSets, self: { ...createSelfState(), x: 32.5, y: 20, z: 32.5, health: 100 }, entities: new EntityFrame(), projectiles: new ProjectileFrame() }).slice();
}
