// Answers: a JSON or text body with its length, never cached, never sniffed. Every route on the
// game port and the metrics listener answers through these.
import type { ServerResponse } from "node:http";

/** Headers that make Node close the connection after answering without reading the body. */
export const CLOSE: Readonly<Record<string, string>> = { connection: "close" };

/** Writes a complete answer: `body` (UTF-8) as `contentType`, no-store, nosniff, plus `extra` headers. */
export function sendText(res: ServerResponse, status: number, contentType: string, body: string, extra: Readonly<Record<string, string>> = {}, head = false): void {
  res.writeHead(status, {
    "content-type": contentType,
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    ...extra,
  });
  res.end(head ? undefined : body);
}

/** Writes `body` as a JSON answer; `head` leaves the body out (HEAD requests). */
export function sendJson(res: ServerResponse, status: number, body: unknown, extra: Readonly<Record<string, string>> = {}, head = false): void {
  sendText(res, status, "application/json; charset=utf-8", JSON.stringify(body), extra, head);
}

/** Retry-After in whole seconds (at least 1) for a wait in ms. */
export function retryAfter(waitMs: number): string {
  return String(Math.max(1, Math.ceil(waitMs / 1000)));
}
