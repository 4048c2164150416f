// Reads an OTLP/HTTP trace export the way a collector does, in either encoding the server can
// send (OTLP_PROTOCOL): application/x-protobuf, decoded with protobufjs against the OTLP trace
// schema below, or application/json. Both come back in the OTLP/JSON shape (camelCase fields,
// 64-bit integers as decimal strings; ids hex in JSON, base64 from protobuf), so a test reads
// one shape whatever the server sent.
import protobuf from "protobufjs";

/**
 * The messages of opentelemetry-proto's collector/trace/v1 and trace/v1 that a span export uses,
 * with their field numbers (links and dropped counts are left out: unknown fields are skipped).
 */
const OTLP_TRACE_PROTO = `
syntax = "proto3";
package otlp;
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; string schema_url = 3; }
message Resource { repeated KeyValue attributes = 1; }
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; string schema_url = 3; }
message InstrumentationScope { string name = 1; string version = 2; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4;
  string name = 5; int32 kind = 6; fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9; repeated Event events = 11; Status status = 15; fixed32 flags = 16;
}
message Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3; }
message Status { string message = 2; int32 code = 3; }
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; ArrayValue array_value = 5; bytes bytes_value = 7; }
}
message ArrayValue { repeated AnyValue values = 1; }
`;

const Request = protobuf.parse(OTLP_TRACE_PROTO).root.lookupType("otlp.ExportTraceServiceRequest");

/** An OTLP request as its headers and body arrived. */
export interface OtlpHttpRequest {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

/**
 * The request's body in the OTLP/JSON shape.
 * @throws Error when the content type is neither OTLP encoding, or the body does not decode
 */
export function otlpRequestBody<T>(req: OtlpHttpRequest): T {
  const type = String(req.headers["content-type"] ?? "");
  if (type.startsWith("application/json")) return JSON.parse(req.body.toString("utf8")) as T;
  if (!type.startsWith("application/x-protobuf")) throw new Error(`OTLP request with content-type ${type}, expected application/x-protobuf or application/json`);
  const message = Request.decode(req.body);
  return Request.toObject(message, { longs: String, bytes: String, oneofs: false, defaults: false, arrays: true }) as T;
}
