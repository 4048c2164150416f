// The PostgreSQL store: zones of many servers in one database, for a world past one machine.
// It runs on the zone's store thread (store.worker.ts, behind thread.ts), so neither query
// encoding nor result parsing runs on the tick thread, and a long tick cannot delay a renewal.
// Two connections per zone (node-postgres, async I/O): one carries the lease, one the writes, so a
// slow write never delays a renewal. Every commit is flushed (synchronous_commit=on).
//
// Ownership is a lease row per zone with an epoch. Claiming locks the row (FOR UPDATE), and
// succeeds when the lease has lapsed on the database's clock, or at once when the previous
// owner's lease session is gone (its session-level advisory lock is free again: a killed
// process's connection closes with it). A claim increments the epoch. The owner renews the lease
// every leaseRenewMs. Every write is one statement that first locks the lease row FOR KEY SHARE
// with `epoch = ours` and writes only if that row matched: a claim waits for writes in flight,
// and a write that starts after a claim re-reads the row, finds another epoch and writes nothing.
// So an owner that was paused or cut off past its lease is refused by the database itself; it
// learns so from its next write or renewal (FencedError) and must stop.
import { hostname } from "node:os";
import pg from "pg";
import type { Client as PgClient, ClientConfig } from "pg";
import { newLogBase, sameWorld, worldMismatch } from "./identity.ts";
import type { ChunkRow, Compaction, CompactionResult, EditRow, PlayerRow, StoreLog, StoreOptions, WorldIdentity, ZoneImage } from "./types.ts";
import { FencedError, StoreOpenError, StoreUnavailableError } from "./types.ts";

/** Version of the tables below (world_schema); a database with a newer one is refused. */
const PG_SCHEMA_VERSION = 1;
const DEFAULTS = { leaseMs: 3000, leaseRenewMs: 1000, claimTimeoutMs: 15_000 } as const;
/** A statement unanswered this long fails (the write is retried; retries are idempotent). */
const QUERY_TIMEOUT_MS = 5000;
const CONNECT_TIMEOUT_MS = 3000;
/** Pause between claim attempts while another owner's lease runs. */
const CLAIM_RETRY_MS = 200;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS world_schema (version int NOT NULL);
CREATE TABLE IF NOT EXISTS world_zones (
  zone text PRIMARY KEY, log_base bigint NOT NULL, snapshot_seq bigint NOT NULL,
  seed bigint NOT NULL, chunks_x int NOT NULL, chunks_y int NOT NULL, chunks_z int NOT NULL);
CREATE TABLE IF NOT EXISTS world_leases (
  zone text PRIMARY KEY, epoch bigint NOT NULL, owner text NOT NULL, expires_at timestamptz NOT NULL);
CREATE TABLE IF NOT EXISTS world_edits (
  zone text NOT NULL, seq bigint NOT NULL, epoch bigint NOT NULL, tick bigint NOT NULL, impact_id bigint NOT NULL,
  format smallint NOT NULL, data bytea NOT NULL, row_id bigserial NOT NULL,
  written_at timestamptz NOT NULL DEFAULT clock_timestamp(), PRIMARY KEY (zone, seq));
CREATE TABLE IF NOT EXISTS world_chunks (
  zone text NOT NULL, chunk_id int NOT NULL, format smallint NOT NULL, data bytea NOT NULL, epoch bigint NOT NULL,
  PRIMARY KEY (zone, chunk_id));
CREATE TABLE IF NOT EXISTS world_players (
  zone text NOT NULL, key bytea NOT NULL, format smallint NOT NULL, data bytea NOT NULL, saved_at bigint NOT NULL,
  epoch bigint NOT NULL, PRIMARY KEY (zone, key));
`;

/** The lease row, locked FOR KEY SHARE, when (and only when) `epoch` still owns the zone. */
const OWNED = "SELECT epoch FROM world_leases WHERE zone = $1 AND epoch = $2 FOR KEY SHARE";

const INSERT_EDITS = `WITH l AS (${OWNED}),
i AS (INSERT INTO world_edits (zone, seq, epoch, tick, impact_id, format, data)
  SELECT $1, u.seq, l.epoch, u.tick, u.impact_id, u.format, u.data
  FROM l, unnest($3::bigint[], $4::bigint[], $5::bigint[], $6::smallint[], $7::bytea[]) AS u(seq, tick, impact_id, format, data)
  ON CONFLICT (zone, seq) DO NOTHING RETURNING 1)
SELECT (SELECT count(*) FROM l)::int AS owned`;

const COMPACT = `WITH l AS (${OWNED}),
c AS (INSERT INTO world_chunks (zone, chunk_id, format, data, epoch)
  SELECT $1, u.chunk_id, u.format, u.data, l.epoch FROM l, unnest($4::int[], $5::smallint[], $6::bytea[]) AS u(chunk_id, format, data)
  ON CONFLICT (zone, chunk_id) DO UPDATE SET format = excluded.format, data = excluded.data, epoch = excluded.epoch RETURNING 1),
d AS (DELETE FROM world_edits WHERE zone = $1 AND seq <= $3 AND EXISTS (SELECT 1 FROM l) RETURNING 1),
z AS (UPDATE world_zones SET snapshot_seq = $3 WHERE zone = $1 AND EXISTS (SELECT 1 FROM l) RETURNING 1)
SELECT (SELECT count(*) FROM l)::int AS owned, (SELECT count(*) FROM c)::int AS chunks, (SELECT count(*) FROM d)::int AS deleted`;

const SAVE_PLAYERS = `WITH l AS (${OWNED}),
s AS (INSERT INTO world_players (zone, key, format, data, saved_at, epoch)
  SELECT $1, u.key, u.format, u.data, u.saved_at, l.epoch FROM l, unnest($3::bytea[], $4::smallint[], $5::bytea[], $6::bigint[]) AS u(key, format, data, saved_at)
  ON CONFLICT (zone, key) DO UPDATE SET format = excluded.format, data = excluded.data, saved_at = excluded.saved_at, epoch = excluded.epoch RETURNING 1),
r AS (DELETE FROM world_players WHERE zone = $1 AND key = ANY($7::bytea[]) AND EXISTS (SELECT 1 FROM l) RETURNING 1)
SELECT (SELECT count(*) FROM l)::int AS owned`;

const RENEW = "UPDATE world_leases SET expires_at = now() + $3 * interval '1 millisecond' WHERE zone = $1 AND epoch = $2 RETURNING 1";

const noopLog: StoreLog = { info: () => {}, warn: () => {}, error: () => {} };

/** Connection settings: the URL, plus the session settings every connection of the store needs. */
function clientConfig(url: string, name: string): ClientConfig {
  return {
    connectionString: url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS,
    keepAlive: true,
    application_name: name,
    // A session paused inside a transaction must not hold the lease row's lock for long.
    options: "-c synchronous_commit=on -c idle_in_transaction_session_timeout=5000",
  };
}

/** One connection that reconnects on the next use after it failed. */
class Connection {
  private client: PgClient | null = null;
  private connecting: Promise<PgClient> | null = null;

  constructor(
    private readonly url: string,
    private readonly onConnect: (c: PgClient) => Promise<void>,
    private readonly log: StoreLog,
    private readonly role: string,
    /** application_name, so an operator (or a test) can tell the connections apart in pg_stat_activity. */
    private readonly name: string,
  ) {}

  /** The live client, connecting first when there is none. Rejects with StoreUnavailableError. */
  get(): Promise<PgClient> {
    if (this.client !== null) return Promise.resolve(this.client);
    this.connecting ??= this.connect().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private async connect(): Promise<PgClient> {
    const c = new pg.Client(clientConfig(this.url, this.name));
    // A dropped connection (database restarted, network cut) surfaces here; the next use reconnects.
    c.on("error", (err) => this.drop(c, err));
    c.on("end", () => this.drop(c, new Error("connection ended")));
    try {
      await c.connect();
      await this.onConnect(c);
    } catch (err) {
      void c.end().catch(() => {});
      throw new StoreUnavailableError(`postgres ${this.role} connection: ${errorText(err)}`, { cause: err });
    }
    this.client = c;
    return c;
  }

  private drop(c: PgClient, err: Error): void {
    if (this.client !== c) return;
    this.client = null;
    this.log.warn({ role: this.role, error: errorText(err) }, "postgres connection lost; reconnecting on next use");
    void c.end().catch(() => {});
  }

  /**
   * Runs one statement; a failure drops the connection unless the database answered with an SQL
   * error. With `name` it is a prepared statement: parsed and planned once per connection (pg
   * prepares it again on a new one), which the per-tick writes use.
   */
  async query<R extends Record<string, unknown>>(text: string, values: unknown[] = [], name?: string): Promise<R[]> {
    const c = await this.get();
    try {
      return (await c.query<R>({ text, values, name })).rows;
    } catch (err) {
      // SQLSTATE errors come from a live session; anything else (timeout, reset) means the link is suspect.
      if ((err as { code?: string }).code === undefined) this.drop(c, err as Error);
      throw new StoreUnavailableError(`postgres ${this.role}: ${errorText(err)}`, { cause: err });
    }
  }

  async end(): Promise<void> {
    const c = this.client;
    this.client = null;
    if (c !== null) await c.end().catch(() => {});
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A zone owned through a PostgreSQL lease; see the file comment. It runs on the store thread (store.worker.ts). */
export class PostgresStore {
  readonly backend = "postgres" as const;
  image: ZoneImage = { logBase: 0, snapshotSeq: 0, lastSeq: 0, chunks: [], tail: [], players: [] };
  epoch = 0;
  private readonly lease: Connection;
  private readonly data: Connection;
  private readonly opts: Required<Omit<StoreOptions, "sqliteSync" | "onLeaseRenewalFailure">> & Pick<StoreOptions, "onLeaseRenewalFailure">;
  private renewTimer: NodeJS.Timeout | null = null;
  private renewing = false;
  private fenced: FencedError | null = null;
  private fencedHandlers: ((err: FencedError) => void)[] = [];
  private closed = false;
  /** Advisory-lock key of the zone (hashtextextended of its name, computed by the database). */
  private readonly lockKey = "hashtextextended('voxel-zone:' || $1, 0)";

  private constructor(readonly zone: string, url: string, options: StoreOptions) {
    this.opts = { ...DEFAULTS, log: noopLog, ...stripUndefined(options) };
    // The lease connection re-takes the advisory lock after a reconnect (best effort: see claim()).
    this.lease = new Connection(url, async (c) => {
      if (this.epoch > 0) await c.query(`SELECT pg_try_advisory_lock(${this.lockKey})`, [zone]);
    }, this.opts.log, "lease", `voxel lease ${zone}`);
    this.data = new Connection(url, async () => {}, this.opts.log, "data", `voxel data ${zone}`);
  }

  /** Creates the tables if needed, claims the zone (waiting up to claimTimeoutMs for a live lease to lapse) and loads it. */
  static async openZone(url: string, zone: string, world: WorldIdentity, options: StoreOptions = {}): Promise<PostgresStore> {
    const s = new PostgresStore(zone, url, options);
    try {
      await s.ensureSchema();
      await s.claim();
      s.image = await s.load(world);
    } catch (err) {
      await s.close();
      if (err instanceof StoreUnavailableError) throw new StoreOpenError("STORE", `cannot reach PostgreSQL: ${err.message}`, { cause: err });
      throw err;
    }
    s.renewTimer = setInterval(() => void s.renew(), s.opts.leaseRenewMs);
    s.renewTimer.unref();
    return s;
  }

  private async ensureSchema(): Promise<void> {
    const c = await this.data.get();
    await c.query("BEGIN");
    try {
      // Two servers starting at once must not race on CREATE TABLE.
      await c.query("SELECT pg_advisory_xact_lock(hashtextextended('voxel-schema', 0))");
      await c.query(SCHEMA);
      const rows = (await c.query<{ version: number }>("SELECT version FROM world_schema")).rows;
      if (rows.length === 0) await c.query("INSERT INTO world_schema (version) VALUES ($1)", [PG_SCHEMA_VERSION]);
      else if (rows[0].version > PG_SCHEMA_VERSION) throw new StoreOpenError("STORE", `the database has schema version ${rows[0].version}; this server knows ${PG_SCHEMA_VERSION} (written by a newer server?)`);
      await c.query("COMMIT");
    } catch (err) {
      await c.query("ROLLBACK").catch(() => {});
      throw err;
    }
  }

  /** Claims the lease (see the file comment), retrying until claimTimeoutMs. */
  private async claim(): Promise<void> {
    const deadline = performance.now() + this.opts.claimTimeoutMs;
    const owner = `${hostname()}:${process.pid}`;
    for (;;) {
      const c = await this.lease.get();
      const [{ free }] = (await c.query<{ free: boolean }>(`SELECT pg_try_advisory_lock(${this.lockKey}) AS free`, [this.zone])).rows;
      await c.query("BEGIN");
      try {
        await c.query("INSERT INTO world_leases (zone, epoch, owner, expires_at) VALUES ($1, 0, '', '-infinity') ON CONFLICT (zone) DO NOTHING", [this.zone]);
        const [row] = (await c.query<{ expired: boolean }>("SELECT expires_at < now() AS expired FROM world_leases WHERE zone = $1 FOR UPDATE", [this.zone])).rows;
        if (row.expired || free) {
          const [won] = (await c.query<{ epoch: string }>(
            "UPDATE world_leases SET epoch = epoch + 1, owner = $2, expires_at = now() + $3 * interval '1 millisecond' WHERE zone = $1 RETURNING epoch",
            [this.zone, owner, this.opts.leaseMs],
          )).rows;
          await c.query("COMMIT");
          this.epoch = Number(won.epoch);
          this.opts.log.info({ zone: this.zone, epoch: this.epoch, took_over: !row.expired }, "zone claimed");
          return;
        }
        await c.query("ROLLBACK");
      } catch (err) {
        await c.query("ROLLBACK").catch(() => {});
        throw err;
      }
      if (performance.now() > deadline) {
        throw new StoreOpenError("STORE", `zone ${this.zone} is owned by another running server (its lease did not lapse within ${this.opts.claimTimeoutMs} ms); stop it, or give this one another ZONE`);
      }
      await new Promise((r) => setTimeout(r, CLAIM_RETRY_MS));
    }
  }

  /** Creates the zone's row on first use, checks the world, and reads everything. */
  private async load(world: WorldIdentity): Promise<ZoneImage> {
    const z = this.zone;
    await this.data.query(
      "INSERT INTO world_zones (zone, log_base, snapshot_seq, seed, chunks_x, chunks_y, chunks_z) VALUES ($1, $2, 0, $3, $4, $5, $6) ON CONFLICT (zone) DO NOTHING",
      [z, newLogBase(), world.seed, world.chunksX, world.chunksY, world.chunksZ],
    );
    const [meta] = await this.data.query<{ log_base: string; snapshot_seq: string; seed: string; chunks_x: number; chunks_y: number; chunks_z: number }>(
      "SELECT log_base, snapshot_seq, seed, chunks_x, chunks_y, chunks_z FROM world_zones WHERE zone = $1", [z]);
    const stored = { seed: Number(meta.seed), chunksX: meta.chunks_x, chunksY: meta.chunks_y, chunksZ: meta.chunks_z };
    if (!sameWorld(stored, world)) throw new StoreOpenError("STORE", worldMismatch(`zone ${z} in PostgreSQL`, stored, world));
    const snapshotSeq = Number(meta.snapshot_seq);
    const chunks = (await this.data.query<{ chunk_id: number; format: number; data: Buffer }>(
      "SELECT chunk_id, format, data FROM world_chunks WHERE zone = $1 ORDER BY chunk_id", [z]))
      .map((r): ChunkRow => ({ chunkId: r.chunk_id, format: r.format, data: r.data }));
    const tail = (await this.data.query<{ seq: string; tick: string; impact_id: string; format: number; data: Buffer }>(
      "SELECT seq, tick, impact_id, format, data FROM world_edits WHERE zone = $1 AND seq > $2 ORDER BY seq", [z, snapshotSeq]))
      .map((r): EditRow => ({ seq: Number(r.seq), tick: Number(r.tick), impactId: Number(r.impact_id), format: r.format, data: r.data }));
    const players = (await this.data.query<{ key: Buffer; format: number; data: Buffer; saved_at: string }>(
      "SELECT key, format, data, saved_at FROM world_players WHERE zone = $1", [z]))
      .map((r): PlayerRow => ({ key: r.key, format: r.format, data: r.data, savedAtMs: Number(r.saved_at) }));
    return { logBase: Number(meta.log_base), snapshotSeq, lastSeq: tail.length > 0 ? tail[tail.length - 1].seq : snapshotSeq, chunks, tail, players };
  }

  /** Extends the lease; a renewal that finds another epoch is fenced. A failed one is retried at the next period. */
  private async renew(): Promise<void> {
    if (this.renewing || this.closed || this.fenced !== null) return;
    this.renewing = true;
    try {
      const rows = await this.lease.query(RENEW, [this.zone, this.epoch, this.opts.leaseMs], "voxel_renew");
      if (rows.length === 0) this.fence("lease renewal found another owner");
    } catch (err) {
      this.opts.onLeaseRenewalFailure?.();
      this.opts.log.warn({ zone: this.zone, error: errorText(err) }, "lease renewal failed; retrying");
    } finally {
      this.renewing = false;
    }
  }

  private fence(detail: string): FencedError {
    if (this.fenced === null) {
      this.fenced = new FencedError(this.zone, this.epoch, detail);
      if (this.renewTimer !== null) clearInterval(this.renewTimer);
      for (const h of this.fencedHandlers) h(this.fenced);
    }
    return this.fenced;
  }

  /** Runs a fenced write; rejects with FencedError when the lease row no longer has our epoch. */
  private async write<R extends { owned: number }>(name: string, sql: string, values: unknown[]): Promise<R> {
    if (this.fenced !== null) throw this.fenced;
    if (this.closed) throw new StoreUnavailableError("store closed");
    const [row] = await this.data.query<R>(sql, values, name);
    if (row.owned === 0) throw this.fence("a write found another owner's epoch");
    return row;
  }

  async append(rows: readonly EditRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.write("voxel_insert_edits", INSERT_EDITS, [
      this.zone, this.epoch,
      rows.map((r) => r.seq), rows.map((r) => r.tick), rows.map((r) => r.impactId), rows.map((r) => r.format), rows.map((r) => toBuffer(r.data)),
    ]);
  }

  async compact(c: Compaction): Promise<CompactionResult> {
    const row = await this.write<{ owned: number; chunks: number; deleted: number }>("voxel_compact", COMPACT, [
      this.zone, this.epoch, c.uptoSeq, c.chunks.map((r) => r.chunkId), c.chunks.map((r) => r.format), c.chunks.map((r) => toBuffer(r.data)),
    ]);
    return { chunksWritten: row.chunks, editsDeleted: row.deleted };
  }

  async savePlayers(save: readonly PlayerRow[], remove: readonly Uint8Array[]): Promise<void> {
    await this.write("voxel_save_players", SAVE_PLAYERS, [
      this.zone, this.epoch, save.map((p) => toBuffer(p.key)), save.map((p) => p.format), save.map((p) => toBuffer(p.data)),
      save.map((p) => Math.round(p.savedAtMs)), remove.map(toBuffer),
    ]);
  }

  onFenced(handler: (err: FencedError) => void): void {
    if (this.fenced !== null) handler(this.fenced);
    else this.fencedHandlers.push(handler);
  }

  /** Lets the lease lapse now (the next owner need not wait), then closes both connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.renewTimer !== null) clearInterval(this.renewTimer);
    if (this.epoch > 0 && this.fenced === null) {
      await this.lease.query("UPDATE world_leases SET expires_at = now() WHERE zone = $1 AND epoch = $2", [this.zone, this.epoch]).catch(() => {});
    }
    await Promise.all([this.lease.end(), this.data.end()]);
  }
}

/** node-postgres sends Buffers as bytea (a plain Uint8Array would be sent as text). */
function toBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
