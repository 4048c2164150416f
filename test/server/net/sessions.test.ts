// Session rules with an in-memory transport: hello first, resume after a drop, hello timeout,
// rate limiting, and that session ids and resume tokens are distinct random secrets.
import { describe, expect, it } from "vitest";
import {
  ByteWriter,
  CloseCode,
  encodeHello,
  encodeInput,
  PROTOCOL_VERSION,
  ServerDecoder,
  ServerMsg,
} from "../../../src/shared/protocol/index.ts";
import type { WelcomeMsg } from "../../../src/shared/protocol/index.ts";
import { MemoryTransport } from "../../../src/server/net/memory-transport.ts";
import type { MemoryClient } from "../../../src/server/net/memory-transport.ts";
import { SessionManager } from "../../../src/server/net/sessions.ts";
import { testGame } from "../support.ts";

const w = new ByteWriter();

function welcomeOf(c: MemoryClient): WelcomeMsg {
  const r = new ServerDecoder().decode(c.received[0]);
  if (!r.ok || r.msg.type !== ServerMsg.Welcome) throw new Error("no welcome");
  return r.msg;
}

function setup(extra = {}) {
  let now = 1000;
  const game = testGame({ npcCount: 0, ...extra });
  const transport = new MemoryTransport();
  const sessions = new SessionManager(game, transport, () => now);
  sessions.start();
  return { game, transport, sessions, advance: (ms: number) => (now += ms) };
}

describe("sessions", () => {
  it("requires a hello before commands", () => {
    const { game, transport } = setup();
    const c = transport.connect();
    c.send(encodeInput(w, { seq: 1, dt: 0.03, forward: 1, right: 0, yaw: 0, pitch: 0, buttons: 0 }).slice());
    expect(game.stats.errors.malformed_frame).toBe(1);
    expect(game.entities.count).toBe(0);
  });

  it("gives each session a random id and a different secret resume token", () => {
    const { transport } = setup();
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const c = transport.connect();
      c.send(encodeHello(w, { version: PROTOCOL_VERSION, resumeToken: null }).slice());
      const m = welcomeOf(c);
      expect(m.sessionId).toMatch(/^[0-9a-f]{32}$/);
      expect(m.resumeToken).not.toBe(m.sessionId);
      ids.add(m.sessionId);
      ids.add(m.resumeToken);
    }
    expect(ids.size).toBe(40);
  });

  it("resumes the same player after a drop, within the grace period", () => {
    const { game, transport, sessions, advance } = setup({ resumeGraceMs: 5000 });
    const c = transport.connect();
    c.send(encodeHello(w, { version: PROTOCOL_VERSION, resumeToken: null }).slice());
    const first = welcomeOf(c);
    c.close(1006);
    expect(sessions.detachedCount()).toBe(1);
    expect(game.entities.count).toBe(1);
    advance(1000);
    const c2 = transport.connect();
    c2.send(encodeHello(w, { version: PROTOCOL_VERSION, resumeToken: first.resumeToken }).slice());
    const second = welcomeOf(c2);
    expect(second.resumed).toBe(true);
    expect(second.entityId).toBe(first.entityId);
    expect(second.sessionId).toBe(first.sessionId);
    expect(game.entities.count).toBe(1);

    // A drop that outlives the grace period frees the entity.
    c2.close(1006);
    advance(6000);
    sessions.maintain();
    expect(game.entities.count).toBe(0);
  });

  it("removes the player at once when the page says goodbye (close 1000)", () => {
    const { game, transport, sessions } = setup({ resumeGraceMs: 5000 });
    const c = transport.connect();
    c.send(encodeHello(w, { version: PROTOCOL_VERSION, resumeToken: null }).slice());
    welcomeOf(c);
    expect(game.entities.count).toBe(1);
    c.close(1000);
    expect(sessions.detachedCount()).toBe(0);
    expect(game.entities.count).toBe(0);
  });

  it("closes a connection that never says hello", () => {
    const { transport, sessions, advance } = setup({ helloTimeoutMs: 2000 });
    const c = transport.connect();
    advance(2500);
    sessions.maintain();
    expect(c.closed?.code).toBe(CloseCode.HelloTimeout);
  });
});
