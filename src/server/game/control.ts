// Per-player command queues between the network layer (which fills them as frames arrive) and
// the intake system (which drains them once per tick). Fixed-size rings of preallocated
// records: a flood can fill them but never grow them.

import type { FireMsg, InputMsg } from "../../shared/protocol/messages.ts";
import type { TraceContext } from "../../shared/telemetry/trace-context.ts";
import type { Edge } from "../zones/spec.ts";

/** One queued movement input: the decoded message's fields, copied into a reusable record. */
export type QueuedInput = Omit<InputMsg, "type">;

/** One queued fire command: the decoded message's fields, kept in a reusable record. */
export type QueuedFire = Omit<FireMsg, "type" | "traceparent"> & {
  /** The client's trace context, parsed where the envelope entered (undefined: none or invalid). */
  parent: TraceContext | undefined;
};

/** A bounded FIFO of reusable records. */
class Ring<T> {
  private readonly items: T[];
  private head = 0;
  length = 0;

  constructor(
    readonly capacity: number,
    make: () => T,
  ) {
    this.items = Array.from({ length: capacity }, make);
  }

  /** The record to fill for a new entry, or null when full (then nothing is enqueued). */
  pushSlot(): T | null {
    if (this.length === this.capacity) return null;
    const item = this.items[(this.head + this.length) % this.capacity];
    this.length++;
    return item;
  }

  /** The oldest entry without removing it. */
  peek(): T | null {
    return this.length === 0 ? null : this.items[this.head];
  }

  /** Removes the oldest entry (its record is reused later). */
  shift(): void {
    if (this.length === 0) return;
    this.head = (this.head + 1) % this.capacity;
    this.length--;
  }

  clear(): void {
    this.head = 0;
    this.length = 0;
  }
}

/** Queue sizes: two seconds of inputs at 30 Hz, a few shots. */
const INPUT_QUEUE = 64;
const FIRE_QUEUE = 16;

/** What the net layer and intake system share about one connected player. */
export class PlayerControl {
  readonly inputs = new Ring<QueuedInput>(INPUT_QUEUE, () => ({ seq: 0, dt: 0, forward: 0, right: 0, yaw: 0, pitch: 0, buttons: 0 }));
  readonly fires = new Ring<QueuedFire>(FIRE_QUEUE, () => ({ commandId: 0, ox: 0, oy: 0, oz: 0, dx: 0, dy: 0, dz: 0, parent: undefined }));
  /** Last input sequence applied (echoed to the client as ackSeq). */
  lastSeq = 0;
  /** Seconds of movement the client may still simulate (refilled by server time; caps speed hacks). */
  moveBudget = 0.1;
  /** Earliest server time (ms) the weapon may fire again. */
  nextFireMs = 0;
  /** Correlation id for logs (never a metric label). */
  sessionId: string;
  /** SHA-256 of the player's resume token: the key of its saved record (player-records.ts). */
  tokenKey: Uint8Array | null = null;
  /** False while the connection is gone and the entity waits for a resume. */
  connected = true;
  /** Fire commands rejected this tick and why (RejectReason), reported back by the net system. */
  readonly rejectedFires: number[] = [];
  readonly rejectedFireReasons: number[] = [];
  /** Round trip the client last reported in a ping (ms), NaN until it has measured one. */
  pingMs = Number.NaN;
  /** Wall time (ms) of the last scoreboard sent to this player (requests are throttled). */
  lastScoresMs = -Infinity;
  /** Bit (1 << RejectReason) per other rejection this tick, reported at most once a second. */
  rejectMask = 0;
  lastNoticeMs = -Infinity;
  /** The zone edge this player's inputs push against (intake), and for how long without a break (ms of input). */
  pushEdge: Edge | null = null;
  pushMs = 0;
  /** Frozen at the edge while a hand-off is in flight: inputs are acknowledged, not applied; shots refused. */
  frozen = false;
  /** No hand-off before this server time (ms): after arriving, and after a refused one. */
  handoffAfterMs = 0;

  constructor(sessionId: string) {
    this.sessionId = sessionId;
  }
}
