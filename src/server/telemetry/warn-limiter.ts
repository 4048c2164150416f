/**
 * Rate-limited warnings: a token bucket (http/rate-limit.ts) per call site, and how many calls
 * each one suppressed since its last line got through. Keys are call-site names (code
 * constants), but the map is still bounded: past `maxKeys` every new key shares one overflow
 * bucket (not least-recently-used eviction, which would hand a bug that builds site names from
 * data a fresh bucket per name, so an unlimited number of lines).
 */
import { TokenBucket } from "../http/rate-limit.ts";

export interface WarnLimitOptions {
  /** Lines per interval (and the burst). */
  readonly burst: number;
  readonly intervalMs: number;
  readonly maxKeys?: number;
  readonly now?: () => number;
}

interface Site {
  readonly bucket: TokenBucket;
  dropped: number;
}

const OVERFLOW_KEY = "\u0000overflow";

export class WarnLimiter {
  private readonly sites = new Map<string, Site>();
  private readonly burst: number;
  private readonly intervalMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(opts: WarnLimitOptions) {
    this.burst = Math.max(1, opts.burst);
    this.intervalMs = Math.max(1, opts.intervalMs);
    this.maxKeys = opts.maxKeys ?? 1024;
    this.now = opts.now ?? Date.now;
  }

  /** Takes a token for `key`: the suppressed count to report, or undefined if this call is suppressed. */
  take(key: string): number | undefined {
    const at = this.now();
    const site = this.site(key, at);
    if (site.bucket.take(at) > 0) {
      site.dropped++;
      return undefined;
    }
    const dropped = site.dropped;
    site.dropped = 0;
    return dropped;
  }

  private site(key: string, at: number): Site {
    const known = this.sites.get(key);
    if (known !== undefined) return known;
    const k = this.sites.size >= this.maxKeys ? OVERFLOW_KEY : key;
    let site = this.sites.get(k);
    if (site === undefined) {
      site = { bucket: new TokenBucket(this.burst, this.burst, this.intervalMs, at), dropped: 0 };
      this.sites.set(k, site);
    }
    return site;
  }
}
