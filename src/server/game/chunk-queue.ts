// The bounded queue of dirty chunks waiting for a remesh and collider rebuild. A chunk is in it
// at most once (re-dirtying a queued chunk coalesces), the ring has a fixed capacity, and
// chunks that arrive while it is full wait in an overflow bit set that refills the ring as it
// drains, so nothing is lost and nothing grows.
import type { TraceContext } from "../../shared/telemetry/trace-context.ts";

/** Coalescing FIFO of chunk ids with per-chunk trace context. */
export class ChunkQueue {
  private readonly ring: Int32Array;
  private head = 0;
  private size = 0;
  /** 1 = in the ring, 2 = in overflow. */
  private readonly state: Uint8Array;
  private overflowCount = 0;
  private overflowScan = 0;
  /** Last impact that dirtied each chunk (for span/log fields) and its trace context. */
  readonly impactOf: Uint32Array;
  readonly didOf: Uint32Array;
  readonly traceOf: (TraceContext | undefined)[];
  /** Pushes that found the chunk already queued. */
  coalesced = 0;

  constructor(
    readonly chunkCount: number,
    readonly capacity: number,
  ) {
    this.ring = new Int32Array(capacity);
    this.state = new Uint8Array(chunkCount);
    this.impactOf = new Uint32Array(chunkCount);
    this.didOf = new Uint32Array(chunkCount);
    this.traceOf = new Array<TraceContext | undefined>(chunkCount).fill(undefined);
  }

  /** Chunks waiting (ring + overflow): the visible queue length. */
  get length(): number {
    return this.size + this.overflowCount;
  }

  /** Queues chunk `id`; returns false when it was already queued (coalesced). */
  push(id: number, impactId = 0, did = 0, parent?: TraceContext): boolean {
    this.impactOf[id] = impactId;
    this.didOf[id] = did;
    this.traceOf[id] = parent;
    if (this.state[id] !== 0) {
      this.coalesced++;
      return false;
    }
    if (this.size < this.capacity) {
      this.ring[(this.head + this.size) % this.capacity] = id;
      this.size++;
      this.state[id] = 1;
    } else {
      this.state[id] = 2;
      this.overflowCount++;
    }
    return true;
  }

  /** Takes the oldest chunk id, or -1 when empty. */
  shift(): number {
    if (this.size === 0) this.refill();
    if (this.size === 0) return -1;
    const id = this.ring[this.head];
    this.head = (this.head + 1) % this.capacity;
    this.size--;
    this.state[id] = 0;
    if (this.overflowCount > 0) this.refill();
    return id;
  }

  /** Moves overflowed chunks into free ring slots (round-robin scan, so none starves). */
  private refill(): void {
    const n = this.chunkCount;
    for (let k = 0; k < n && this.overflowCount > 0 && this.size < this.capacity; k++) {
      const id = this.overflowScan;
      this.overflowScan = (this.overflowScan + 1) % n;
      if (this.state[id] !== 2) continue;
      this.ring[(this.head + this.size) % this.capacity] = id;
      this.size++;
      this.state[id] = 1;
      this.overflowCount--;
    }
  }

  /** True when chunk `id` is waiting. */
  has(id: number): boolean {
    return this.state[id] !== 0;
  }
}
