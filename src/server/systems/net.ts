// Net: the last system of a tick. For every playing client it composes one frame: this tick's
// carve and down events (sent to everyone: world state stays identical everywhere, and every
// kill feed hears of every down), hit events near
// it, rejections of its own commands, and its delta with only what changed inside its interest
// radius. One frame per client per tick (a Batch when there is more than the delta) keeps the
// socket writes, the server's main cost at 200 clients, to one per client.
import {
  createSelfState,
  EntityFrame,
  IdList,
  ProjectileFrame,
  ServerMsg,
  CloseCode,
} from "../../shared/protocol/messages.ts";
import type { DeltaMsg, RejectReason } from "../../shared/protocol/messages.ts";
import { appendToBatch, beginBatch, encodeDelta, encodeError } from "../../shared/protocol/server-codec.ts";
import { ByteWriter } from "../../shared/protocol/writer.ts";
import { logger, metrics } from "../telemetry/facade.ts";
import type { Game } from "../game/state.ts";
import { buildEntityUpdates, buildProjectileUpdates, buildSelf, markSelfSent } from "../net/interest.ts";
import type { Session } from "../net/session.ts";
import type { System, TickContext } from "./types.ts";

const log = logger("net");

/**
 * Above `soft` queued bytes (or half the client's own bound, whichever is lower) a client skips
 * deltas (they stay relative to what it got); above its bound (NetPort.queueLimit, seconds of
 * its own stream) it is closed as a slow consumer.
 */
const BACKPRESSURE = { soft: 256 * 1024 } as const;
/** Self state is re-sent at least this often even when unchanged (keeps reconciliation fresh). */
const SELF_REFRESH_TICKS = 30;

const deltaWriter = new ByteWriter(8192);
const noticeWriter = new ByteWriter(64);
const frameWriter = new ByteWriter(16384);
const delta: DeltaMsg = {
  type: ServerMsg.Delta,
  tick: 0,
  ackSeq: 0,
  hasStats: false,
  tickMsAvg: 0,
  tickMsMax: 0,
  hasSelf: false,
  self: createSelfState(),
  entities: new EntityFrame(),
  removed: new IdList(),
  projectileSpawns: new ProjectileFrame(),
  projectileDespawns: new IdList(),
};
const recent = { avg: 0, max: 0 };

/** Collects one client's messages for this tick into frameWriter. */
class FrameBuilder {
  count = 0;
  private first: Uint8Array | null = null;

  reset(): void {
    this.count = 0;
    this.first = null;
  }

  /** Adds an encoded message (copied now if it is a view into a reusable writer). */
  add(msg: Uint8Array): void {
    if (this.count === 0) {
      beginBatch(frameWriter);
      this.first = msg;
    }
    appendToBatch(frameWriter, msg);
    this.count++;
  }

  /** The frame to send: a lone message as is, several as the Batch. */
  bytes(): Uint8Array | null {
    if (this.count === 0) return null;
    return this.count === 1 ? this.first! : frameWriter.view();
  }
}
const builder = new FrameBuilder();

function addNotices(s: Session, game: Game): void {
  const c = s.entity!.control!;
  for (let i = 0; i < c.rejectedFires.length; i++) {
    builder.add(encodeError(noticeWriter, { reason: c.rejectedFireReasons[i] as RejectReason, commandId: c.rejectedFires[i], fatal: false }));
  }
  c.rejectedFires.length = 0;
  c.rejectedFireReasons.length = 0;
  if (c.rejectMask !== 0 && game.timeMs - c.lastNoticeMs >= 1000) {
    c.lastNoticeMs = game.timeMs;
    for (let reason = 1; reason < 31; reason++) {
      if (c.rejectMask & (1 << reason)) builder.add(encodeError(noticeWriter, { reason: reason as RejectReason, commandId: null, fatal: false }));
    }
  }
  c.rejectMask = 0;
}

/** Adds the client's delta when it has anything to say; returns its delta bytes. */
function addDelta(game: Game, ctx: TickContext, s: Session): number {
  const e = s.entity!;
  const st = s.interest!;
  const radius = game.config.interestRadius;
  buildEntityUpdates(ctx.net.quant, st, e, radius, delta.entities, delta.removed);
  buildProjectileUpdates(game.outbox.spawned, game.outbox.despawned, st, e, radius, delta.projectileSpawns, delta.projectileDespawns);
  st.selfAge++;
  delta.hasSelf = buildSelf(e, st, delta.self) || st.selfAge >= SELF_REFRESH_TICKS;
  delta.ackSeq = e.control!.lastSeq;
  const empty = delta.entities.count === 0 && delta.removed.count === 0 && delta.projectileSpawns.count === 0
    && delta.projectileDespawns.count === 0 && !delta.hasSelf && !delta.hasStats && delta.ackSeq === st.lastAck;
  if (empty) return 0;
  delta.tick = ctx.tick;
  const bytes = encodeDelta(deltaWriter, delta);
  builder.add(bytes);
  if (delta.hasSelf) markSelfSent(st, delta.self);
  st.lastAck = delta.ackSeq;
  return bytes.length;
}

/** Sends this tick's events and per-client deltas. */
export const netSystem: System = {
  name: "net",
  run(game, ctx) {
    const net = ctx.net;
    net.maintain();
    net.quant.update(game.entities);
    const sessions = net.playing;
    const out = game.outbox;
    delta.hasStats = ctx.tick % game.config.statsEveryTicks === 0;
    if (delta.hasStats) {
      game.tickStats.recent(game.config.statsEveryTicks, recent);
      delta.tickMsAvg = recent.avg;
      delta.tickMsMax = recent.max;
    }
    const r2 = game.config.interestRadius * game.config.interestRadius;
    let inView = 0;
    // Summed here and recorded once per tick, not once per client: every metric call has a
    // fixed cost, and per client it grows with the player count (npm run bench:telemetry).
    let sentDeltaBytes = 0;
    // `sessions` is a stable reference: closing a session replaces net.playing.
    for (let i = 0; i < sessions.length; i++) {
      const s = sessions[i];
      const v = s.entity!;
      builder.reset();
      let eventBytes = 0;
      for (let b = 0; b < out.broadcasts.length; b++) {
        builder.add(out.broadcasts[b]);
        eventBytes += out.broadcasts[b].length;
      }
      for (let h = 0; h < out.hits.length; h++) {
        const hit = out.hits[h];
        const dx = v.move.x - hit.x;
        const dy = v.move.y - hit.y;
        const dz = v.move.z - hit.z;
        if (v.id === hit.shooterId || v.id === hit.targetId || dx * dx + dy * dy + dz * dz <= r2) {
          builder.add(hit.bytes);
          eventBytes += hit.bytes.length;
        }
      }
      addNotices(s, game);
      const queued = net.buffered(s);
      const limit = net.queueLimit(s);
      if (queued > limit) {
        log.warnLimited("net.slow_consumer", { session_id: s.sessionId, buffered: queued, limit: Math.round(limit) }, "closing client that stopped reading");
        net.closeSession(s, CloseCode.SlowConsumer, "send queue over its bound");
        continue;
      }
      // A backed-up client still gets the events (world consistency) but skips this delta.
      const deltaBytes = queued > Math.min(BACKPRESSURE.soft, limit / 2) ? 0 : addDelta(game, ctx, s);
      inView += s.interest!.count;
      const frame = builder.bytes();
      if (frame === null || !net.send(s, frame, false)) continue;
      game.stats.eventBytes += eventBytes;
      sentDeltaBytes += deltaBytes;
    }
    if (sentDeltaBytes > 0) {
      metrics.deltaBytes(sentDeltaBytes);
      game.stats.deltaBytes += sentDeltaBytes;
    }
    metrics.interestEntities(inView);
    metrics.clients(net.connectedCount(), net.detachedCount());
    out.clear();
  },
};
