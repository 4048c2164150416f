// COORD=redis://: zone coordination on Redis (keys in docs/zones.md and /work ZONES contract):
//   voxel:zone:<zone>       directory entry (JSON, PX TTL), written only by its owner (ENTRY_LUA)
//   voxel:seats:<zone>      stream of seat requests to that zone
//   voxel:replies:<zone>    stream of answers to that zone's seat requests
//   voxel:player:<session>  hash: the zone the player lives in (and its pending ticket)
//   voxel:ticket:<ticket>   JSON: the player record in flight (PX TTL, one use)
//   voxel:bus               stream of cross-zone events (MAXLEN ~), de-duplicated by publisher
// One reader connection blocks on the three streams this process reads; everything else goes
// over the command connection (no offline queue, command timeouts: see redis.ts). A seat
// request carries its deadline; a zone ignores requests past it, and the asking zone gives up
// at it. The player's move to the next zone is one Lua script (MOVE_LUA): it checks that the
// player is still this zone's, points it at the next zone and stores the ticket, atomically.
import { randomBytes } from "node:crypto";
import { BUS_TOPICS } from "../../shared/telemetry/names.ts";
import { metrics } from "../telemetry/facade.ts";
import type { BusTopic, Log } from "../telemetry/facade.ts";
import type { Arrival, BusEvent, DirectoryEntry, MoveResult, SeatAnswer, SeatDecision, SelfEntry, ZoneCoordinator } from "./coordinator.ts";
import { connectRedis, defineScript, READ_BLOCK_MS } from "./redis.ts";
import type { RedisLinks, Script } from "./redis.ts";

const PREFIX = "voxel:";
const BUS_KEY = `${PREFIX}bus`;
/** Approximate bounds of the streams (XADD MAXLEN ~). */
const SEAT_STREAM_MAX = 1000;
const BUS_STREAM_MAX = 10_000;
/** Events waiting for the tick; past this, new ones are dropped and counted. */
const BUS_QUEUE_MAX = 1024;
/** A player's location lives this long after its last move (s). */
const PLAYER_KEY_TTL_S = 24 * 3600;

/** Writes the entry when it is absent, ours, or ours by a later (epoch, start) than the one there. */
const ENTRY_LUA = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local ok, e = pcall(cjson.decode, cur)
  if ok and type(e) == 'table' and e.instance ~= ARGV[1] then
    local ep = tonumber(ARGV[3]); local st = tonumber(ARGV[4])
    local cep = tonumber(e.epoch) or 0; local cst = tonumber(e.started_at_ms) or 0
    if ep < cep or (ep == cep and st <= cst) then return 0 end
  end
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[5])
return 1`;

/** Moves the player from ARGV[1] to ARGV[2] under ticket KEYS[2] (payload ARGV[4], TTL ARGV[3] ms) if it is ARGV[1]'s. */
const MOVE_LUA = `
local cur = redis.call('HGET', KEYS[1], 'zone')
if cur and cur ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'zone', ARGV[2], 'ticket', ARGV[5])
redis.call('EXPIRE', KEYS[1], ARGV[6])
redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[3])
return 1`;

/** Consumes ticket KEYS[1] if it is addressed to ARGV[1]; the player then lives there. Returns the payload or nil. */
const ADMIT_LUA = `
local t = redis.call('GET', KEYS[1])
if not t then return false end
local ok, d = pcall(cjson.decode, t)
if not ok or type(d) ~= 'table' or d.to ~= ARGV[1] then return false end
redis.call('DEL', KEYS[1])
local pk = '${PREFIX}player:' .. d.session
redis.call('HSET', pk, 'zone', ARGV[1])
redis.call('HDEL', pk, 'ticket')
redis.call('EXPIRE', pk, ARGV[2])
return t`;

/** Deletes the player's location if it is still ARGV[1]'s. */
const FORGET_LUA = `
if redis.call('HGET', KEYS[1], 'zone') == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0`;

/** Settings of the Redis coordinator. */
export interface RedisCoordinatorOptions {
  readonly url: string;
  readonly zone: string;
  readonly self: SelfEntry;
  readonly directoryTtlMs: number;
  /** Per-command timeout (ms). */
  readonly commandTimeoutMs: number;
  /** Decides a seat request from another zone (capacity, tick budget). */
  readonly onSeatRequest: (from: string, sessionId: string) => SeatDecision;
  readonly log: Log;
}

interface Pending {
  resolve(a: SeatAnswer): void;
  timer: NodeJS.Timeout;
}

/** The Redis coordinator; see the file comment. */
export class RedisCoordinator implements ZoneCoordinator {
  readonly kind = "redis";
  private readonly links: RedisLinks;
  private readonly instance = randomBytes(8).toString("hex");
  private readonly startedAt = Date.now();
  private readonly seatsKey: string;
  private readonly repliesKey: string;
  private readonly pending = new Map<string, Pending>();
  private readonly events: BusEvent[] = [];
  /** Highest bus sequence seen per publisher instance (de-duplication of retried XADDs). */
  private readonly seenSeq = new Map<string, number>();
  private busSeq = 0;
  private nextReq = 0;
  private closed = false;
  private refreshTimer: NodeJS.Timeout | null = null;
  private readonly writeEntry: Script;
  private readonly move: Script;
  private readonly consume: Script;
  private readonly forget: Script;

  constructor(private readonly opts: RedisCoordinatorOptions) {
    this.seatsKey = `${PREFIX}seats:${opts.zone}`;
    this.repliesKey = `${PREFIX}replies:${opts.zone}`;
    this.links = connectRedis(opts.url, `voxel-${opts.zone}`, { commandMs: opts.commandTimeoutMs, connectMs: 1000 }, opts.log, (up) => {
      metrics.zoneCoordUp(up);
      if (up) this.refresh();
    });
    metrics.zoneCoordUp(false);
    const cmd = this.links.cmd;
    this.writeEntry = defineScript(cmd, "voxelEntry", 1, ENTRY_LUA);
    this.move = defineScript(cmd, "voxelMove", 2, MOVE_LUA);
    this.consume = defineScript(cmd, "voxelAdmit", 1, ADMIT_LUA);
    this.forget = defineScript(cmd, "voxelForget", 1, FORGET_LUA);
    this.refreshTimer = setInterval(() => this.refresh(), Math.max(100, Math.floor(opts.directoryTtlMs / 3)));
    this.refreshTimer.unref();
    void this.readLoop();
  }

  up(): boolean {
    return this.links.up();
  }

  async reserveSeat(to: string, sessionId: string, traceparent: string | null, timeoutMs: number): Promise<SeatAnswer> {
    if (!this.up()) return { ok: false, reason: "refused_coord_down" };
    const deadline = Date.now() + timeoutMs;
    try {
      const entry = await this.lookup(to);
      if (entry === null) return { ok: false, reason: "refused_no_zone" };
      const req = `${this.instance}-${++this.nextReq}`;
      const answer = new Promise<SeatAnswer>((resolve) => {
        const timer = setTimeout(() => {
          this.pending.delete(req);
          resolve({ ok: false, reason: "timeout" });
        }, Math.max(0, deadline - Date.now()));
        this.pending.set(req, { resolve, timer });
      });
      await this.links.cmd.xadd(`${PREFIX}seats:${to}`, "MAXLEN", "~", SEAT_STREAM_MAX, "*",
        "req", req, "from", this.opts.zone, "session", sessionId, "deadline", deadline, "tp", traceparent ?? "");
      return await answer;
    } catch {
      this.settle(null);
      return { ok: false, reason: "refused_coord_down" };
    }
  }

  async movePlayer(to: string, a: Arrival, ttlMs: number): Promise<MoveResult> {
    if (!this.up()) return { ok: false, reason: "refused_coord_down" };
    const ticket = randomBytes(16).toString("hex");
    const payload = JSON.stringify({
      session: a.sessionId, from: this.opts.zone, to, format: a.format, record: Buffer.from(a.record).toString("base64"),
      frozen_at: a.frozenAtMs, tp: a.traceparent ?? "",
    });
    try {
      const moved = await this.move([this.playerKey(a.sessionId), this.ticketKey(ticket)], [this.opts.zone, to, ttlMs, payload, ticket, PLAYER_KEY_TTL_S]);
      return moved === 1 ? { ok: true, ticket } : { ok: false, reason: "failed" };
    } catch {
      // The script may or may not have run: an unused ticket expires by its TTL, and the player
      // (still here) cannot be admitted there without it.
      return { ok: false, reason: "refused_coord_down" };
    }
  }

  async admit(ticket: string): Promise<Arrival | null> {
    if (!this.up()) return null;
    try {
      const raw = await this.consume([this.ticketKey(ticket)], [this.opts.zone, PLAYER_KEY_TTL_S]);
      if (typeof raw !== "string") return null;
      const d = JSON.parse(raw) as { session: string; from: string; format: number; record: string; frozen_at: number; tp: string };
      return {
        sessionId: d.session, from: d.from, format: d.format, record: new Uint8Array(Buffer.from(d.record, "base64")),
        frozenAtMs: d.frozen_at, traceparent: d.tp === "" ? null : d.tp,
      };
    } catch {
      return null;
    }
  }

  registerPlayer(sessionId: string): void {
    if (!this.up()) return;
    const key = this.playerKey(sessionId);
    this.links.cmd.multi().hset(key, "zone", this.opts.zone).expire(key, PLAYER_KEY_TTL_S).exec().catch(() => {
      this.opts.log.warnLimited("coord.register", {}, "could not record a player's zone in the directory");
    });
  }

  forgetPlayer(sessionId: string): void {
    if (!this.up()) return;
    this.forget([this.playerKey(sessionId)], [this.opts.zone]).catch(() => {
      this.opts.log.warnLimited("coord.forget", {}, "could not forget a player's zone in the directory");
    });
  }

  publish(topic: BusTopic, payload: Record<string, string>): void {
    if (!this.up()) return;
    const fields: (string | number)[] = ["topic", topic, "from", this.opts.zone, "pub", this.instance, "seq", ++this.busSeq, "ts", Date.now()];
    for (const [k, v] of Object.entries(payload)) fields.push(`p.${k}`, v);
    this.links.cmd.xadd(BUS_KEY, "MAXLEN", "~", BUS_STREAM_MAX, "*", ...fields).then(
      () => metrics.zoneBusPublished(topic),
      () => this.opts.log.warnLimited("coord.publish", { topic }, "cross-zone event not published"),
    );
  }

  drainEvents(fn: (e: BusEvent) => void): void {
    const now = Date.now();
    for (const e of this.events) {
      metrics.zoneBusLag(e.topic, Math.max(0, now - e.ts) / 1000);
      fn(e);
    }
    this.events.length = 0;
  }

  async listZones(): Promise<DirectoryEntry[]> {
    if (!this.up()) return [];
    try {
      const keys: string[] = [];
      let cursor = "0";
      do {
        const [next, batch] = await this.links.cmd.scan(cursor, "MATCH", `${PREFIX}zone:*`, "COUNT", 100);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== "0");
      if (keys.length === 0) return [];
      const values = await this.links.cmd.mget(...keys);
      return values.flatMap((v) => (v === null ? [] : [parseEntry(v)])).filter((e): e is DirectoryEntry => e !== null);
    } catch {
      return [];
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.refreshTimer !== null) clearInterval(this.refreshTimer);
    this.settle(null);
    await this.links.close();
  }

  /** The directory entry of `zone`, or null when it has none (expired: the zone is gone). */
  private async lookup(zone: string): Promise<DirectoryEntry | null> {
    const raw = await this.links.cmd.get(`${PREFIX}zone:${zone}`);
    return raw === null ? null : parseEntry(raw);
  }

  /** Writes this zone's directory entry (and its population event) with the latest figures. */
  private refresh(): void {
    if (this.closed || !this.up()) return;
    const s = this.opts.self;
    const entry: DirectoryEntry = {
      zone: this.opts.zone, url: s.url, metrics: s.metrics, population: s.population, tick_p99_ms: Math.round(s.tickP99Ms * 100) / 100,
      instance: this.instance, epoch: s.epoch, started_at_ms: this.startedAt, at_ms: Date.now(),
    };
    this.writeEntry([`${PREFIX}zone:${this.opts.zone}`], [this.instance, JSON.stringify(entry), s.epoch, this.startedAt, this.opts.directoryTtlMs]).then(
      (written) => {
        if (written !== 1) this.opts.log.warnLimited("coord.entry", {}, "directory entry held by a later owner of this zone; not overwritten");
      },
      () => this.opts.log.warnLimited("coord.entry", {}, "directory entry not refreshed"),
    );
    this.publish("population", { population: String(s.population) });
  }

  /** Answers pending seat requests with `a` (null: all of them, as coordinator down). */
  private settle(a: SeatAnswer | null): void {
    for (const [req, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(req);
      p.resolve(a ?? { ok: false, reason: "refused_coord_down" });
    }
  }

  /** Blocks on this zone's seat and reply streams and the bus until closed; survives Redis outages. */
  private async readLoop(): Promise<void> {
    const ids = [await this.tailId(this.seatsKey), await this.tailId(this.repliesKey), await this.tailId(BUS_KEY)];
    const keys = [this.seatsKey, this.repliesKey, BUS_KEY];
    while (!this.closed) {
      try {
        if (ids.includes("")) {
          for (let i = 0; i < keys.length; i++) if (ids[i] === "") ids[i] = await this.tailId(keys[i]);
          if (ids.includes("")) throw new Error("not connected");
        }
        const res = await this.links.reader.xread("COUNT", 256, "BLOCK", READ_BLOCK_MS, "STREAMS", ...keys, ...ids);
        if (res === null) continue;
        for (const [key, entries] of res) {
          const i = keys.indexOf(key);
          for (const [id, flat] of entries) {
            ids[i] = id;
            const f = fieldsOf(flat);
            if (i === 0) this.onSeatRequest(f);
            else if (i === 1) this.onReply(f);
            else this.onBusEvent(f);
          }
        }
      } catch {
        if (this.closed) return;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /** The id of a stream's last entry ("0-0" when empty; "" when Redis cannot be reached). */
  private async tailId(key: string): Promise<string> {
    try {
      const last = await this.links.reader.xrevrange(key, "+", "-", "COUNT", 1);
      return last.length > 0 ? last[0][0] : "0-0";
    } catch {
      return "";
    }
  }

  private onSeatRequest(f: Record<string, string>): void {
    const deadline = Number(f.deadline);
    if (!(Date.now() < deadline) || !f.req || !f.from || !f.session) return;
    const decision = this.opts.onSeatRequest(f.from, f.session);
    this.links.cmd.xadd(`${PREFIX}replies:${f.from}`, "MAXLEN", "~", SEAT_STREAM_MAX, "*", "req", f.req, "result", decision, "url", this.opts.self.url)
      .catch(() => this.opts.log.warnLimited("coord.reply", {}, "seat answer not sent"));
  }

  private onReply(f: Record<string, string>): void {
    const p = this.pending.get(f.req ?? "");
    if (p === undefined) return;
    clearTimeout(p.timer);
    this.pending.delete(f.req);
    if (f.result === "ok" && f.url) p.resolve({ ok: true, url: f.url });
    else p.resolve({ ok: false, reason: f.result === "refused_budget" ? "refused_budget" : "refused_full" });
  }

  private onBusEvent(f: Record<string, string>): void {
    if (f.pub === this.instance) return;
    const topic = f.topic as BusTopic;
    if (!BUS_TOPICS.includes(topic)) return;
    const seq = Number(f.seq);
    if ((this.seenSeq.get(f.pub) ?? 0) >= seq) return;
    this.seenSeq.set(f.pub, seq);
    if (this.events.length >= BUS_QUEUE_MAX) {
      metrics.zoneBusDropped(topic);
      return;
    }
    const payload: Record<string, string> = {};
    for (const [k, v] of Object.entries(f)) if (k.startsWith("p.")) payload[k.slice(2)] = v;
    this.events.push({ topic, from: f.from, ts: Number(f.ts), payload });
  }

  private playerKey(sessionId: string): string {
    return `${PREFIX}player:${sessionId}`;
  }

  private ticketKey(ticket: string): string {
    return `${PREFIX}ticket:${ticket}`;
  }
}

/** A stream entry's flat [field, value, ...] list as a record. */
function fieldsOf(flat: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]] = flat[i + 1];
  return out;
}

/** A directory entry, or null when the JSON is not one. */
function parseEntry(raw: string): DirectoryEntry | null {
  try {
    const e = JSON.parse(raw) as DirectoryEntry;
    return typeof e.zone === "string" && typeof e.url === "string" ? e : null;
  } catch {
    return null;
  }
}
