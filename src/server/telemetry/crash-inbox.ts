/**
 * Bounded in-memory inbox of crash envelopes (Sentry envelope format) that the Sentry tunnel
 * route fills and /debug/crashes shows, so crashes are visible with zero setup. Oldest
 * entries are evicted; user identity and request headers are stripped on the way in.
 */

export interface CrashItem {
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: unknown;
}

export interface CrashEnvelope {
  readonly header: Readonly<Record<string, unknown>>;
  readonly items: readonly CrashItem[];
}

export interface StoredCrash extends CrashEnvelope {
  /** Sequence number, increasing over the inbox's life. */
  readonly seq: number;
  readonly received_at: string;
}

export interface CrashInboxOptions {
  readonly capacity?: number;
  /** Largest raw envelope accepted by addRaw(), in bytes. */
  readonly maxBytes?: number;
}

/** Removes fields that can identify a player (user, IP, headers, cookies) from an event payload. */
function scrubPayload(payload: unknown): unknown {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return payload;
  const p = { ...(payload as Record<string, unknown>) };
  delete p.user;
  if (typeof p.request === "object" && p.request !== null) {
    const { headers: _h, cookies: _c, env: _e, data: _d, ...rest } = p.request as Record<string, unknown>;
    p.request = rest;
  }
  return p;
}

function parseJsonObject(line: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const MAX_ITEMS = 100;

/**
 * Parses a Sentry envelope (header line, then item header + payload pairs; a payload is one
 * line, or exactly `length` bytes when the item header says so). Undefined if malformed.
 * Non-JSON payloads (attachments) are kept only as their byte length.
 */
export function parseEnvelope(raw: string | Uint8Array): CrashEnvelope | undefined {
  const buf = typeof raw === "string" ? Buffer.from(raw) : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  let pos = 0;
  const readLine = (): string => {
    const nl = buf.indexOf(10, pos);
    const end = nl < 0 ? buf.length : nl;
    const line = buf.toString("utf8", pos, end);
    pos = nl < 0 ? buf.length : nl + 1;
    return line;
  };
  const header = parseJsonObject(readLine());
  if (header === undefined) return undefined;
  const items: CrashItem[] = [];
  while (pos < buf.length) {
    const line = readLine();
    if (line === "") continue;
    const itemHeader = parseJsonObject(line);
    if (itemHeader === undefined || items.length >= MAX_ITEMS) return undefined;
    let body: string;
    let size: number;
    if (typeof itemHeader.length === "number" && Number.isInteger(itemHeader.length) && itemHeader.length >= 0) {
      if (pos + itemHeader.length > buf.length) return undefined;
      size = itemHeader.length;
      body = buf.toString("utf8", pos, pos + size);
      pos += size;
      if (buf[pos] === 10) pos++;
    } else {
      body = readLine();
      size = Buffer.byteLength(body);
    }
    items.push({ header: itemHeader, payload: parseJsonObject(body) ?? { bytes: size } });
  }
  return { header, items };
}

export class CrashInbox {
  private readonly entries: StoredCrash[] = [];
  private seq = 0;
  private rejected = 0;
  readonly capacity: number;
  readonly maxBytes: number;

  constructor(opts: CrashInboxOptions = {}) {
    this.capacity = Math.max(1, opts.capacity ?? 50);
    this.maxBytes = opts.maxBytes ?? 256 * 1024;
  }

  /** Adds a parsed envelope (scrubbed); evicts the oldest past capacity. */
  add(envelope: CrashEnvelope, now: Date = new Date()): StoredCrash {
    const stored: StoredCrash = {
      seq: ++this.seq,
      received_at: now.toISOString(),
      header: { ...envelope.header },
      items: envelope.items.map((it) => ({ header: { ...it.header }, payload: scrubPayload(it.payload) })),
    };
    this.entries.push(stored);
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
    return stored;
  }

  /** Parses and adds a raw envelope; returns false (and counts it) when too big or malformed. */
  addRaw(raw: string | Uint8Array, now?: Date): boolean {
    const bytes = typeof raw === "string" ? Buffer.byteLength(raw) : raw.byteLength;
    const env = bytes <= this.maxBytes ? parseEnvelope(raw) : undefined;
    if (env === undefined) {
      this.rejected++;
      return false;
    }
    this.add(env, now);
    return true;
  }

  /** Newest first. */
  list(): StoredCrash[] {
    return [...this.entries].reverse();
  }

  get size(): number {
    return this.entries.length;
  }

  /** Totals for /debug/crashes. */
  stats(): { stored: number; received: number; rejected: number; capacity: number } {
    return { stored: this.entries.length, received: this.seq, rejected: this.rejected, capacity: this.capacity };
  }

  clear(): void {
    this.entries.length = 0;
  }
}
