// Acceptance (issue 4, "Tests on loopback, against the real server"): bots move and shoot the
// spawn wall on the real server (startGame, real WebSockets, a real mesh worker thread). Two
// scrapes of /metrics show every metric the issue names, each series labelled with the
// configured zone and shard, and the counters and histogram counts rising in between. Under
// the same load, no label value is a session, entity, command, projectile or impact id or
// anything a player sent, and the series count stays bounded.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Bot } from "../../../src/server/bots/bot.ts";
import { HIT_KINDS, METRICS, SYSTEMS } from "../../../src/shared/telemetry/names.ts";
import type { MetricSpec } from "../../../src/shared/telemetry/names.ts";
import {
  cleanup,
  connectBots,
  HeaderClient,
  jsonLines,
  parseExposition,
  play,
  PROVOCATION,
  sleep,
  total,
  waitUntil,
} from "./harness.ts";
import type { AcceptanceGame, Exposition, Player } from "./harness.ts";
import { startAcceptanceGame } from "./harness.ts";

const ZONE = "z3";
const SHARD = "s5";

/** The metrics issue 4 names, with their Prometheus type. */
const ISSUE_METRICS = {
  game_tick_duration_seconds: "histogram",
  game_system_duration_seconds: "histogram",
  game_voxel_queue_length: "gauge",
  game_voxel_chunks_dirty_total: "counter",
  game_voxel_chunks_meshed_total: "counter",
  game_voxel_mesh_duration_seconds: "histogram",
  game_voxel_collider_duration_seconds: "histogram",
  game_carve_requests_total: "counter",
  game_projectile_hits_total: "counter",
  game_net_snapshot_bytes_total: "counter",
  game_net_delta_bytes_total: "counter",
  game_net_clients: "gauge",
  game_interest_entities: "gauge",
  game_errors_total: "counter",
} as const;

/** The systems the issue lists for game_system_duration_seconds. */
const ISSUE_SYSTEMS = ["projectile", "raycast", "carve", "mesh", "collider", "net"] as const;

/** Node process metrics: event-loop lag, GC, memory (prom-client defaults under the game_ prefix). */
const PROCESS_METRICS = {
  game_nodejs_eventloop_lag_seconds: "gauge",
  game_nodejs_eventloop_lag_p99_seconds: "gauge",
  game_nodejs_gc_duration_seconds: "histogram",
  game_process_resident_memory_bytes: "gauge",
  game_nodejs_heap_size_used_bytes: "gauge",
} as const;

/** Labels prom-client's process collectors use besides zone/shard/le. */
const PROCESS_LABELS = new Set(["kind", "space", "type", "version", "major", "minor", "patch"]);

let g: AcceptanceGame;
let first: Exposition;
let second: Exposition;
let bots: Bot[] = [];
let provocateur: HeaderClient;
let openPlayers = 0;

beforeAll(async () => {
  g = await startAcceptanceGame({ ZONE, SHARD, LOG_LEVEL: "info" });
  bots = await connectBots(g.game.wsUrl, 6);
  provocateur = await HeaderClient.connect(`${g.game.wsUrl}${PROVOCATION.query}`, { ...PROVOCATION.headers }, PROVOCATION.resumeToken);
  const players: Player[] = [...bots, provocateur];
  const loop = play(players, { traceparent: (p) => (p === provocateur ? PROVOCATION.traceparent : null) });
  await waitUntil("a carve and a rebuilt collider", 15_000, () => bots[0].carves.length > 0 && g.game.game.colliders.rebuilds > 0);
  first = parseExposition(await g.scrape());

  // Between the scrapes a player joins (a snapshot is sent) and one sends a frame of an unknown
  // type (an error is counted); the others keep playing.
  const [late] = await connectBots(g.game.wsUrl, 1);
  bots.push(late);
  late.sendRaw(new Uint8Array([0xee, 0x01, 0x02]));
  await sleep(2500);
  openPlayers = players.length + 1;
  second = parseExposition(await g.scrape());
  loop.stop();
}, 30_000);

afterAll(cleanup);

describe("/metrics under load (two scrapes)", () => {
  it("shows every metric the issue names, with its type, in both scrapes", () => {
    for (const e of [first, second]) {
      for (const [name, type] of Object.entries(ISSUE_METRICS)) {
        const f = e.families.get(name);
        expect(f?.type, name).toBe(type);
        expect(f?.samples.length, name).toBeGreaterThan(0);
      }
      for (const system of ISSUE_SYSTEMS) {
        expect(e.samples.some((s) => s.name === "game_system_duration_seconds_count" && s.labels.system === system), system).toBe(true);
      }
      for (const kind of HIT_KINDS) {
        expect(e.samples.some((s) => s.name === "game_projectile_hits_total" && s.labels.kind === kind), kind).toBe(true);
      }
      for (const state of ["connected", "disconnected"]) {
        expect(e.samples.some((s) => s.name === "game_net_clients" && s.labels.state === state), state).toBe(true);
      }
    }
  });

  it("shows Node process metrics: event-loop lag, GC and memory", () => {
    for (const [name, type] of Object.entries(PROCESS_METRICS)) {
      const f = second.families.get(name);
      expect(f?.type, name).toBe(type);
      expect(f?.samples.length, name).toBeGreaterThan(0);
    }
    expect(total(second, "game_nodejs_gc_duration_seconds_count")).toBeGreaterThan(0);
    expect(total(second, "game_process_resident_memory_bytes")).toBeGreaterThan(10 * 1024 * 1024);
    expect(total(second, "game_nodejs_heap_size_used_bytes")).toBeGreaterThan(1024 * 1024);
    const lag = total(second, "game_nodejs_eventloop_lag_seconds");
    expect(Number.isFinite(lag) && lag >= 0).toBe(true);
  });

  it("labels every series of both scrapes with the configured zone and shard", () => {
    const unlabelled = [...first.samples, ...second.samples].filter((s) => s.labels.zone !== ZONE || s.labels.shard !== SHARD);
    expect(unlabelled.map((s) => `${s.name}${JSON.stringify(s.labels)}`)).toEqual([]);
  });

  it("counters and histogram counts rise between the scrapes", () => {
    const rising = (name: string, labels: Record<string, string> = {}): [string, number, number] => [
      `${name}${JSON.stringify(labels)}`, total(first, name, labels), total(second, name, labels),
    ];
    const checks = [
      rising("game_tick_duration_seconds_count"),
      ...ISSUE_SYSTEMS.map((system) => rising("game_system_duration_seconds_count", { system })),
      rising("game_voxel_chunks_dirty_total"),
      rising("game_voxel_chunks_meshed_total"),
      rising("game_voxel_mesh_duration_seconds_count"),
      rising("game_voxel_collider_duration_seconds_count"),
      rising("game_carve_requests_total"),
      // Summed over kinds: which kind a shot hits depends on how much of the wall is left.
      rising("game_projectile_hits_total"),
      rising("game_net_snapshot_bytes_total"),
      rising("game_net_delta_bytes_total"),
      rising("game_errors_total"),
      rising("game_errors_total", { class: "unknown_message" }),
    ];
    const flat = checks.filter(([, a, b]) => !(b > a));
    expect(flat.map(([what, a, b]) => `${what}: ${a} -> ${b}`)).toEqual([]);
    // The tick histogram counts every tick: ~30 per second between the scrapes.
    expect(total(second, "game_tick_duration_seconds_count") - total(first, "game_tick_duration_seconds_count")).toBeGreaterThan(30);
    // Shots at the wall were classified as destructible hits.
    expect(total(second, "game_projectile_hits_total", { kind: "destructible" })).toBeGreaterThan(0);
  });

  it("gauges report the live game: connected players, entities in interest, the mesh queue", () => {
    expect(total(second, "game_net_clients", { state: "connected" })).toBe(openPlayers);
    expect(total(second, "game_interest_entities")).toBeGreaterThan(0);
    expect(total(second, "game_voxel_queue_length")).toBeGreaterThanOrEqual(0);
  });
});

describe("label hygiene under load", () => {
  /** Every id the server handed out or a client used, as strings: sessions, tokens, entities, commands, projectiles, impacts. */
  function knownIds(): Set<string> {
    const ids = new Set<string>();
    const add = (v: unknown): void => {
      if (typeof v === "string" || typeof v === "number") ids.add(String(v));
    };
    for (const p of [...bots, provocateur]) {
      add(p.welcome?.sessionId);
      add(p.welcome?.resumeToken);
      add(p.welcome?.entityId);
      add(p.welcome?.callsign);
      for (const c of p.carves) {
        add(c.impactId);
        add(c.commandId);
        add(c.projectileId);
        add(c.shooterId);
        add(c.did);
      }
    }
    for (const b of bots) {
      for (const id of b.mirror.entities.keys()) add(id);
      for (const h of b.hits) {
        add(h.targetId);
        add(h.projectileId);
        add(h.commandId);
      }
    }
    for (const line of jsonLines(g.logs)) {
      for (const key of ["session_id", "entity_id", "impact_id", "command_id", "projectile_id", "did"]) add(line[key]);
    }
    return ids;
  }

  it("collected the ids to compare against", () => {
    const ids = knownIds();
    // Positive control: impacts, sessions and entities really were seen.
    expect(bots[0].carves.length).toBeGreaterThan(0);
    expect(ids.has(String(bots[0].carves[0].impactId))).toBe(true);
    expect(ids.has(provocateur.welcome!.sessionId)).toBe(true);
    expect(ids.size).toBeGreaterThan(20);
  });

  it("no label value is an id, id-shaped, or anything a player sent", () => {
    const ids = knownIds();
    const problems: string[] = [];
    const nodeVersion = process.versions.node.split(".");
    for (const s of [...first.samples, ...second.samples]) {
      for (const [k, v] of Object.entries(s.labels)) {
        const where = `${s.name}{${k}="${v}"}`;
        if (k === "le") {
          if (!(v === "+Inf" || Number.isFinite(Number(v)))) problems.push(`${where}: le is not a bucket bound`);
          continue;
        }
        if (s.name === "game_nodejs_version_info") {
          const expected = { version: process.version, major: nodeVersion[0], minor: nodeVersion[1], patch: nodeVersion[2] }[k];
          if (expected !== undefined && v !== expected) problems.push(`${where}: not the Node version`);
          if (expected !== undefined) continue;
        }
        if (ids.has(v)) problems.push(`${where}: equals an id seen in this run`);
        if (/^\d+$/.test(v) || /^[0-9a-f]{16,}$/.test(v)) problems.push(`${where}: looks like an id`);
        for (const needle of PROVOCATION.needles) if (v.includes(needle)) problems.push(`${where}: holds what a client sent (${needle})`);
        if (v.includes("127.0.0.1")) problems.push(`${where}: holds an address`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("game metrics use only their declared labels with values from the closed sets", () => {
    const problems: string[] = [];
    for (const spec of Object.values(METRICS) as MetricSpec[]) {
      const f = second.families.get(spec.prom);
      if (f === undefined) {
        problems.push(`${spec.prom}: missing`);
        continue;
      }
      for (const s of f.samples) {
        for (const [k, v] of Object.entries(s.labels)) {
          if (k === "zone" || k === "shard" || (k === "le" && spec.type === "histogram")) continue;
          const allowed = spec.labelValues?.[k];
          if (!spec.labels.includes(k) || allowed === undefined) problems.push(`${s.name}: undeclared label ${k}`);
          else if (!allowed.includes(v)) problems.push(`${s.name}{${k}="${v}"}: not in the closed set`);
        }
      }
    }
    for (const s of second.samples) {
      if (Object.values(METRICS).some((m) => s.name.startsWith(m.prom))) continue;
      for (const k of Object.keys(s.labels)) {
        if (k !== "zone" && k !== "shard" && k !== "le" && !PROCESS_LABELS.has(k)) problems.push(`${s.name}: unexpected label ${k}`);
      }
    }
    expect(problems).toEqual([]);
    // Sanity: the closed sets really are what the issue lists.
    expect(ISSUE_SYSTEMS.every((s) => (SYSTEMS as readonly string[]).includes(s))).toBe(true);
  });

  it("keeps the series count bounded (< 2,000) and independent of the number of players", () => {
    expect(second.samples.length).toBeLessThan(2000);
    const gameSeries = (e: Exposition): number =>
      e.samples.filter((s) => Object.values(METRICS).some((m) => s.name === m.prom || s.name.startsWith(`${m.prom}_`))).length;
    // One more player joined between the scrapes; the game's own series did not multiply.
    expect(gameSeries(second)).toBe(gameSeries(first));
  });
});
