// Correlation ids born on the server. Session ids and resume tokens are 16 random bytes from
// the OS CSPRNG (not guessable). Impact ids are unique u32s that do not reveal how many carves
// happened: a random start stepped by an odd constant, which visits all 2^32 values once.
import { randomBytes } from "node:crypto";

/** 32 hex chars of cryptographic randomness. */
export function randomHex16(): string {
  return randomBytes(16).toString("hex");
}

/** Generator of unique, non-sequential u32 impact ids (never 0, which means "none"). */
export class ImpactIds {
  private k = 0;
  private readonly base = randomBytes(4).readUInt32LE(0);

  /** The next id. */
  next(): number {
    for (;;) {
      const id = (this.base + Math.imul(this.k++, 0x9e3779b1)) >>> 0;
      if (id !== 0) return id;
    }
  }
}
