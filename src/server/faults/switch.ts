// The development-only fault switch (FAULTS=1; never in production): faults an operator or a
// test turns on and off over the metrics listener, so each alert can be seen to fire and to
// resolve against the real server.
//
//   GET    /debug/faults          the active faults
//   PUT    /debug/faults/<name>   turn one on (JSON body: its parameters; {} for the defaults)
//   DELETE /debug/faults/<name>   turn one off;  DELETE /debug/faults  turns all off
//
// Faults: slow_tick (busy-waits inside a system every tick; a long one stalls the event loop),
// system_throw (a system throws every tick), drop_span_exports (every OTLP export fails
// without being sent), flood_warnings (rate-limited warnings at a rate, most of them counted
// as dropped), client_breadcrumbs (a test client posts breadcrumbs with GPU errors and a
// chosen frame time to the game's own ingest).
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "../../shared/zod.ts";
import { COMPONENTS, SYSTEMS } from "../../shared/telemetry/names.ts";
import type { Component, SystemName } from "../../shared/telemetry/names.ts";
import { readLimitedBody } from "../http/body.ts";
import { sendJson } from "../http/respond.ts";
import type { System } from "../systems/types.ts";
import { logger } from "../telemetry/facade.ts";
import { fakeBatch, postBatch } from "./client.ts";

const log = logger("server");

/** Path prefix of the switch on the metrics listener. */
const FAULTS_PATH = "/debug/faults";

const PARAMS = {
  slow_tick: z.strictObject({
    ms: z.number().int().min(1).max(30_000).default(60),
    system: z.enum(SYSTEMS).default("intake"),
  }),
  system_throw: z.strictObject({ system: z.enum(SYSTEMS).default("npc") }),
  drop_span_exports: z.strictObject({}),
  flood_warnings: z.strictObject({
    per_second: z.number().int().min(1).max(10_000).default(100),
    component: z.enum(COMPONENTS).default("sim"),
  }),
  client_breadcrumbs: z.strictObject({
    per_second: z.number().min(0.1).max(20).default(2),
    gpu_errors: z.number().int().min(0).max(1000).default(5),
    frame_ms: z.number().min(1).max(1000).default(16.7),
    frames: z.number().int().min(1).max(1000).default(60),
  }),
} as const;

/** The faults the switch knows. */
const FAULT_NAMES = Object.keys(PARAMS) as FaultName[];
export type FaultName = keyof typeof PARAMS;
type Params = { [K in FaultName]: z.infer<(typeof PARAMS)[K]> };

/** Timers and counters of the faults that run on their own. */
interface Running {
  timer: NodeJS.Timeout;
  sent: number;
  failed: number;
}

/** Fault state plus the hooks the server consults (cheap when nothing is on). */
export class FaultSwitch {
  private readonly active: Partial<Params> = {};
  private readonly running: Partial<Record<FaultName, Running>> = {};
  private gameUrl: string | null = null;

  /** Where client_breadcrumbs posts (the game's base URL), once the game port is bound. */
  attachGame(url: string): void {
    this.gameUrl = url;
  }

  /** True while drop_span_exports is on: the OTLP exporter fails the batch instead of sending it. */
  readonly dropExports = (): boolean => this.active.drop_span_exports !== undefined;

  /** The systems with the slow_tick and system_throw hooks in front of each one. */
  wrapSystems(systems: readonly System[]): System[] {
    return systems.map((sys) => ({
      name: sys.name,
      run: (game, ctx) => {
        this.beforeSystem(sys.name);
        sys.run(game, ctx);
      },
    }));
  }

  private beforeSystem(name: SystemName): void {
    const slow = this.active.slow_tick;
    if (slow !== undefined && slow.system === name) {
      // A real stall: nothing else runs on the event loop meanwhile.
      const until = performance.now() + slow.ms;
      while (performance.now() < until) {
        // busy-wait
      }
    }
    if (this.active.system_throw?.system === name) throw new Error(`fault injection: ${name} throws`);
  }

  /** The active faults and their parameters (and what the running ones did). */
  state(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const name of FAULT_NAMES) {
      const p = this.active[name];
      if (p === undefined) continue;
      const r = this.running[name];
      out[name] = r === undefined ? p : { ...p, sent: r.sent, failed: r.failed };
    }
    return out;
  }

  /** Turns a fault on (replacing its parameters if it was on). Throws a ZodError for bad parameters. */
  set<K extends FaultName>(name: K, raw: unknown): Params[K] {
    const params = PARAMS[name].parse(raw ?? {}) as Params[K];
    this.clear(name);
    this.active[name] = params;
    if (name === "flood_warnings") this.startFlood(params as Params["flood_warnings"]);
    if (name === "client_breadcrumbs") this.startClient(params as Params["client_breadcrumbs"]);
    log.warn({ fault: name, params: JSON.stringify(params) }, "fault injected");
    return params;
  }

  /** Turns one fault off; returns whether it was on. */
  clear(name: FaultName): boolean {
    const was = this.active[name] !== undefined;
    const r = this.running[name];
    if (r !== undefined) clearInterval(r.timer);
    delete this.running[name];
    delete this.active[name];
    if (was) log.warn({ fault: name }, "fault cleared");
    return was;
  }

  /** Turns every fault off and stops their timers (also on shutdown). */
  clearAll(): void {
    for (const name of FAULT_NAMES) this.clear(name);
  }

  private startFlood(p: Params["flood_warnings"]): void {
    const flood = logger(p.component as Component);
    // Ten bursts a second; every call goes through the per-site limiter, as a real storm would.
    const perBurst = Math.max(1, Math.round(p.per_second / 10));
    const r: Running = { sent: 0, failed: 0, timer: setInterval(() => {
      for (let i = 0; i < perBurst; i++) flood.warnLimited("fault.flood", { fault: "flood_warnings" }, "injected warning");
      r.sent += perBurst;
    }, 100) };
    r.timer.unref();
    this.running.flood_warnings = r;
  }

  private startClient(p: Params["client_breadcrumbs"]): void {
    const r: Running = { sent: 0, failed: 0, timer: setInterval(() => {
      const url = this.gameUrl;
      if (url === null) return;
      const batch = fakeBatch({ frames: p.frames, frameMs: p.frame_ms, gpuValidationErrors: p.gpu_errors }, Date.now());
      void postBatch(url, batch).then((status) => {
        if (status === 202) r.sent++;
        else r.failed++;
      });
    }, 1000 / p.per_second) };
    r.timer.unref();
    this.running.client_breadcrumbs = r;
  }

  /** The metrics-listener route for /debug/faults; false for any other path. */
  readonly route = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== FAULTS_PATH && !path.startsWith(`${FAULTS_PATH}/`)) return false;
    const name = path.slice(FAULTS_PATH.length + 1);
    if (name === "") {
      if (req.method === "GET" || req.method === "HEAD") sendJson(res, 200, { faults: this.state() }, {}, req.method === "HEAD");
      else if (req.method === "DELETE") {
        this.clearAll();
        sendJson(res, 200, { faults: this.state() });
      } else sendJson(res, 405, { error: "method_not_allowed" }, { allow: "GET, HEAD, DELETE" });
      return true;
    }
    if (!(FAULT_NAMES as string[]).includes(name)) {
      sendJson(res, 404, { error: "unknown_fault", known: FAULT_NAMES });
      return true;
    }
    const fault = name as FaultName;
    if (req.method === "DELETE") {
      this.clear(fault);
      sendJson(res, 200, { faults: this.state() });
      return true;
    }
    if (req.method !== "PUT") {
      sendJson(res, 405, { error: "method_not_allowed" }, { allow: "PUT, DELETE" });
      return true;
    }
    const body = await readLimitedBody(req, 4096);
    if (!body.ok) {
      if (body.reason === "too_large") sendJson(res, 413, { error: "too_large" }, { connection: "close" });
      else res.destroy();
      return true;
    }
    let raw: unknown = {};
    try {
      const text = body.body.toString("utf8").trim();
      if (text !== "") raw = JSON.parse(text);
    } catch {
      sendJson(res, 400, { error: "malformed_json" });
      return true;
    }
    const parsed = PARAMS[fault].safeParse(raw);
    if (!parsed.success) {
      sendJson(res, 400, { error: "invalid", issues: parsed.error.issues.map((i) => `${[fault, ...i.path].join(".")}: ${i.message}`) });
      return true;
    }
    this.set(fault, parsed.data);
    sendJson(res, 200, { faults: this.state() });
    return true;
  };
}

/**
 * Reads FAULTS: "1" turns the switch on, "0" or unset leaves it off. Refused in production
 * (NODE_ENV=production): a fault switch there is an outage waiting for a curl.
 */
export function faultsEnabled(env: Readonly<Record<string, string | undefined>>): boolean {
  const raw = env.FAULTS?.trim() ?? "";
  if (raw === "" || raw === "0") return false;
  if (raw !== "1") throw new Error(`FAULTS: must be 1 or 0, got ${JSON.stringify(raw.slice(0, 16))}`);
  if (env.NODE_ENV === "production") throw new Error("FAULTS: the fault switch is for development and tests; it cannot be on with NODE_ENV=production");
  return true;
}
