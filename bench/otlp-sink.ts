// Child process of `npm run loadtest -- --telemetry on|both`: a real OTLP/HTTP receiver on
// loopback that reads every POST body to the end, discards it and answers 200 `{}`, as a
// collector would. It runs in its own process for the reason the bots do: receiving a megabyte
// per second of span JSON is the collector's work, and must not land on the server's event loop.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** Totals the sink reports to the parent. */
export interface SinkStats {
  type: "stats";
  requests: number;
  bytes: number;
}

let requests = 0;
let bytes = 0;

const server = createServer((req, res) => {
  req.on("data", (chunk: Buffer) => {
    bytes += chunk.length;
  });
  req.on("end", () => {
    requests++;
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
  req.on("error", () => res.destroy());
});

// Idle connections stay open (Node closes them after 5 s by default). An exporter that reuses a
// socket just as the sink closes it gets a reset, and its retry draws Math.random for the
// backoff: under valgrind, where an export a second of game time is seconds of real time apart,
// that race shifted the trace ids drawn after it, and with them which commands were sampled.
server.keepAliveTimeout = 0;

server.listen(0, "127.0.0.1", () => {
  process.send?.({ type: "listening", port: (server.address() as AddressInfo).port });
});

process.on("message", (m: { type: string }) => {
  if (m.type === "stats") process.send?.({ type: "stats", requests, bytes } satisfies SinkStats);
  if (m.type === "stop") {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
process.on("disconnect", () => process.exit(0));
