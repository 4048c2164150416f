/**
 * Head sampling, decided before the SDK sees a span. A new root and a remote parent are decided
 * by TraceIdRatioBased on the trace id (the same function the browser uses, so both sides
 * agree; the ratio is TRACE_SAMPLE, or the trace-ratio flag once it names one; the rare
 * flags.evaluate root is always kept); a remote parent's own sampled flag is honoured only within a per-session budget,
 * since a client could otherwise trace every command it sends; a local parent is followed.
 */
import { context, trace } from "@opentelemetry/api";
import { RandomIdGenerator } from "@opentelemetry/sdk-trace-base";
import type { IdGenerator } from "@opentelemetry/sdk-trace-base";
import { SAMPLED_FLAG, isSampled, ratioUpperBound, sampledByRatio } from "../../shared/telemetry/trace-context.ts";
import type { TraceContext } from "../../shared/telemetry/trace-context.ts";
import { SPAN_NAMES } from "../../shared/telemetry/names.ts";
import type { SpanName } from "../../shared/telemetry/names.ts";
import { KeyedTokenBuckets } from "../http/rate-limit.ts";
import type { Fields, SpanHandle } from "./facade.ts";

/**
 * How many commands per session may be traced on the client's word alone (its sampled flag)
 * beyond what the ratio samples anyway: a token bucket per session id.
 */
export interface RemoteSampleBudget {
  readonly burst: number;
  /** One more trace per this many ms. */
  readonly refillMs: number;
  /** Sessions remembered (least recently used forgotten). */
  readonly maxSessions: number;
}

const DEFAULT_REMOTE_SAMPLE_BUDGET: RemoteSampleBudget = { burst: 5, refillMs: 30_000, maxSessions: 10_000 };

/**
 * Trace ids for new roots: skip() draws the id first (the ratio decision is a function of it)
 * and hands it to the SDK through `next` for the span it then starts.
 */
class PresetIdGenerator implements IdGenerator {
  next: string | undefined = undefined;
  readonly random = new RandomIdGenerator();

  generateTraceId(): string {
    const id = this.next;
    this.next = undefined;
    return id ?? this.random.generateTraceId();
  }

  generateSpanId(): string {
    return this.random.generateSpanId();
  }
}

/** Handle for a span the sampler would drop: records nothing, hands its children an unsampled parent. */
class UnsampledHandle implements SpanHandle {
  constructor(private readonly parent: TraceContext | undefined) {}
  setAttributes(): void {}
  recordError(): void {}
  context(): TraceContext | undefined {
    return this.parent;
  }
  end(): void {}
}

/**
 * Roots recorded whatever the ratio: rare and worth keeping. A flag evaluation happens once at
 * start and once per flags.json change, and its span carries the feature_flag.* events.
 */
const ALWAYS_RECORDED: ReadonlySet<SpanName> = new Set<SpanName>([SPAN_NAMES.flagsEvaluate]);

/** The policy of the file comment; one per tracer. */
export class HeadSampler {
  /** The SDK's id generator: the sampler draws a new root's trace id before the SDK does. */
  readonly ids = new PresetIdGenerator();
  private upperBound: number;
  private readonly remoteBudget: KeyedTokenBuckets;

  constructor(ratio: number, budget: RemoteSampleBudget = DEFAULT_REMOTE_SAMPLE_BUDGET, now: () => number = Date.now) {
    this.upperBound = ratioUpperBound(ratio);
    this.remoteBudget = new KeyedTokenBuckets(budget.burst, budget.refillMs, budget.maxSessions, now);
  }

  /** Changes the ratio for new roots and remote parents from now on (the trace-ratio flag). */
  setRatio(ratio: number): void {
    this.upperBound = ratioUpperBound(ratio);
  }

  /**
   * Returns an inert handle for a span not to record, or null when a real span must be started
   * (then start it with kept(parent)).
   * - No parent and no active span (a new root): TraceIdRatioBased on a freshly drawn trace id,
   *   which the SDK then uses for the span; when it loses the draw, the handle's context carries
   *   that trace id unsampled, for the work that follows to pass on.
   * - A remote parent (from a client): sampled when the ratio samples its trace id (the
   *   browser's sampler decides the same way), or when the client flagged it sampled and its
   *   session (`fields.session_id`) still has budget. Otherwise its children get it back unsampled.
   * - A local parent: followed (an unsampled one passes on unchanged).
   * The hot paths that open spans every tick thus cost a hash or a flag test, not a span.
   */
  skip(name: SpanName, parent: TraceContext | undefined, fields: Fields): SpanHandle | null {
    if (parent === undefined) {
      // A root only when no span is active (children of a live span follow their parent).
      if (trace.getSpan(context.active()) !== undefined) return null;
      const traceId = this.ids.random.generateTraceId();
      if (!sampledByRatio(traceId, this.upperBound) && !ALWAYS_RECORDED.has(name)) {
        // Its context (the drawn trace id, not sampled) goes on to the work it causes (a shot's
        // flight, carve, mesh and collider jobs), which then records nothing either instead of
        // drawing again as new roots: TRACE_SAMPLE is the share of commands whose whole story
        // is recorded, not that share again at every stage.
        return new UnsampledHandle({ traceId, spanId: this.ids.random.generateSpanId(), traceFlags: 0, isRemote: false });
      }
      this.ids.next = traceId;
      return null;
    }
    if (!parent.isRemote) return isSampled(parent) ? null : new UnsampledHandle(parent);
    if (sampledByRatio(parent.traceId, this.upperBound)) return null;
    if (isSampled(parent)) {
      const session = typeof fields.session_id === "string" ? fields.session_id : "";
      if (this.remoteBudget.take(session) === 0) return null;
    }
    return new UnsampledHandle({ traceId: parent.traceId, spanId: parent.spanId, traceFlags: parent.traceFlags & ~SAMPLED_FLAG, isRemote: false });
  }

  /** A remote parent the policy kept is recorded whatever its flag said (the SDK follows flags). */
  kept(parent: TraceContext | undefined): TraceContext | undefined {
    return parent === undefined || !parent.isRemote || isSampled(parent) ? parent : { ...parent, traceFlags: parent.traceFlags | SAMPLED_FLAG };
  }
}
