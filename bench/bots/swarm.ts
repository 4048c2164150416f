// Child process of the loadtest: connects N bots to the server, waits for the go signal, drives
// them (move + fire) for the measurement window, and reports what they received. It runs in its
// own process so bot CPU, GC and event-loop time never land on the server's tick timings.
import { Bot, loopbackAddress } from "../../src/server/bots/bot.ts";
import { Wanderer } from "../../src/server/bots/wander.ts";

/** Sent by the parent to start a swarm. */
export interface SwarmConfig {
  url: string;
  bots: number;
  seconds: number;
  fireEvery: number;
  roam: number;
  inputHz: number;
  /** Bots that keep a world copy for the checksum comparison. */
  trackers: number;
  /** Seconds of play before the measurement window (JIT warm-up, crowd settling). */
  warmup: number;
}

/** What the swarm reports back. */
export interface SwarmResult {
  type: "result";
  connected: number;
  closed: number;
  seconds: number;
  payloadBytes: number;
  wireBytes: number;
  frames: number;
  carvesSeenByFirst: number;
  hitsSeen: number;
  errorsSeen: number;
  decodeErrors: number;
  inconsistencies: number;
  entitiesInView: number[];
  tickAvgSamples: number[];
  tickMaxSamples: number[];
  checksums: number[];
  joinMs: number;
  /** CPU the bot process used during the window, % of one core. */
  cpuPercent: number;
}

type ParentMsg = { type: "start"; config: SwarmConfig } | { type: "measure" };

const send = (m: unknown): void => {
  process.send?.(m);
};

let config: SwarmConfig | null = null;
const bots: Bot[] = [];
const wanderers: Wanderer[] = [];

/** WebSocket framing a server-to-client frame of `len` payload bytes adds. */
function frameOverhead(len: number): number {
  return len < 126 ? 2 : len < 65536 ? 4 : 10;
}

async function connectAll(cfg: SwarmConfig): Promise<void> {
  const start = performance.now();
  // Against a loopback server every bot comes from its own 127.x address, as distinct players
  // would (the server caps connections per address).
  const loopback = new URL(cfg.url).hostname === "127.0.0.1";
  for (let i = 0; i < cfg.bots; i += 10) {
    const batch = [];
    for (let j = i; j < Math.min(cfg.bots, i + 10); j++) {
      const localAddress = loopback ? loopbackAddress(0, j) : undefined;
      batch.push(Bot.connect({ url: cfg.url, trackWorld: j < cfg.trackers, keepEvents: false, timeoutMs: 60000, localAddress }));
    }
    for (const b of await Promise.all(batch)) {
      bots.push(b);
      wanderers.push(new Wanderer(b, cfg, 1000 + bots.length));
    }
  }
  send({ type: "ready", connected: bots.length, joinMs: performance.now() - start });
}

/** Zeroes every per-bot counter (start of the measurement window). */
function resetCounters(): void {
  for (const b of bots) {
    b.bytesIn = 0;
    b.framesIn = 0;
    b.carveCount = 0;
    b.hitCount = 0;
    b.errorCount = 0;
    b.tickSamples.length = 0;
    b.tickMaxSamples.length = 0;
  }
}

async function measure(cfg: SwarmConfig): Promise<void> {
  let wire = 0;
  let measuring = false;
  for (const b of bots) b.ws.on("message", (d: Buffer) => void (measuring && (wire += d.length + frameOverhead(d.length))));
  const inView: number[] = [];
  let cpu0 = process.cpuUsage();
  const begin = performance.now();
  let start = begin;
  const period = 1000 / cfg.inputHz;
  let sampleAt = Infinity;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      for (const w of wanderers) w.step((now - begin) / 1000);
      if (!measuring && now - begin >= cfg.warmup * 1000) {
        // Warm-up over: the window starts now, on both sides.
        measuring = true;
        resetCounters();
        cpu0 = process.cpuUsage();
        start = now;
        sampleAt = now + 1000;
        send({ type: "window" });
      }
      if (measuring && now >= sampleAt) {
        sampleAt += 1000;
        for (const b of bots) if (b.closed === null) inView.push(b.mirror.entities.size);
      }
      if (measuring && now - start >= cfg.seconds * 1000) {
        clearInterval(timer);
        resolve();
      }
    }, period);
  });
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  // Let in-flight shots land and their carve events arrive before comparing worlds.
  await new Promise((r) => setTimeout(r, 1500));
  const result: SwarmResult = {
    type: "result",
    connected: bots.length,
    closed: bots.filter((b) => b.closed !== null).length,
    seconds,
    payloadBytes: bots.reduce((s, b) => s + b.bytesIn, 0),
    wireBytes: wire,
    frames: bots.reduce((s, b) => s + b.framesIn, 0),
    carvesSeenByFirst: bots[0]?.carveCount ?? 0,
    hitsSeen: bots.reduce((s, b) => s + b.hitCount, 0),
    errorsSeen: bots.reduce((s, b) => s + b.errorCount, 0),
    decodeErrors: bots.reduce((s, b) => s + b.decodeErrors, 0),
    inconsistencies: bots.reduce((s, b) => s + b.mirror.inconsistencies, 0),
    entitiesInView: inView,
    tickAvgSamples: bots[0]?.tickSamples ?? [],
    tickMaxSamples: bots[0]?.tickMaxSamples ?? [],
    checksums: bots.slice(0, cfg.trackers).map((b) => b.checksum()),
    joinMs: 0,
    cpuPercent: ((cpu.user + cpu.system) / 1000 / (seconds * 1000)) * 100,
  };
  send(result);
  await Promise.all(bots.map((b) => b.close()));
  process.exit(0);
}

process.on("message", (m: ParentMsg) => {
  if (m.type === "start") {
    config = m.config;
    connectAll(m.config).catch((err: unknown) => {
      send({ type: "failed", error: String(err) });
      process.exit(1);
    });
  } else if (m.type === "measure" && config !== null) {
    void measure(config);
  }
});
