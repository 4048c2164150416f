// GET /healthz: 200 with a small JSON status while the tick loop is running and ticking, 503
// when it is stopped or has not completed a tick for a while (a stalled loop).
import { sendJson } from "./respond.ts";
import { pathOf } from "./routes.ts";
import type { HttpRoute } from "./routes.ts";

/** What the health route reads. */
export interface HealthSource {
  running(): boolean;
  tick(): number;
  tickHz: number;
  /** performance.now() of the last completed tick (0 before the first). */
  lastTickAt(): number;
  lastTickMs(): number;
  clients(): number;
  startedAt: number;
}

/** A tick older than this many periods (or a second, whichever is longer) means stalled. */
const STALL_PERIODS = 10;

/** The /healthz route. */
export function healthRoute(src: HealthSource): HttpRoute {
  return (req, res) => {
    if (pathOf(req) !== "/healthz") return false;
    const now = performance.now();
    const last = src.lastTickAt() || src.startedAt;
    const age = now - last;
    const stallMs = Math.max(1000, (STALL_PERIODS * 1000) / src.tickHz);
    const ok = src.running() && age < stallMs;
    const body = {
      status: ok ? "ok" : "unavailable",
      tick: src.tick(),
      tick_hz: src.tickHz,
      last_tick_ms: Math.round(src.lastTickMs() * 1000) / 1000,
      last_tick_age_ms: Math.round(age),
      clients: src.clients(),
    };
    sendJson(res, ok ? 200 : 503, body, {}, req.method === "HEAD");
    return true;
  };
}
