// OTLP/JSON trace export requests (ExportTraceServiceRequest), as the OTLP specification
// defines their JSON encoding: ids are hex (case-insensitive; normalised to lowercase) of the
// right length and not all zero, 64-bit integers are decimal strings or JSON numbers, enums
// are integers, unknown fields are ignored. On top of the spec, everything is bounded (counts,
// name and key lengths, value sizes, nesting), since the relay takes it from browsers. The
// request's envelope and each span are checked apart, so one bad span is refused alone
// (OTLP partial success) while the rest of its request is kept.

import { z } from "../zod.ts";
import type { SpanRejectReason } from "./names.ts";

/** Bounds of what the relay accepts. */
const OTLP_LIMITS = {
  maxResourceSpans: 16,
  maxScopeSpans: 16,
  maxNameLength: 128,
  maxAttributes: 64,
  maxKeyLength: 128,
  maxStringLength: 1024,
  maxArrayValues: 32,
  /** Nesting of arrayValue / kvlistValue inside an attribute value. */
  maxValueDepth: 2,
  maxEvents: 32,
  maxLinks: 16,
  maxTraceStateLength: 512,
} as const;

const L = OTLP_LIMITS;
const ZERO = /^0+$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const MAX_UINT64 = (1n << 64n) - 1n;

const hexId = (chars: number, what: string) =>
  z
    .string()
    .regex(new RegExp(`^[0-9a-fA-F]{${chars}}$`), `${what}: ${chars} hex digits`)
    .refine((s) => !ZERO.test(s), `${what}: all zero`)
    .transform((s) => s.toLowerCase());

const traceId = hexId(32, "traceId");
const spanId = hexId(16, "spanId");

const DIGITS = /^\d{1,20}$/;

/**
 * fixed64 nanoseconds since the epoch: a decimal string (the JSON mapping) or an integral number.
 * (zod 4 runs every check even after one failed, so each check stands on its own.)
 */
const unixNano = z
  .union([
    z.string().refine((s) => DIGITS.test(s) && BigInt(s) <= MAX_UINT64, "decimal digits within uint64"),
    z.number().int().nonnegative(),
  ])
  .transform((v) => (typeof v === "string" ? Number(BigInt(v) / 1000n) / 1000 : v / 1e6));

const uint32 = z.number().int().min(0).max(0xffffffff);
const int64 = z.union([z.string().regex(/^-?\d{1,19}$/, "decimal digits"), z.number().int()]);

/** Plain attribute values kept in the trace store (kvlist and bytes values are validated, not kept). */
export type AttrValue = string | number | boolean | string[] | number[] | boolean[];

interface AnyValueIn {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  bytesValue?: string;
  arrayValue?: { values?: AnyValueIn[] };
  kvlistValue?: { values?: KeyValueIn[] };
}

interface KeyValueIn {
  key: string;
  value?: AnyValueIn;
}

const ONE_OF = ["stringValue", "boolValue", "intValue", "doubleValue", "bytesValue", "arrayValue", "kvlistValue"] as const;

/** AnyValue, at most one of its fields set, nested at most `depth` more levels (built without recursion). */
function anyValue(depth: number): z.ZodType<AnyValueIn> {
  const nested = depth > 0;
  return z
    .object({
      stringValue: z.string().max(L.maxStringLength).optional(),
      boolValue: z.boolean().optional(),
      intValue: int64.optional(),
      doubleValue: z.number().optional(),
      bytesValue: z.string().max(L.maxStringLength).regex(BASE64, "base64").optional(),
      arrayValue: nested ? z.object({ values: z.array(anyValue(depth - 1)).max(L.maxArrayValues).optional() }).optional() : z.undefined(),
      kvlistValue: nested ? z.object({ values: z.array(keyValue(depth - 1)).max(L.maxArrayValues).optional() }).optional() : z.undefined(),
    })
    .refine((v) => ONE_OF.filter((k) => v[k] !== undefined).length <= 1, "more than one value field set");
}

function keyValue(depth: number): z.ZodType<KeyValueIn> {
  return z.object({ key: z.string().min(1).max(L.maxKeyLength), value: anyValue(depth).optional() });
}

const attributes = z.array(keyValue(L.maxValueDepth)).max(L.maxAttributes);

const event = z.object({
  timeUnixNano: unixNano,
  name: z.string().min(1).max(L.maxNameLength),
  attributes: attributes.optional(),
  droppedAttributesCount: uint32.optional(),
});

const link = z.object({
  traceId,
  spanId,
  traceState: z.string().max(L.maxTraceStateLength).optional(),
  attributes: attributes.optional(),
  droppedAttributesCount: uint32.optional(),
  flags: uint32.optional(),
});

/** One OTLP/JSON Span. Times come out as epoch milliseconds. */
export const otlpSpanSchema = z.object({
  traceId,
  spanId,
  traceState: z.string().max(L.maxTraceStateLength).optional(),
  // A root span has no parent: the field is absent or empty.
  parentSpanId: z.union([z.literal(""), spanId]).optional(),
  flags: uint32.optional(),
  name: z.string().min(1).max(L.maxNameLength),
  kind: z.number().int().min(0).max(5).optional(),
  startTimeUnixNano: unixNano,
  endTimeUnixNano: unixNano,
  attributes: attributes.optional(),
  droppedAttributesCount: uint32.optional(),
  events: z.array(event).max(L.maxEvents).optional(),
  droppedEventsCount: uint32.optional(),
  links: z.array(link).max(L.maxLinks).optional(),
  droppedLinksCount: uint32.optional(),
  status: z.object({ message: z.string().max(L.maxStringLength).optional(), code: z.number().int().min(0).max(2).optional() }).optional(),
});
export type OtlpSpan = z.infer<typeof otlpSpanSchema>;

/** The request around the spans: resources and scopes checked, spans left for otlpSpanSchema one by one. */
export const otlpTracesRequestSchema = z.object({
  resourceSpans: z
    .array(
      z.object({
        resource: z.object({ attributes: attributes.optional(), droppedAttributesCount: uint32.optional() }).optional(),
        scopeSpans: z
          .array(
            z.object({
              scope: z
                .object({
                  name: z.string().max(L.maxNameLength).optional(),
                  version: z.string().max(L.maxNameLength).optional(),
                  attributes: attributes.optional(),
                  droppedAttributesCount: uint32.optional(),
                })
                .optional(),
              spans: z.array(z.unknown()).optional(),
              schemaUrl: z.string().max(L.maxStringLength).optional(),
            }),
          )
          .max(L.maxScopeSpans)
          .optional(),
        schemaUrl: z.string().max(L.maxStringLength).optional(),
      }),
    )
    .max(L.maxResourceSpans)
    .optional(),
});
export type OtlpTracesRequest = z.infer<typeof otlpTracesRequestSchema>;

/** The span field a schema issue is about -> the `reason` it is counted under. */
const FIELD_REASONS: Readonly<Record<string, SpanRejectReason>> = {
  traceId: "trace_id",
  spanId: "span_id",
  parentSpanId: "parent_span_id",
  name: "name",
  kind: "kind",
  startTimeUnixNano: "time",
  endTimeUnixNano: "time",
  attributes: "attributes",
  droppedAttributesCount: "attributes",
  events: "events",
  droppedEventsCount: "events",
  links: "links",
  droppedLinksCount: "links",
  status: "status",
};

/** The reason a span failed otlpSpanSchema, from the first issue's field. */
export function spanRejectReason(error: z.ZodError): SpanRejectReason {
  const field = error.issues[0]?.path[0];
  return (typeof field === "string" && Object.hasOwn(FIELD_REASONS, field) ? FIELD_REASONS[field] : undefined) ?? "other";
}

/** A short description of a schema failure that names fields only, never client text. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return "invalid";
  const path = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
  return `${path.replace(/^\./, "") || "(root)"}: ${issue.code}`;
}

/** An attribute list as a plain record (null prototype); kvlist and bytes values are not kept. */
export function flattenAttributes(list: readonly KeyValueIn[] | undefined): Record<string, AttrValue> {
  const out = Object.create(null) as Record<string, AttrValue>;
  for (const kv of list ?? []) {
    const v = plainValue(kv.value);
    if (v !== undefined) out[kv.key] = v;
  }
  return out;
}

function plainValue(v: AnyValueIn | undefined): AttrValue | undefined {
  if (v === undefined) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) {
    const n = Number(v.intValue);
    return Number.isFinite(n) ? n : undefined;
  }
  if (v.doubleValue !== undefined) return Number.isFinite(v.doubleValue) ? v.doubleValue : undefined;
  const arr = v.arrayValue?.values;
  if (arr !== undefined) {
    const vals = arr.map(plainValue);
    if (vals.every((x) => typeof x === "string")) return vals as string[];
    if (vals.every((x) => typeof x === "number")) return vals as number[];
    if (vals.every((x) => typeof x === "boolean")) return vals as boolean[];
  }
  return undefined;
}
