// The response headers of the page and every file it loads (static.ts sets them on each static
// response, 304s and 404s included). The page loads nothing from another origin: scripts,
// module workers, styles, icons and the manifest come from dist/, and the WebSocket, the
// telemetry ingest, the Sentry tunnel and the OTLP relay are all on the game's own port. So
// every fetch directive is 'self' or 'none' (with zones, connect-src also names the other
// zones' WebSocket origins, which a Transfer sends the page to), and the page can be cross-origin isolated
// (COOP + COEP), which gives performance.now() microsecond resolution in the page and in its
// dedicated workers (Chrome rounds it to 100 us without isolation).

/**
 * Content-Security-Policy: no inline script or style, no eval, no plugins, no framing, no
 * <base> or form targets. 'wasm-unsafe-eval' lets the mesher workers compile the game's own
 * WebAssembly mesher (fetched from 'self'); it allows no JavaScript eval. `connect-src 'self'`
 * covers ws:// on this origin (CSP level 3).
 * A dedicated worker is governed by the CSP of its own script response, which is this one.
 * Styles that UI code adds at run time go through constructable stylesheets (CSSOM), which
 * style-src does not restrict; `<style>` elements and style attributes would be refused.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "connect-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * Permissions-Policy: fullscreen for this origin (the web app manifest asks for fullscreen),
 * everything else the game does not use is denied to the page and any frame. Only features
 * Chromium knows are named: an unknown one is a console warning on every load (Debian's
 * Chromium knows neither `bluetooth` nor `web-share`).
 */
const PERMISSIONS_POLICY = [
  "fullscreen=(self)",
  ...[
    "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media", "gamepad",
    "geolocation", "gyroscope", "hid", "idle-detection", "magnetometer", "microphone", "midi",
    "payment", "picture-in-picture", "publickey-credentials-get", "screen-wake-lock", "serial",
    "sync-xhr", "usb", "xr-spatial-tracking",
  ].map((feature) => `${feature}=()`),
].join(", ");

/**
 * The Content-Security-Policy with `connect-src` widened to `sources` as well as 'self': the
 * other zones' WebSocket origins, which a page follows a Transfer to (zones/handoff.ts). Each
 * source must be a plain `ws(s)://host[:port]` origin; anything else is left out.
 */
export function contentSecurityPolicy(sources: readonly string[]): string {
  const ok = sources.filter((s) => /^wss?:\/\/[a-z0-9.\-[\]:]+$/i.test(s));
  if (ok.length === 0) return CONTENT_SECURITY_POLICY;
  return CONTENT_SECURITY_POLICY.replace("connect-src 'self'", `connect-src 'self' ${[...new Set(ok)].join(" ")}`);
}

/** Header name -> value, set on every static response. */
export const SECURITY_HEADERS = {
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Referrer-Policy": "no-referrer",
  "Permissions-Policy": PERMISSIONS_POLICY,
  "X-Content-Type-Options": "nosniff",
} as const;

/** The two headers that make a document cross-origin isolated (also used by `npm run dev`). */
export const ISOLATION_HEADERS = {
  "Cross-Origin-Opener-Policy": SECURITY_HEADERS["Cross-Origin-Opener-Policy"],
  "Cross-Origin-Embedder-Policy": SECURITY_HEADERS["Cross-Origin-Embedder-Policy"],
} as const;
