/**
 * Bounded in-memory inbox of crash envelopes (Sentry envelope format) that the Sentry tunnel
 * route fills and /debug/crashes shows, so crashes are visible with zero setup. Oldest
 * entries are evicted; user identity and request headers are stripped on the way in.
 *
 * With a directory (CRASH_DIR), the server's own fatal crash reports are also written there
 * (synchronously: the process is about to exit) and loaded back at the next start, so the
 * crash that ended a process is on /debug/crashes of the one the supervisor started after it.
 */
import { mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

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
  /** Where addDurable() writes and the constructor loads crash files (see the file comment). */
  readonly dir?: string;
}

const CRASH_FILE = /^crash-[0-9TZ-]+-\d+-\d+\.json$/;

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

  readonly dir: string | undefined;

  constructor(opts: CrashInboxOptions = {}) {
    this.capacity = Math.max(1, opts.capacity ?? 50);
    this.maxBytes = opts.maxBytes ?? 256 * 1024;
    this.dir = opts.dir;
    if (this.dir !== undefined) this.load(this.dir);
  }

  /**
   * Adds a report of this process's own crash and, with a directory, writes it there at once
   * (synchronously, for the exit path). Returns the file written, or undefined (no directory,
   * or the write failed: the report is still in memory).
   */
  addDurable(envelope: CrashEnvelope, now: Date = new Date()): string | undefined {
    const stored = this.add(envelope, now);
    if (this.dir === undefined) return undefined;
    const stamp = stored.received_at.replace(/[:.]/g, "-");
    const file = join(this.dir, `crash-${stamp}-${process.pid}-${stored.seq}.json`);
    try {
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(file, JSON.stringify({ received_at: stored.received_at, header: stored.header, items: stored.items }));
      this.prune(this.dir);
      return file;
    } catch {
      return undefined;
    }
  }

  /** Loads the newest `capacity` crash files of `dir` (unreadable or malformed ones are skipped). */
  private load(dir: string): void {
    for (const name of crashFiles(dir).slice(-this.capacity)) {
      try {
        const v = JSON.parse(readFileSync(join(dir, name), "utf8")) as Partial<StoredCrash>;
        if (typeof v.header !== "object" || v.header === null || !Array.isArray(v.items)) continue;
        const at = typeof v.received_at === "string" && !Number.isNaN(Date.parse(v.received_at)) ? new Date(v.received_at) : new Date();
        this.add({ header: v.header, items: v.items }, at);
      } catch {
        // A half-written or foreign file: not ours to show.
      }
    }
  }

  /** Deletes crash files beyond `capacity`, oldest first. */
  private prune(dir: string): void {
    const files = crashFiles(dir);
    for (const name of files.slice(0, Math.max(0, files.length - this.capacity))) unlinkSync(join(dir, name));
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

/** Crash file names in `dir`, oldest first (the names start with an ISO time); none if it is missing. */
function crashFiles(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => CRASH_FILE.test(n)).sort();
  } catch {
    return [];
  }
}
