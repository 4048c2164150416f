// Sound: nothing is created before the first gesture (browsers refuse audio until then), every
// sound is built from oscillators and filtered noise into one master gain that carries the
// volume, volume 0 plays nothing, a suspended context is resumed; footsteps fall every stride
// walked on the ground.
import { describe, expect, it } from "vitest";
import { Footsteps, SOUNDS, SoundEngine, STEP_STRIDE, unlockOnGesture } from "../../../src/client/audio/sound.ts";
import type { AudioContextLike, AudioNodeLike, AudioParamLike } from "../../../src/client/audio/sound.ts";

class Param implements AudioParamLike {
  value = 0;
  readonly events: string[] = [];
  setValueAtTime(v: number, t: number): void {
    this.events.push(`set ${v}@${t}`);
  }
  linearRampToValueAtTime(v: number, t: number): void {
    this.events.push(`lin ${v}@${t}`);
  }
  exponentialRampToValueAtTime(v: number, t: number): void {
    if (!(v > 0)) throw new RangeError("exponential ramps need a positive target");
    this.events.push(`exp ${v}@${t}`);
  }
}

class Node implements AudioNodeLike {
  readonly outputs: Node[] = [];
  constructor(readonly kind: string) {}
  connect(destination: AudioNodeLike): void {
    this.outputs.push(destination as Node);
  }
}

/** Records every node made, and what it is connected to. */
class FakeContext implements AudioContextLike {
  currentTime = 1;
  sampleRate = 8000;
  state = "suspended";
  resumed = 0;
  readonly nodes: Node[] = [];
  readonly destination = new Node("destination");
  resume(): Promise<void> {
    this.resumed++;
    this.state = "running";
    return Promise.resolve();
  }
  private make<T extends Node>(n: T): T {
    this.nodes.push(n);
    return n;
  }
  createGain() {
    return this.make(Object.assign(new Node("gain"), { gain: new Param() }));
  }
  createOscillator() {
    return this.make(Object.assign(new Node("oscillator"), { type: "sine" as OscillatorType, frequency: new Param(), start() {}, stop() {} }));
  }
  createBiquadFilter() {
    return this.make(Object.assign(new Node("filter"), { type: "lowpass" as BiquadFilterType, frequency: new Param(), Q: new Param() }));
  }
  createBufferSource() {
    return this.make(Object.assign(new Node("source"), { buffer: null, playbackRate: new Param(), start() {}, stop() {} }));
  }
  createBuffer(_channels: number, length: number) {
    const data = new Float32Array(length);
    return { getChannelData: () => data };
  }
}

/** True when `node`'s output reaches `target` through connections. */
function reaches(node: Node, target: Node): boolean {
  return node === target || node.outputs.some((o) => reaches(o, target));
}

describe("sound engine", () => {
  it("creates nothing and plays nothing before the first gesture", () => {
    let created = 0;
    const engine = new SoundEngine(() => {
      created++;
      return new FakeContext();
    });
    for (const s of SOUNDS) engine.play(s);
    expect(created).toBe(0);
    expect(engine.stats.unlocked).toBe(false);
    expect(Object.values(engine.stats.played).every((n) => n === 0)).toBe(true);
  });

  it("after the gesture synthesises every sound into the master gain, which carries the volume", () => {
    const ctx = new FakeContext();
    const engine = new SoundEngine(() => ctx);
    engine.setVolume(0.5);
    engine.unlock();
    expect(ctx.resumed).toBe(1);
    const master = ctx.nodes[0] as Node & { gain: Param };
    expect(master.kind).toBe("gain");
    expect(master.gain.value).toBe(0.5);
    expect(master.outputs).toEqual([ctx.destination]);
    for (const s of SOUNDS) {
      const before = ctx.nodes.length;
      engine.play(s);
      const made = ctx.nodes.slice(before);
      expect(made.length, s).toBeGreaterThan(0);
      // Every sound starts at an oscillator or the noise, and ends in the master gain.
      const sources = made.filter((n) => n.kind === "oscillator" || n.kind === "source");
      expect(sources.length, s).toBeGreaterThan(0);
      for (const src of sources) expect(reaches(src, master), s).toBe(true);
      expect(engine.stats.played[s]).toBe(1);
    }
    engine.setVolume(2);
    expect(master.gain.value).toBe(1);
  });

  it("plays nothing at volume 0 and survives a browser without audio", () => {
    const ctx = new FakeContext();
    const engine = new SoundEngine(() => ctx);
    engine.unlock();
    engine.setVolume(0);
    const n = ctx.nodes.length;
    engine.play("shot");
    expect(ctx.nodes.length).toBe(n);
    expect(engine.stats.played.shot).toBe(0);

    const none = new SoundEngine(() => {
      throw new Error("no AudioContext");
    });
    none.unlock();
    none.play("shot");
    expect(none.stats.unlocked).toBe(false);
  });

  it("unlocks on the first pointer or key press, then stops listening", () => {
    const listeners = new Map<string, () => void>();
    const target = {
      addEventListener: (type: string, fn: () => void) => listeners.set(type, fn),
      removeEventListener: (type: string) => listeners.delete(type),
    } as unknown as Window;
    const ctx = new FakeContext();
    const engine = new SoundEngine(() => ctx);
    unlockOnGesture(engine, target);
    expect([...listeners.keys()].sort()).toEqual(["keydown", "pointerdown"]);
    listeners.get("keydown")!();
    expect(engine.stats.unlocked).toBe(true);
    expect(listeners.size).toBe(0);
  });
});

describe("footsteps", () => {
  it("fall once per stride walked on the ground, not in the air or on a teleport", () => {
    const f = new Footsteps();
    let steps = 0;
    for (let i = 0; i < 100; i++) if (f.update(0.1, 0, true)) steps++;
    expect(steps).toBe(Math.floor(10 / STEP_STRIDE));
    for (let i = 0; i < 100; i++) if (f.update(0.1, 0, false)) steps++;
    expect(steps).toBe(Math.floor(10 / STEP_STRIDE));
    expect(f.update(20, 0, true)).toBe(false);
  });
});
