// Request bodies from untrusted clients: the declared length is checked before anything is
// read, reading stops at once past the limit (the caller answers 413 with Connection: close,
// so the rest is never consumed), and an aborted upload settles instead of hanging.
import type { IncomingMessage } from "node:http";

/** A body read in full, or why not: over the limit, or the client went away mid-upload. */
export type BodyResult = { ok: true; body: Buffer } | { ok: false; reason: "too_large" | "aborted" };

/** True when the Content-Length header already says the body is over `maxBytes`. */
export function declaredTooLarge(req: IncomingMessage, maxBytes: number): boolean {
  return Number(req.headers["content-length"] ?? Number.NaN) > maxBytes;
}

/** True when the Content-Type is application/json (any parameters). */
export function isJsonRequest(req: IncomingMessage): boolean {
  const type = req.headers["content-type"];
  if (!type) return false;
  return type.split(";")[0].trim().toLowerCase() === "application/json";
}

/** Reads the request body, at most maxBytes (see the file comment). Never rejects. */
export function readLimitedBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const settle = (v: BodyResult): void => {
      if (done) return;
      done = true;
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onAbort);
      req.off("close", onClose);
      resolve(v);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        req.pause();
        settle({ ok: false, reason: "too_large" });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => settle({ ok: true, body: Buffer.concat(chunks, size) });
    const onAbort = (): void => settle({ ok: false, reason: "aborted" });
    const onClose = (): void => {
      if (!req.complete) settle({ ok: false, reason: "aborted" });
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onAbort);
    req.on("close", onClose);
  });
}
