// Consent: two independent channels, each a tiny state machine persisted in localStorage.
// Nothing telemetry-related may leave the page unless its channel is "granted"; listeners run
// synchronously so a withdrawal stops senders before set() returns.

/** The two things a player can agree to, separately. */
export const CONSENT_CHANNELS = ["performance", "crash"] as const;
export type ConsentChannel = (typeof CONSENT_CHANNELS)[number];

/**
 * unset: never chosen (treated as off). granted: on. denied: explicitly off before ever being
 * on. withdrawn: was on, then turned off (senders must discard what they queued).
 */
export const CONSENT_STATES = ["unset", "granted", "denied", "withdrawn"] as const;
export type ConsentState = (typeof CONSENT_STATES)[number];

export const CONSENT_EVENTS = ["grant", "revoke"] as const;
export type ConsentEvent = (typeof CONSENT_EVENTS)[number];

/** localStorage key; bump the suffix if the stored shape ever changes. */
export const CONSENT_STORAGE_KEY = "voxel-shooter.telemetry-consent.v1";

/** The transition function of one channel. */
export function nextConsentState(state: ConsentState, event: ConsentEvent): ConsentState {
  if (event === "grant") return "granted";
  return state === "granted" || state === "withdrawn" ? "withdrawn" : "denied";
}

/** True when the state allows sending. */
export function isGranted(state: ConsentState): boolean {
  return state === "granted";
}

/** The subset of the Web Storage API the store uses (so tests can pass a Map-backed fake). */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export type ConsentListener = (channel: ConsentChannel, prev: ConsentState, next: ConsentState) => void;

/** Read side of the store, enough for UI and senders. */
export interface ConsentReader {
  state(channel: ConsentChannel): ConsentState;
  granted(channel: ConsentChannel): boolean;
  subscribe(listener: ConsentListener): () => void;
}

/** Persistent consent for both channels. */
export class ConsentStore implements ConsentReader {
  private readonly states: Record<ConsentChannel, ConsentState> = { performance: "unset", crash: "unset" };
  private readonly listeners = new Set<ConsentListener>();

  constructor(
    private readonly storage: StorageLike | null,
    private readonly key = CONSENT_STORAGE_KEY,
  ) {
    this.load(parseStored(this.read()));
  }

  /** Current state of a channel. */
  state(channel: ConsentChannel): ConsentState {
    return this.states[channel];
  }

  /** True when the channel may send. */
  granted(channel: ConsentChannel): boolean {
    return isGranted(this.states[channel]);
  }

  /** Turns a channel on or off (the switch in settings); persists, then notifies synchronously. */
  set(channel: ConsentChannel, on: boolean): void {
    this.apply(channel, nextConsentState(this.states[channel], on ? "grant" : "revoke"), true);
  }

  /** Calls listener on every state change; returns the unsubscribe function. */
  subscribe(listener: ConsentListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Applies a value written by another tab (the window "storage" event), so withdrawing in one
   * tab stops sending in all of them.
   */
  syncFrom(raw: string | null): void {
    const parsed = parseStored(raw);
    for (const ch of CONSENT_CHANNELS) {
      const want = isGranted(parsed[ch]);
      if (want !== this.granted(ch)) this.apply(ch, nextConsentState(this.states[ch], want ? "grant" : "revoke"), false);
    }
  }

  private apply(channel: ConsentChannel, next: ConsentState, persist: boolean): void {
    const prev = this.states[channel];
    if (prev === next) return;
    this.states[channel] = next;
    if (persist) this.write();
    for (const l of this.listeners) l(channel, prev, next);
  }

  private load(parsed: Record<ConsentChannel, ConsentState>): void {
    for (const ch of CONSENT_CHANNELS) this.states[ch] = parsed[ch];
  }

  private read(): string | null {
    // Storage that throws reads as nothing stored: "unset" = off.
    return readStored(this.storage, this.key);
  }

  private write(): void {
    writeStored(this.storage, this.key, JSON.stringify({ v: 1, ...this.states }));
  }
}

/** storage.getItem(key), or null when there is no storage or it throws (disabled cookies, sandboxed iframes). */
export function readStored(storage: StorageLike | null, key: string): string | null {
  try {
    return storage?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

/** storage.setItem(key, value); a storage that throws (quota, disabled) is ignored: the choice still holds for this page load. */
export function writeStored(storage: StorageLike | null, key: string, value: string): void {
  try {
    storage?.setItem(key, value);
  } catch {
    // Nothing more to do: the value lives on in memory.
  }
}

/** Parses the stored JSON; anything unexpected reads as "unset" (off), never as granted. */
function parseStored(raw: string | null): Record<ConsentChannel, ConsentState> {
  const out: Record<ConsentChannel, ConsentState> = { performance: "unset", crash: "unset" };
  if (!raw) return out;
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return out;
  }
  if (typeof data !== "object" || data === null || (data as { v?: unknown }).v !== 1) return out;
  for (const ch of CONSENT_CHANNELS) {
    const s = (data as Record<string, unknown>)[ch];
    if (typeof s === "string" && (CONSENT_STATES as readonly string[]).includes(s)) out[ch] = s as ConsentState;
  }
  return out;
}
