// Shared test helpers: a capturing log destination, configs, and loopback HTTP/TCP servers.
import { createServer } from "node:http";
import type { IncomingMessage, Server } from "node:http";
import { createServer as createTcpServer } from "node:net";
import type { AddressInfo, Socket } from "node:net";
import { DEFAULT_TELEMETRY_CONFIG } from "../../../src/server/telemetry/config.ts";
import type { TelemetryConfig } from "../../../src/server/telemetry/config.ts";
import type { SpanHandle } from "../../../src/server/telemetry/facade.ts";
import { formatTraceparent } from "../../../src/shared/telemetry/trace-context.ts";

export type LogLine = Record<string, unknown>;

/** A pino destination that keeps every written line. */
export function captureLines(): { write(s: string): void; lines: string[]; json(): LogLine[] } {
  const lines: string[] = [];
  return {
    lines,
    write(s: string) {
      for (const l of s.split("\n")) if (l !== "") lines.push(l);
    },
    json() {
      return lines.map((l) => JSON.parse(l) as LogLine);
    },
  };
}

/** Test config: loopback, port 0, JSON logs, sample everything unless overridden. */
export function testConfig(over: Partial<TelemetryConfig> = {}): TelemetryConfig {
  return { ...DEFAULT_TELEMETRY_CONFIG, metricsAddr: { host: "127.0.0.1", port: 0 }, traceSample: 1, ...over };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export interface Receiver {
  url: string;
  requests: { path: string; headers: IncomingMessage["headers"]; body: Buffer }[];
  close(): Promise<void>;
}

/** A loopback HTTP server that records POST bodies and answers 200 with `{}`. */
export async function startReceiver(): Promise<Receiver> {
  const requests: Receiver["requests"] = [];
  const server: Server = createServer((req, res) => {
    readBody(req)
      .then((body) => {
        requests.push({ path: req.url ?? "", headers: req.headers, body });
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      })
      .catch(() => res.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A TCP server that accepts connections, reads everything and never answers. */
export async function startBlackHole(): Promise<{ url: string; connections: () => number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let total = 0;
  const server = createTcpServer((s) => {
    total++;
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
    s.resume();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => total,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** The W3C traceparent of a span handle's context (what would leave the process), or undefined. */
export function traceparentOf(span: SpanHandle): string | undefined {
  const c = span.context();
  return c === undefined ? undefined : formatTraceparent(c);
}
