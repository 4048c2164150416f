// Child process of the soak (bench/soak.ts): the players and the hostile clients, in their own
// process so their CPU and GC never land on the server's event loop. Each bot joins, wanders and
// shoots for a random while, then leaves cleanly or drops (a client-side reset) and comes back,
// resuming its player when it dropped. Each hostile slot runs one abuse after another: garbage
// frames, an oversized frame, a command flood, a wrong protocol version, a WebSocket that never
// says hello, resets in the middle of requests, slowloris headers, and a reader that stops
// reading. Every client connects from its own 127.x.y.z address, as distinct hosts would.
import WebSocket from "ws";
import { Bot, loopbackAddress } from "../../src/server/bots/bot.ts";
import { closedWithin, maskedFrame, rawConnect, upgradeRequest } from "../../src/server/bots/hostile.ts";
import { Wanderer } from "../../src/server/bots/wander.ts";
import { ByteWriter, encodeHello, encodeInput, PROTOCOL_VERSION } from "../../src/shared/protocol/index.ts";
import { Rng } from "../../src/shared/voxel/rng.ts";

/** Sent by the parent to start. */
export interface ClientsConfig {
  wsUrl: string;
  url: string;
  metricsUrl: string;
  bots: number;
  hostile: number;
  seed: number;
}

export const HOSTILE_KINDS = ["garbage", "oversized", "flood", "bad_version", "silent", "reset", "slowloris", "slow_reader"] as const;
type HostileKind = (typeof HOSTILE_KINDS)[number];

/** What the clients did so far (cumulative). */
export interface ClientsReport {
  type: "sample" | "final";
  joins: number;
  resumes: number;
  leaves: number;
  drops: number;
  joinFailures: number;
  /** Closes of playing bots that the bots did not ask for, by close code: should stay empty. */
  botClosedByServer: Record<string, number>;
  /** Hostile runs by "kind: outcome". */
  hostile: Record<string, number>;
}

const report: ClientsReport = { type: "sample", joins: 0, resumes: 0, leaves: 0, drops: 0, joinFailures: 0, botClosedByServer: {}, hostile: {} };
const wanderers = new Set<Wanderer>();
const sockets = new Set<{ destroy(): void }>();
let running = true;
let config: ClientsConfig;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const bump = (o: Record<string, number>, k: string): void => {
  o[k] = (o[k] ?? 0) + 1;
};
/** Sleeps up to `ms`, waking early once `done` holds (checked every 100 ms). */
async function sleepUntil(ms: number, done: () => boolean): Promise<void> {
  const until = performance.now() + ms;
  while (running && !done() && performance.now() < until) await sleep(100);
}

/** One player: join (resuming after a drop), play a while, leave or drop, come back. */
async function botLoop(i: number): Promise<void> {
  const rng = new Rng(config.seed + i);
  const localAddress = loopbackAddress(0, i);
  let resumeToken: string | null = null;
  while (running) {
    let bot: Bot;
    try {
      bot = await Bot.connect({ url: config.wsUrl, trackWorld: false, keepEvents: false, resumeToken, localAddress, timeoutMs: 30_000 });
    } catch {
      report.joinFailures++;
      await sleep(1000);
      continue;
    }
    report.joins++;
    if (bot.welcome?.resumed === true) report.resumes++;
    const w = new Wanderer(bot, { fireEvery: 3, roam: 120, inputHz: 30 }, config.seed * 1000 + report.joins);
    wanderers.add(w);
    await sleepUntil(10_000 + rng.next() * 50_000, () => bot.closed !== null);
    wanderers.delete(w);
    resumeToken = null;
    if (bot.closed !== null) bump(report.botClosedByServer, String(bot.closed.code));
    else if (!running || rng.next() < 0.5) {
      await bot.close();
      report.leaves++;
    } else {
      bot.ws.terminate();
      report.drops++;
      resumeToken = bot.welcome?.resumeToken ?? null;
    }
    await sleep(200 + rng.next() * 4800);
  }
}

/** A WebSocket from `localAddress`, open (or rejects). */
function openWs(localAddress: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(config.wsUrl, { localAddress, perMessageDeflate: false });
    sockets.add({ destroy: () => ws.terminate() });
    ws.on("error", () => {});
    ws.once("open", () => resolve(ws));
    ws.once("close", () => reject(new Error("closed before open")));
  });
}

/** The close code the server answers with (or "still open" after `ms`, then it is cut). */
function closeCode(ws: WebSocket, ms: number): Promise<string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      ws.terminate();
      resolve("still open");
    }, ms);
    ws.once("close", (code: number) => {
      clearTimeout(timer);
      resolve(String(code));
    });
  });
}

const REQUESTS = [
  "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", upgradeRequest("/ws"), upgradeRequest("/"),
  `POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{"resourceSpans":[`,
  `POST /telemetry/sentry HTTP/1.1\r\nHost: x\r\nContent-Length: 400\r\n\r\n{"dsn":"`,
];

/** One abuse of `kind` from `localAddress`; resolves with its outcome (a close code, "closed", ...). */
async function abuse(kind: HostileKind, localAddress: string, rng: Rng): Promise<string> {
  const w = new ByteWriter(256);
  const port = Number(new URL(config.url).port);
  if (kind === "reset" || kind === "slowloris" || kind === "slow_reader") return rawAbuse(kind, port, localAddress, rng);
  const ws = await openWs(localAddress);
  const closed = closeCode(ws, 30_000);
  if (kind === "bad_version") ws.send(encodeHello(w, { version: PROTOCOL_VERSION + 999, resumeToken: null }).slice());
  if (kind === "oversized") ws.send(Buffer.alloc(70_000, 1));
  if (kind === "garbage" || kind === "flood") {
    if (kind === "flood") ws.send(encodeHello(w, { version: PROTOCOL_VERSION, resumeToken: null }).slice());
    let seq = 0;
    const timer = setInterval(() => {
      if (ws.readyState !== ws.OPEN) return;
      // A flood of 1000 commands a second (12x the per-session rate limit) until it is closed.
      for (let k = 0; k < (kind === "flood" ? 20 : 1); k++) {
        ws.send(kind === "flood"
          ? encodeInput(w, { seq: ++seq, dt: 1 / 30, forward: 1, right: 0, yaw: 0, pitch: 0, buttons: 0 }).slice()
          : Buffer.from([0x7e, rng.int(256), rng.int(256), rng.int(256)]));
      }
    }, 20);
    const code = await closed;
    clearInterval(timer);
    return code;
  }
  return closed;
}

/** The raw-socket abuses: resets mid-request, slowloris headers, a reader that stops reading. */
async function rawAbuse(kind: "reset" | "slowloris" | "slow_reader", port: number, localAddress: string, rng: Rng): Promise<string> {
  if (kind === "reset") {
    for (let k = 0; k < 10; k++) {
      const s = await rawConnect(port, { localAddress });
      const req = REQUESTS[rng.int(REQUESTS.length)];
      s.write(req.slice(0, 1 + rng.int(req.length)));
      await sleep(10 + rng.int(40));
      s.resetAndDestroy();
    }
    return "reset x10";
  }
  const s = await rawConnect(port, { localAddress });
  sockets.add(s);
  if (kind === "slowloris") {
    s.resume();
    s.write("GET / HTTP/1.1\r\nHost: x\r\n");
    const timer = setInterval(() => void (s.writable && s.write("X-Slow: 1\r\n")), 1000);
    const closed = await closedWithin(s, 30_000);
    clearInterval(timer);
    return closed ? "closed" : "still open";
  }
  s.pause();
  s.write(upgradeRequest("/ws"));
  s.write(maskedFrame(encodeHello(new ByteWriter(64), { version: PROTOCOL_VERSION, resumeToken: null })));
  // Read nothing for 20 s (the heartbeat closes it after 10-13 s), then drain to see whether
  // the server did (a FIN is only seen by a reader).
  await sleep(20_000);
  s.resume();
  return (await closedWithin(s, 5000)) ? "closed" : "still open";
}

/** One hostile slot: abuses of every kind in turn, from its own address. */
async function hostileLoop(i: number): Promise<void> {
  const rng = new Rng(config.seed * 7 + i);
  const localAddress = loopbackAddress(1, i);
  for (let n = i; running; n++) {
    const kind = HOSTILE_KINDS[n % HOSTILE_KINDS.length];
    const outcome = await abuse(kind, localAddress, rng).catch((err: unknown) => `failed: ${err instanceof Error ? err.message : String(err)}`);
    bump(report.hostile, `${kind}: ${outcome}`);
    await sleep(500);
  }
}

function start(cfg: ClientsConfig): void {
  config = cfg;
  const begin = performance.now();
  const inputs = setInterval(() => {
    const t = (performance.now() - begin) / 1000;
    for (const w of wanderers) w.step(t);
  }, 1000 / 30);
  const loops = [
    ...Array.from({ length: cfg.bots }, (_, i) => botLoop(i)),
    ...Array.from({ length: cfg.hostile }, (_, i) => hostileLoop(i)),
  ];
  process.on("message", (m: { type: string }) => {
    if (m.type === "sample") process.send?.({ ...report, type: "sample" });
    if (m.type !== "stop") return;
    running = false;
    void Promise.race([Promise.allSettled(loops), sleep(10_000)]).then(() => {
      clearInterval(inputs);
      for (const s of sockets) s.destroy();
      process.send?.({ ...report, type: "final" }, () => process.exit(0));
    });
  });
}

process.once("message", (m: { type: string; config: ClientsConfig }) => {
  if (m.type === "start") start(m.config);
});
