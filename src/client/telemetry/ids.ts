// Random identifiers. The session id lives only in memory for one page load: it lets the
// server rate-limit and de-duplicate without knowing who the player is.

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/** A random lowercase base-36 string of `length` characters from crypto.getRandomValues. */
export function randomToken(length: number): string {
  const bytes = new Uint8Array(length);
  crypto.getRandomValues(bytes);
  let out = "";
  // 252 = 7 * 36: rejecting bytes >= 252 keeps every character equally likely.
  for (let i = 0; i < length; i++) {
    let b = bytes[i];
    while (b >= 252) {
      const one = new Uint8Array(1);
      crypto.getRandomValues(one);
      b = one[0];
    }
    out += ALPHABET[b % 36];
  }
  return out;
}

/** A fresh per-session id (24 characters, matches SESSION_ID_PATTERN). */
export function newSessionId(): string {
  return randomToken(24);
}

/** A fresh idempotency key for one batch (matches IDEMPOTENCY_KEY_PATTERN). */
export function newIdempotencyKey(): string {
  return `b-${randomToken(20)}`;
}
