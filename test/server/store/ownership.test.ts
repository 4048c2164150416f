// One owner per zone, and a store that goes away, against the real CLI and real engines:
//   - SQLite: a second server for the same zone refuses to start, naming STORE;
//   - PostgreSQL, paused owner: the owner is SIGSTOPped past its lease, a second server claims the
//     zone and writes, then the first gets SIGCONT: the database refuses its writes (no row of the
//     old epoch after the new epoch's first), and it stops and exits 75;
//   - PostgreSQL stopped mid-game: the game keeps ticking, the backlog stays bounded and carving
//     is refused (counted) while hits still count; once the database is back the backlog drains,
//     and every carve a bot was sent is stored.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_FENCED } from "../../../src/server/bootstrap.ts";
import { Bot, loopbackAddress } from "../../../src/server/bots/bot.ts";
import { killClis, startCli } from "../cli.ts";
import type { Cli } from "../cli.ts";
import { startPostgres } from "./postgres.ts";
import type { TestPostgres } from "./postgres.ts";

afterAll(() => killClis());

const wsUrl = (c: Cli): string => `${c.gameUrl.replace(/^http/, "ws")}/ws`;

/** Sum of a metric's samples (all label sets) in a /metrics scrape. */
async function metric(cli: Cli, name: string): Promise<number> {
  const text = await (await fetch(`${cli.metricsUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

/** Fires each bot at the ground around it every 270 ms (just past the weapon's cooldown) until stopped. */
function shoot(bots: readonly Bot[]): () => void {
  let i = 0;
  const t = setInterval(() => {
    i++;
    for (const b of bots) if (b.closed === null) b.fire(Math.sin(i * 1.7), -2, Math.cos(i * 1.3));
  }, 270);
  return () => clearInterval(t);
}

describe("SQLite: one owner per zone", () => {
  const dir = mkdtempSync(join(tmpdir(), "voxel-owner-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("a second server for the same zone refuses to start and names the setting; another zone starts", async () => {
    const first = await startCli({ STORE: `sqlite:${dir}` });
    await expect(startCli({ STORE: `sqlite:${dir}` })).rejects.toThrow(/STORE: zone z0: .* is locked by another running server/);
    const other = await startCli({ STORE: `sqlite:${dir}`, ZONE: "z1" });
    for (const c of [first, other]) {
      c.child.kill("SIGTERM");
      expect((await c.exited).code).toBe(0);
    }
  }, 60_000);
});

describe("PostgreSQL: fencing and outages", () => {
  let pg: TestPostgres;
  beforeAll(async () => {
    pg = await startPostgres();
  }, 60_000);
  afterAll(() => pg?.stop());

  it("a paused owner is fenced by the database once another claims the zone, writes nothing more, and exits 75", async () => {
    const env = { STORE: pg.url, ZONE: "zp", STORE_LEASE_MS: "1000" };
    const a = await startCli(env);
    const botA = await Bot.connect({ url: wsUrl(a), localAddress: loopbackAddress(0, 0) });
    const stopA = shoot([botA]);
    await botA.waitFor(() => botA.carves.length >= 2, 15_000);
    const epochA = Number(a.lines.find((l) => l.msg === "zone recovered")!.epoch);

    // Paused past its lease (the bot keeps firing into its socket), a second server claims the zone.
    a.child.kill("SIGSTOP");
    const b = await startCli(env);
    const epochB = Number(b.lines.find((l) => l.msg === "zone recovered")!.epoch);
    expect(epochB).toBe(epochA + 1);
    const botB = await Bot.connect({ url: wsUrl(b), localAddress: loopbackAddress(0, 1) });
    const stopB = shoot([botB]);
    await botB.waitFor(() => botB.carves.length >= 2, 15_000);

    // The old owner wakes up with queued fire commands and a lapsed lease.
    a.child.kill("SIGCONT");
    const exit = await a.exited;
    stopA();
    expect(exit.code).toBe(EXIT_FENCED);
    expect(a.lines.some((l) => l.msg === "zone ownership lost: another server owns it now; stopping")).toBe(true);
    await botB.waitFor(() => botB.carves.length >= 4, 15_000);
    stopB();

    const [{ stale, first }] = await pg.query<{ stale: number; first: number | null }>(
      `SELECT (SELECT count(*)::int FROM world_edits WHERE zone = 'zp' AND epoch = $1
                 AND row_id > (SELECT min(row_id) FROM world_edits WHERE zone = 'zp' AND epoch = $2)) AS stale,
              (SELECT min(seq)::int FROM world_edits WHERE zone = 'zp' AND epoch = $2) AS first`,
      [epochA, epochB],
    );
    expect(first).not.toBeNull();
    expect(stale).toBe(0);
    // The new owner's log continues the old one's durable edits without a gap or an overwrite.
    const seqs = await pg.query<{ seq: number; epoch: number }>("SELECT seq::int, epoch::int FROM world_edits WHERE zone = 'zp' ORDER BY seq");
    expect(seqs.map((r) => r.seq)).toEqual(seqs.map((_, i) => i + 1));
    expect(seqs.filter((r) => r.epoch === epochB).map((r) => r.seq)).toEqual(seqs.slice(seqs.findIndex((r) => r.epoch === epochB)).map((r) => r.seq));
    for (const s of botB.carves) expect(seqs.find((r) => r.seq === s.seq)?.epoch).toBe(epochB);
    await botA.close();
    await botB.close();
    b.child.kill("SIGTERM");
    expect((await b.exited).code).toBe(0);
  }, 120_000);

  it("the database stopped mid-game: ticking goes on, the backlog is bounded and counted, nothing broadcast is lost", async () => {
    const cli = await startCli({ STORE: pg.url, ZONE: "zd", STORE_MAX_PENDING_EDITS: "16", STORE_LEASE_MS: "60000" });
    const bots = [0, 1, 2].map((i) => Bot.connect({ url: wsUrl(cli), localAddress: loopbackAddress(0, i) }));
    const joined = await Promise.all(bots);
    const stop = shoot(joined);
    await Promise.all(joined.map((b) => b.waitFor(() => b.carves.length >= 1, 15_000)));

    await pg.pause();
    const tick0 = joined[0].tick;
    const hits0 = await metric(cli, "game_projectile_hits_total");
    // 3 bots carve ~11 edits a second: the bound of 16 is reached within seconds, then carving is refused.
    await new Promise((r) => setTimeout(r, 4000));
    const refused = await metric(cli, "game_carves_refused_total");
    const pending = await metric(cli, "game_store_pending_edits");
    expect(refused).toBeGreaterThan(0);
    expect(pending).toBeGreaterThan(0);
    expect(pending).toBeLessThanOrEqual(16 + 3);
    expect(await metric(cli, "game_projectile_hits_total")).toBeGreaterThan(hits0);
    expect(joined[0].tick - tick0).toBeGreaterThan(60);
    expect((await fetch(`${cli.gameUrl}/healthz`)).status).toBe(200);

    await pg.resume();
    const drained = async (): Promise<boolean> => (await metric(cli, "game_store_pending_edits")) === 0;
    // The bots keep shooting, so a new carve may be pending again right after the backlog drained:
    // the check is that it reached 0, not that it stays there.
    let empty = false;
    for (let i = 0; i < 100 && !(empty = await drained()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(empty).toBe(true);
    const carvesBefore = joined[0].carves.length;
    await joined[0].waitFor(() => joined[0].carves.length > carvesBefore + 2, 15_000);
    stop();

    cli.child.kill("SIGKILL");
    await cli.exited;
    const rows = await pg.query<{ seq: number; impact_id: number }>("SELECT seq::int, impact_id::float8 AS impact_id FROM world_edits WHERE zone = 'zd'");
    const stored = new Map(rows.map((r) => [r.seq, r.impact_id]));
    let seen = 0;
    for (const b of joined) {
      for (const c of b.carves) {
        expect(stored.get(c.seq), `seq ${c.seq}`).toBe(c.impactId);
        seen++;
      }
    }
    expect(seen).toBeGreaterThan(0);
    for (const b of joined) await b.close();
  }, 120_000);
});
