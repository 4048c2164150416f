// The HUD's state from server events, on a fake clock: the hit marker and its down variant
// and how long each lasts, damage cues and their direction, the downed state and its respawn
// countdown, the kill feed's length and expiry, and the cues the page plays sounds for.
import { describe, expect, it } from "vitest";
import { damageAngle, HUD, HudModel } from "../../../src/client/ui/hud-model.ts";
import { EntityKind, HitTarget, SelfFlag, ServerMsg, Team } from "../../../src/shared/protocol/index.ts";
import type { DownMsg, HitMsg, WelcomeMsg } from "../../../src/shared/protocol/index.ts";

const ME = 7;
const OTHER = 9;

function welcome(): WelcomeMsg {
  return {
    type: ServerMsg.Welcome, version: 2, sessionId: "0".repeat(32), resumeToken: "1".repeat(32), resumed: false, entityId: ME,
    tickHz: 30, tick: 1, seed: 1, chunksX: 1, chunksY: 1, chunksZ: 1, spawnX: 0, spawnY: 0, spawnZ: 0, spawnYaw: 0, interestRadius: 64,
    weaponCooldownMs: 250, projectileSpeed: 80, projectileLifetimeMs: 1500, zone: "z0", shard: "s0",
    callsign: "Calm Heron 12", team: Team.Alpha, maxHealth: 100, respawnMs: 3000, logBase: 1, baseSeq: 0, lastSeq: 0,
  };
}

function hit(shooterId: number, targetId: number, health: number, sx = 0, sz = 0): HitMsg {
  return {
    type: ServerMsg.Hit, commandId: 1, shooterId, targetId, targetKind: HitTarget.Player, projectileId: 2,
    x: 0, y: 0, z: 0, damage: 25, health, sx, sy: 0, sz,
  };
}

function down(shooterId: number, targetId: number, shooter = "Bold Seal 11", target = "Keen Yak 20"): DownMsg {
  return {
    type: ServerMsg.Down, tick: 1, shooterId, shooterKind: EntityKind.Player, shooterTeam: Team.Bravo, shooterCallsign: shooter,
    targetId, targetKind: EntityKind.Npc, targetTeam: Team.None, targetCallsign: target,
  };
}

function model() {
  const cues: string[] = [];
  const m = new HudModel({
    hitConfirmed: (d) => cues.push(d ? "down" : "hit"),
    hurt: () => cues.push("hurt"),
    downed: () => cues.push("downed"),
    respawned: () => cues.push("respawned"),
  });
  m.welcome(welcome());
  return { m, cues };
}

describe("HUD model", () => {
  it("shows a hit marker for this player's hits only, for its time, and a longer down marker", () => {
    const { m, cues } = model();
    m.hit(hit(OTHER, 3, 75), 1000);
    expect(m.marker).toBe("none");
    m.hit(hit(ME, 3, 75), 1000);
    expect(m.marker).toBe("hit");
    m.update(1000 + HUD.hitMarkerMs - 1);
    expect(m.marker).toBe("hit");
    m.update(1000 + HUD.hitMarkerMs);
    expect(m.marker).toBe("none");

    m.hit(hit(ME, 3, 0), 2000);
    expect(m.marker).toBe("down");
    // A plain hit right after does not cut the down marker short.
    m.hit(hit(ME, 4, 50), 2100);
    expect(m.marker).toBe("down");
    m.update(2000 + HUD.downMarkerMs - 1);
    expect(m.marker).toBe("down");
    m.update(2000 + HUD.downMarkerMs);
    expect(m.marker).toBe("none");
    expect(cues).toEqual(["hit", "down", "hit"]);
  });

  it("draws a marker and a damage cue in at least one frame, however late that frame comes (a slow machine)", () => {
    const { m } = model();
    // A hit by this player and one on it at 1000 ms; the next frame comes 600 ms later, past
    // the hit marker's time: that frame still shows both, the one after drops the marker.
    m.hit(hit(ME, 3, 75), 1000);
    m.hit(hit(OTHER, ME, 75, 30, 40), 1000);
    m.update(1000 + HUD.hitMarkerMs + 350);
    expect(m.marker).toBe("hit");
    m.update(1000 + HUD.hitMarkerMs + 950);
    expect(m.marker).toBe("none");
    expect(m.damageCount).toBe(1);
    // A damage cue whose first frame is past its time shows in that frame, then goes.
    m.update(5000);
    expect(m.damageCount).toBe(0);
    m.hit(hit(OTHER, ME, 50, 1, 2), 6000);
    m.update(6000 + HUD.damageMs + 500);
    expect(m.damageCount).toBe(1);
    m.update(6000 + HUD.damageMs + 1000);
    expect(m.damageCount).toBe(0);
    // An undrawn down marker is not replaced by a plain hit, even past its time.
    m.hit(hit(ME, 3, 0), 8000);
    m.hit(hit(ME, 4, 50), 8000 + HUD.downMarkerMs + 100);
    expect(m.marker).toBe("down");
    m.update(8000 + HUD.downMarkerMs + 200);
    expect(m.marker).toBe("down");
  });

  it("takes health from hits on this player and the self state, with a damage cue from the shot's origin", () => {
    const { m, cues } = model();
    m.hit(hit(OTHER, ME, 75, 30, 40), 500);
    expect(m.health).toBe(75);
    expect(m.damageCount).toBe(1);
    expect([m.damage[0].sx, m.damage[0].sz]).toEqual([30, 40]);
    m.update(500 + HUD.damageMs - 1);
    expect(m.damageCount).toBe(1);
    m.update(500 + HUD.damageMs);
    expect(m.damageCount).toBe(0);
    // At most HUD.maxDamage cues: the oldest is replaced.
    for (let i = 0; i < HUD.maxDamage + 2; i++) m.hit(hit(OTHER, ME, 50, i, 0), 1000 + i);
    expect(m.damageCount).toBe(HUD.maxDamage);
    expect(m.damage.slice(0, m.damageCount).map((d) => d.sx).sort()).toEqual([2, 3, 4, 5]);
    m.self(40, 0, 1100);
    expect(m.health).toBe(40);
    expect(cues.filter((c) => c === "hurt")).toHaveLength(HUD.maxDamage + 3);
  });

  it("goes down on a down event naming the shooter, counts down to the respawn, and comes back on the self state", () => {
    const { m, cues } = model();
    m.down({ ...down(OTHER, ME, "Bold Seal 11", "Calm Heron 12") }, 10_000);
    expect(m.downed).toBe(true);
    expect(m.health).toBe(0);
    expect(m.downedBy).toBe("Bold Seal 11");
    expect(m.countdown(10_000)).toBe(3);
    expect(m.countdown(10_001)).toBe(3);
    expect(m.countdown(11_000)).toBe(2);
    expect(m.countdown(12_999)).toBe(1);
    expect(m.countdown(13_000)).toBe(0);
    expect(m.countdown(20_000)).toBe(0);
    // The self state keeps it down (no second "downed" cue), then brings it back.
    m.self(0, SelfFlag.Downed, 10_050);
    expect(m.downed).toBe(true);
    m.self(100, SelfFlag.OnGround, 13_020);
    expect([m.downed, m.health, m.countdown(13_020), m.downedBy]).toEqual([false, 100, 0, ""]);
    expect(cues).toEqual(["downed", "respawned"]);
  });

  it("goes down from the self state alone (a rejoin while down), without a name", () => {
    const { m } = model();
    m.self(0, SelfFlag.Downed, 5000);
    expect([m.downed, m.downedBy, m.countdown(5000)]).toEqual([true, "", 3]);
  });

  it("keeps the last few downs in the feed, newest first, each for its time", () => {
    const { m } = model();
    const r0 = m.revision;
    for (let i = 0; i < HUD.feedSize + 3; i++) m.down(down(100 + i, 200 + i, `S${i}`, `T${i}`), 1000 * i);
    expect(m.feed).toHaveLength(HUD.feedSize);
    expect(m.feed.map((e) => e.shooter)).toEqual(["S7", "S6", "S5", "S4", "S3"]);
    expect(m.revision).toBeGreaterThan(r0);
    expect(m.feed.every((e) => !e.mine)).toBe(true);
    m.down(down(ME, OTHER), 8000);
    expect(m.feed[0].mine).toBe(true);
    // S3 was added at 3000: it goes at 3000 + feedMs, the newer ones later.
    m.update(3000 + HUD.feedMs);
    expect(m.feed.map((e) => e.shooter)).toEqual(["Bold Seal 11", "S7", "S6", "S5", "S4"]);
    m.update(8000 + HUD.feedMs);
    expect(m.feed).toEqual([]);
  });

  it("keeps the latest scoreboard and bumps the revision", () => {
    const { m } = model();
    const r0 = m.revision;
    m.scores([{ entityId: ME, callsign: "Calm Heron 12", team: Team.Alpha, downs: 1, deaths: 0, pingMs: 20 }]);
    expect(m.scoreboard).toHaveLength(1);
    expect(m.revision).toBe(r0 + 1);
  });
});

describe("damage direction", () => {
  it("is 0 ahead, pi/2 to the right, pi behind and -pi/2 to the left, for any heading", () => {
    // yaw 0 faces -Z: ahead is -Z, right is +X.
    expect(damageAngle(0, 0, 0, 0, -10)).toBeCloseTo(0, 9);
    expect(damageAngle(0, 0, 0, 10, 0)).toBeCloseTo(Math.PI / 2, 9);
    expect(Math.abs(damageAngle(0, 0, 0, 0, 10))).toBeCloseTo(Math.PI, 9);
    expect(damageAngle(0, 0, 0, -10, 0)).toBeCloseTo(-Math.PI / 2, 9);
    // Turned left by 90 degrees (facing -X): a source at +Z is on the left.
    expect(damageAngle(5, 5, Math.PI / 2, 5, 15)).toBeCloseTo(-Math.PI / 2, 9);
    expect(damageAngle(5, 5, Math.PI / 2, -5, 5)).toBeCloseTo(0, 9);
  });
});
