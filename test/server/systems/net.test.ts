// Net system with an in-memory transport: the join snapshot, then deltas that keep a client's
// mirror equal to the server's entities (within quantisation) inside the interest radius only,
// small per-tick deltas, and carve broadcasts to everyone.
import { describe, expect, it } from "vitest";
import { netSystem } from "../../../src/server/systems/net.ts";
import { npcSystem } from "../../../src/server/systems/npc.ts";
import {
  ByteWriter,
  encodeHello,
  EntityMirror,
  POS_SCALE,
  PROTOCOL_VERSION,
  ServerDecoder,
  ServerMsg,
} from "../../../src/shared/protocol/index.ts";
import type { MemoryClient } from "../../../src/server/net/memory-transport.ts";
import { harness } from "../support.ts";

const w = new ByteWriter();

function join(client: MemoryClient): void {
  client.send(encodeHello(w, { version: PROTOCOL_VERSION, resumeToken: null }).slice());
}

/** Decodes everything a client received since `from` into the mirror; returns frame types. */
function consume(client: MemoryClient, dec: ServerDecoder, mirror: EntityMirror, from: number): number[] {
  const types: number[] = [];
  for (const bytes of client.received.slice(from)) {
    const err = dec.decodeFrame(bytes, (m) => {
      types.push(m.type);
      if (m.type === ServerMsg.Snapshot) mirror.applySnapshot(m);
      if (m.type === ServerMsg.Delta) mirror.applyDelta(m);
    });
    expect(err).toBeNull();
  }
  return types;
}

describe("net system", () => {
  it("sends welcome + snapshot on join, then deltas that track entities in interest", () => {
    const h = harness({ npcCount: 24, interestRadius: 24 });
    h.game.spawnNpcs();
    const client = h.transport.connect();
    join(client);
    const dec = new ServerDecoder();
    const mirror = new EntityMirror();
    const types = consume(client, dec, mirror, 0);
    expect(types[0]).toBe(ServerMsg.Welcome);
    expect(types[types.length - 1]).toBe(ServerMsg.Snapshot);
    const me = h.sessions.playing[0].entity!;

    let read = client.received.length;
    let deltaBytes = 0;
    for (let t = 0; t < 150; t++) {
      h.step();
      npcSystem.run(h.game, h.ctx);
      netSystem.run(h.game, h.ctx);
      for (const b of client.received.slice(read)) deltaBytes += b.length;
      consume(client, dec, mirror, read);
      read = client.received.length;

      const r = h.game.config.interestRadius;
      for (const e of h.game.entities.slots) {
        if (e === null || e === me) continue;
        const d = Math.hypot(e.move.x - me.move.x, e.move.y - me.move.y, e.move.z - me.move.z);
        const m = mirror.entities.get(e.id);
        if (d <= r) expect(m).toBeDefined();
        if (d > r * 1.1) expect(m).toBeUndefined();
        if (m === undefined) continue;
        expect(Math.abs(m.x - e.move.x)).toBeLessThanOrEqual(0.5 / POS_SCALE + 1e-9);
        expect(Math.abs(m.y - e.move.y)).toBeLessThanOrEqual(0.5 / POS_SCALE + 1e-9);
        expect(Math.abs(m.z - e.move.z)).toBeLessThanOrEqual(0.5 / POS_SCALE + 1e-9);
      }
    }
    expect(mirror.inconsistencies).toBe(0);
    // About 20 walking NPCs: a few bytes each per tick, nowhere near a full state.
    expect(deltaBytes / 150).toBeLessThan(24 * 8 + 40);
  });

  it("broadcasts carve events to every playing client", () => {
    const h = harness({ npcCount: 0 });
    const a = h.transport.connect();
    const b = h.transport.connect();
    const pending = h.transport.connect();
    join(a);
    join(b);
    const event = new Uint8Array([ServerMsg.Carve, 1, 2, 3]);
    h.game.outbox.broadcasts.push(event);
    h.step();
    netSystem.run(h.game, h.ctx);
    for (const c of [a, b]) {
      // Alone it goes out as is; with a delta in the same tick, first in a Batch frame.
      const last = c.received[c.received.length - 1];
      const r = new ServerDecoder().decode(last);
      const first = r.ok && r.msg.type === ServerMsg.Batch ? r.msg.frames[0] : last;
      expect(first).toEqual(event);
    }
    expect(pending.received.length).toBe(0);
    expect(h.game.outbox.broadcasts.length).toBe(0);
  });
});
