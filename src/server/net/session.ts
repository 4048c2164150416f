// One client connection's server-side state: identity (session id for logs, a separate secret
// resume token), lifecycle, abuse counters and what it has been sent.
import type { Entity } from "../game/entities.ts";
import type { CloseReason, Log } from "../telemetry/facade.ts";
import { TokenBucket } from "../http/rate-limit.ts";
import type { InterestState } from "./interest.ts";
import type { ConnId } from "./transport.ts";

/** Session lifecycle. */
export const SessionState = { AwaitingHello: 0, Playing: 1, Closed: 2 } as const;
export type SessionState = (typeof SessionState)[keyof typeof SessionState];

/** A connected client. */
export class Session {
  state: SessionState = SessionState.AwaitingHello;
  entity: Entity | null = null;
  interest: InterestState | null = null;
  /** Protocol errors so far (malformed, unknown type); the session closes at the limit. */
  strikes = 0;
  /** Commands dropped by the rate limit, decaying over time; the session closes at the limit. */
  floodScore = 0;
  floodAt = 0;
  /** Wall time of the last error notice sent (notices are throttled). */
  lastNoticeMs = -Infinity;
  /** True while its hello's hand-off ticket is being checked (a second hello is a protocol error). */
  admitting = false;
  /** Set when the server closed it for abuse: its player is removed, not kept for resume. */
  evicted = false;
  /** Why the server closed it (null while open, or when the client closed it). */
  closeReason: CloseReason | null = null;
  /** Monotonic ms of the last frame received (input silence is measured from here). */
  lastFrameAt: number;
  /** Bytes handed to the transport since rateAt, and the smoothed stream rate (bytes/s) before that. */
  sentBytes = 0;
  streamBps = 0;
  rateAt: number;
  readonly bucket: TokenBucket;

  constructor(
    readonly conn: ConnId,
    public sessionId: string,
    public resumeToken: string,
    readonly openedAt: number,
    rate: number,
    burst: number,
    public log: Log,
  ) {
    this.bucket = new TokenBucket(burst, rate, 1000, openedAt);
    this.floodAt = openedAt;
    this.lastFrameAt = openedAt;
    this.rateAt = openedAt;
  }
}
