// Callsigns: the names players see for each other, chosen by the server. Never typed by a
// player and never derived from anything about them: an adjective and an animal from fixed
// lists plus a two-digit number ("Swift Otter 42"); NPCs are "<adjective> Drone <nn>". The
// sequence is a pure function of the seed, and a callsign in use in this shard is never given
// out twice. Callsigns are display text only: logs and metrics keep the numeric entity id.
import { deriveSeed, Rng } from "../../shared/voxel/rng.ts";

/** Salt that separates the callsign stream from world generation and NPC behaviour. */
const CALLSIGN_SALT = 0xca11;

/** Plain, neutral words: nothing personal, nothing that reads as an insult in context. */
export const CALLSIGN_ADJECTIVES = [
  "Amber", "Bold", "Brave", "Bright", "Brisk", "Calm", "Clever", "Cobalt", "Copper", "Crimson",
  "Daring", "Dusty", "Eager", "Fast", "Fierce", "Gentle", "Golden", "Grand", "Hardy", "Hidden",
  "Iron", "Jade", "Keen", "Lucky", "Lunar", "Mighty", "Misty", "Nimble", "Noble", "Polar",
  "Proud", "Quick", "Quiet", "Rapid", "Rusty", "Silent", "Silver", "Sly", "Solar", "Steady",
  "Stone", "Stormy", "Sunny", "Swift", "Tidal", "Vivid", "Wild", "Witty",
] as const;

export const CALLSIGN_ANIMALS = [
  "Badger", "Bear", "Beaver", "Bison", "Cobra", "Condor", "Coyote", "Crane", "Dingo", "Dolphin",
  "Eagle", "Falcon", "Ferret", "Fox", "Gecko", "Heron", "Hornet", "Husky", "Ibex", "Jackal",
  "Jaguar", "Kestrel", "Koala", "Lemur", "Lynx", "Magpie", "Marten", "Moose", "Narwhal", "Ocelot",
  "Orca", "Osprey", "Otter", "Owl", "Panda", "Panther", "Puffin", "Puma", "Raven", "Seal",
  "Shark", "Sparrow", "Stoat", "Tiger", "Viper", "Walrus", "Wolf", "Yak",
] as const;

/** What a callsign names. */
export type CallsignKind = "player" | "npc";

/**
 * The callsign sequence of one shard. `next` hands out the next callsign of the seeded
 * sequence that `inUse` does not report (the shard asks its live entities, so a callsign is
 * free again as soon as its entity has left, with no bookkeeping to get out of step).
 */
export class Callsigns {
  private readonly rng: Rng;

  constructor(seed: number) {
    this.rng = new Rng(deriveSeed(seed >>> 0, CALLSIGN_SALT));
  }

  /** A callsign for which `inUse` is false. Throws only when every combination is in use. */
  next(kind: CallsignKind, inUse: (callsign: string) => boolean): string {
    // Random draws first: 48 x 48 x 90 combinations leave collisions rare at any player count
    // a shard can hold, and a bounded scan after them guarantees an answer.
    for (let attempt = 0; attempt < 64; attempt++) {
      const name = format(kind, this.rng.int(CALLSIGN_ADJECTIVES.length), this.rng.int(CALLSIGN_ANIMALS.length), 10 + this.rng.int(90));
      if (!inUse(name)) return name;
    }
    const start = this.rng.nextU32();
    const total = CALLSIGN_ADJECTIVES.length * CALLSIGN_ANIMALS.length * 90;
    for (let k = 0; k < total; k++) {
      const i = (start + k) % total;
      const name = format(kind, i % CALLSIGN_ADJECTIVES.length, Math.floor(i / CALLSIGN_ADJECTIVES.length) % CALLSIGN_ANIMALS.length, 10 + Math.floor(i / (CALLSIGN_ADJECTIVES.length * CALLSIGN_ANIMALS.length)));
      if (!inUse(name)) return name;
    }
    throw new Error("every callsign is in use");
  }
}

function format(kind: CallsignKind, adjective: number, animal: number, n: number): string {
  const adj = CALLSIGN_ADJECTIVES[adjective];
  return kind === "npc" ? `${adj} Drone ${n}` : `${adj} ${CALLSIGN_ANIMALS[animal]} ${n}`;
}
