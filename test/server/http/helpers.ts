// Loopback HTTP helpers for the telemetry route tests.
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { HttpRoute } from "../../../src/server/http/routes.ts";
import type { ClientMetrics } from "../../../src/server/telemetry/facade.ts";

/** Serves `handlers` in order (404 when none answers) on a random loopback port. */
export async function serve(...handlers: HttpRoute[]): Promise<{ url: string; server: Server; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    void (async () => {
      for (const h of handlers) if (await h(req, res)) return;
      res.writeHead(404).end();
    })();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** A receiver that records every request body (an upstream Sentry / OTLP collector stand-in). */
export async function receiver(status = 200, extraHeaders: Record<string, string> = {}) {
  const got: { path: string; headers: IncomingMessage["headers"]; body: Buffer }[] = [];
  const handler: HttpRoute = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    got.push({ path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks) });
    res.writeHead(status, { "content-type": "application/json", ...extraHeaders }).end("{}");
    return true;
  };
  const s = await serve(handler);
  return { ...s, got };
}

/** ClientMetrics that records calls. */
export function recordingMetrics() {
  const calls = {
    frameTime: [] as number[],
    uploadDuration: [] as number[],
    uploadBytes: new Map<string, number>(),
    gpuError: new Map<string, number>(),
    request: new Map<string, number>(),
    rejected: new Map<string, number>(),
    spansRejected: new Map<string, number>(),
    crashItemDropped: new Map<string, number>(),
  };
  const add = (m: Map<string, number>, k: string, n: number): void => void m.set(k, (m.get(k) ?? 0) + n);
  const metrics: ClientMetrics = {
    frameTime: (s) => void calls.frameTime.push(s),
    uploadDuration: (s) => void calls.uploadDuration.push(s),
    uploadBytes: (b, n) => add(calls.uploadBytes, b, n),
    gpuError: (c, n = 1) => add(calls.gpuError, c, n),
    request: (route, result) => add(calls.request, `${route}/${result}`, 1),
    rejected: (route, reason) => add(calls.rejected, `${route}/${reason}`, 1),
    spansRejected: (reason, n = 1) => add(calls.spansRejected, reason, n),
    crashItemDropped: (type) => add(calls.crashItemDropped, type, 1),
  };
  return { metrics, calls };
}
