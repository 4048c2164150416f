// Child process of `loadtest --zones N --travel`: connects N bots spread over the zones (bot j
// to zone j mod N), walks them as travellers (src/server/bots/travel.ts; even bots head east, odd
// ones west, turning at the ends of the line), and records what the bots see: each hand-off's
// time from Transfer to the first snapshot of the next zone, and each benchmark kill-feed event
// (published by the loadtest straight onto the bus) as a Down message, with its latency (both
// stamped with Date.now(): the same clock in both processes). The bots stay until the parent
// says close, so it can check the directory's player locations while they are still there. It runs
// in its own process so bot CPU, GC and event-loop time never land on the zones' tick timings.
import { Bot, loopbackAddress } from "../../src/server/bots/bot.ts";
import { Traveller } from "../../src/server/bots/travel.ts";

/** Sent by the parent to start the travellers. */
export interface TravelConfig {
  /** Zone name and ws:// URL of each zone, in line order. */
  zones: { zone: string; url: string }[];
  bots: number;
  seconds: number;
  warmup: number;
  inputHz: number;
  /** Callsign prefix of the loadtest's own kill-feed events ("<prefix><seq>", target: publish time). */
  busPrefix: string;
  /** After the window, how long a bot may still be between zones before it counts as lost (ms): a ticket's life. */
  settleMs: number;
}

/** One bot at the end of the run. */
export interface TravellerEnd {
  session: string;
  zone: string;
  /** Playing (joined and not between zones). */
  playing: boolean;
  /** Status name of its connection (playing, transferring, reconnecting, closed ...). */
  status: string;
  closedCode: number | null;
  transfers: number;
}

/** What the travellers report back. */
export interface TravelResult {
  type: "result";
  connected: number;
  seconds: number;
  /** Transfer received -> first snapshot from the next zone, ms, one per hand-off completed in the window. */
  clientHandoffMs: number[];
  /** Publish -> Down received, ms (Date.now(), 1 ms resolution), one per (bot, benchmark event) received in the window. */
  busLatencyMs: number[];
  /** Publish -> the first bot of a zone received it, ms, one per (benchmark event, zone): the zone's delivery without the bot process's queue. */
  busFirstMs: number[];
  /** Per benchmark event seq: the zones in which at least one bot received it. */
  busZonesBySeq: Record<string, string[]>;
  bots: TravellerEnd[];
  /** Hand-offs the bots completed over the whole run (warm-up included). */
  transfersTotal: number;
  cpuPercent: number;
}

type ParentMsg = { type: "start"; config: TravelConfig } | { type: "measure" } | { type: "close" };

const send = (m: unknown): void => {
  process.send?.(m);
};


const bots: Bot[] = [];
const walkers: Traveller[] = [];

async function connectAll(cfg: TravelConfig): Promise<void> {
  const start = performance.now();
  for (let i = 0; i < cfg.bots; i += 10) {
    const batch = [];
    for (let j = i; j < Math.min(cfg.bots, i + 10); j++) {
      // Every bot from its own 127.x address, as distinct players would be (per-address cap).
      batch.push(Bot.connect({ url: cfg.zones[j % cfg.zones.length].url, trackWorld: false, keepEvents: false, timeoutMs: 60000, localAddress: loopbackAddress(0, j) }));
    }
    for (const b of await Promise.all(batch)) {
      walkers.push(new Traveller(b, bots.length % 2 === 0 ? "east" : "west", 1000 + bots.length, cfg.inputHz));
      bots.push(b);
    }
  }
  send({ type: "ready", connected: bots.length, joinMs: performance.now() - start });
}

/** Playing in a zone: joined, connection open and not between zones. */
const playing = (b: Bot): boolean => b.closed === null && b.joined;

async function measure(cfg: TravelConfig): Promise<void> {
  let measuring = false;
  const clientHandoffMs: number[] = [];
  const busLatencyMs: number[] = [];
  const busFirstMs: number[] = [];
  const busZones = new Map<string, Set<string>>();
  const seen = bots.map((b) => b.transfers);
  for (const b of bots) {
    b.onDown = (m) => {
      if (!measuring || !m.shooterCallsign.startsWith(cfg.busPrefix)) return;
      const at = Number(m.targetCallsign);
      if (!Number.isFinite(at)) return;
      const ms = Date.now() - at;
      busLatencyMs.push(ms);
      const seq = m.shooterCallsign.slice(cfg.busPrefix.length);
      let zones = busZones.get(seq);
      if (zones === undefined) busZones.set(seq, (zones = new Set()));
      if (!zones.has(b.zone)) busFirstMs.push(ms);
      zones.add(b.zone);
    };
  }
  let cpu0 = process.cpuUsage();
  const begin = performance.now();
  let start = begin;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      for (const w of walkers) w.step();
      for (let i = 0; i < bots.length; i++) {
        const b = bots[i];
        if (b.transfers === seen[i]) continue;
        // Transfers are seconds apart (the hand-off cooldown): one step sees at most one.
        seen[i] = b.transfers;
        if (measuring) clientHandoffMs.push(b.connection.stats.lastTransferMs);
      }
      if (!measuring && now - begin >= cfg.warmup * 1000) {
        measuring = true;
        cpu0 = process.cpuUsage();
        start = now;
        send({ type: "window", at: Date.now() });
      }
      if (measuring && now - start >= cfg.seconds * 1000) {
        clearInterval(timer);
        resolve();
      }
    }, 1000 / cfg.inputHz);
  });
  measuring = false;
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  // The bots stand still; one between zones has until its ticket expires to arrive.
  const settleUntil = performance.now() + cfg.settleMs;
  while (performance.now() < settleUntil && bots.some((b) => b.closed === null && !b.joined)) await new Promise((r) => setTimeout(r, 100));
  const result: TravelResult = {
    type: "result",
    connected: bots.length,
    seconds,
    clientHandoffMs,
    busLatencyMs,
    busFirstMs,
    busZonesBySeq: Object.fromEntries([...busZones].map(([seq, zones]) => [seq, [...zones].sort()])),
    bots: bots.map((b) => ({
      session: b.welcome?.sessionId ?? "",
      zone: b.zone,
      playing: playing(b),
      status: b.connection.status,
      closedCode: b.closed?.code ?? null,
      transfers: b.transfers,
    })),
    transfersTotal: bots.reduce((s, b) => s + b.transfers, 0),
    cpuPercent: ((cpu.user + cpu.system) / 1000 / (seconds * 1000)) * 100,
  };
  send(result);
}

/** Leaves with every bot (after the parent has checked where they are) and exits. */
async function closeAll(): Promise<void> {
  await Promise.all(bots.map((b) => b.close()));
  process.exit(0);
}

let config: TravelConfig | null = null;

process.on("message", (m: ParentMsg) => {
  if (m.type === "start") {
    config = m.config;
    connectAll(m.config).catch((err: unknown) => {
      send({ type: "failed", error: String(err) });
      process.exit(1);
    });
  } else if (m.type === "measure" && config !== null) {
    void measure(config);
  } else if (m.type === "close") {
    void closeAll();
  }
});
