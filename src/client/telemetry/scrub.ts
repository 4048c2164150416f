// Privacy scrubbing for crash reports (Sentry beforeSend / beforeBreadcrumb). Runs on every
// event even though the SDK is configured not to collect user data: defence in depth against
// an integration, a future SDK default or our own code adding something personal.

import type { Breadcrumb, Event } from "@sentry/browser";
import { maskIpAddresses } from "../../shared/telemetry/redact.ts";

/** Contexts kept on events; everything else (culture, device, state...) is dropped. */
const KEPT_CONTEXTS = new Set(["trace", "gpu", "app"]);
/** Breadcrumb categories kept (their free-text messages are still removed). */
const KEPT_BREADCRUMB_CATEGORIES = new Set(["fetch", "xhr", "navigation", "sentry.event", "gpu", "game"]);
/** Breadcrumb data keys kept. */
const KEPT_BREADCRUMB_DATA = new Set(["method", "status_code", "url", "from", "to", "class", "reason"]);
/** Tags kept when their value is a short token. */
const TAG_VALUE = /^[a-z0-9._-]{0,64}$/i;

const EMAIL = /[A-Z0-9._%+-]+@[A-Z0-9.-]+\.[A-Z]{2,}/gi;
const JWT = /\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
const BEARER = /\b(bearer|token|key|secret|password)([=:\s]+)\S+/gi;

/** Replaces emails, IP addresses and token-looking substrings in free text. */
export function redactText(text: string): string {
  return maskIpAddresses(text.replace(EMAIL, "[email]").replace(JWT, "[token]").replace(BEARER, "$1$2[redacted]"));
}

/** Removes query string, fragment and user info from a URL (relative or absolute). */
export function stripUrl(url: string): string {
  const cut = url.search(/[?#]/);
  const base = cut >= 0 ? url.slice(0, cut) : url;
  return base.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, "$1");
}

/** Scrubs one breadcrumb; returns null for categories that may carry free text (console, ui). */
export function scrubBreadcrumb(crumb: Breadcrumb): Breadcrumb | null {
  const category = crumb.category ?? crumb.type ?? "";
  if (!KEPT_BREADCRUMB_CATEGORIES.has(category)) return null;
  const out: Breadcrumb = { category, level: crumb.level, timestamp: crumb.timestamp };
  if (crumb.type) out.type = crumb.type;
  if (crumb.data) {
    const data: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(crumb.data)) {
      if (!KEPT_BREADCRUMB_DATA.has(k)) continue;
      if (typeof v === "number") data[k] = v;
      else if (typeof v === "string") data[k] = k === "url" || k === "from" || k === "to" ? stripUrl(v) : v.slice(0, 32);
    }
    out.data = data;
  }
  return out;
}

/** Scrubs an event in place and returns it: no user, no IP, no headers/cookies/query strings, no free-text crumbs. */
export function scrubEvent<E extends Event>(event: E): E {
  delete event.user;
  delete event.server_name;
  delete event.extra;
  delete event.modules;
  if (event.request) {
    const url = event.request.url;
    event.request = url ? { url: stripUrl(url) } : {};
  }
  if (event.transaction) event.transaction = stripUrl(event.transaction);
  if (event.message) event.message = redactText(event.message);
  if (event.logentry?.message) event.logentry = { message: redactText(event.logentry.message) };
  if (event.contexts) {
    for (const key of Object.keys(event.contexts)) if (!KEPT_CONTEXTS.has(key)) delete event.contexts[key];
  }
  if (event.tags) {
    for (const [k, v] of Object.entries(event.tags)) {
      if (!(typeof v === "string" && TAG_VALUE.test(v)) && typeof v !== "number" && typeof v !== "boolean") delete event.tags[k];
    }
  }
  for (const ex of event.exception?.values ?? []) {
    if (ex.value) ex.value = redactText(ex.value);
    for (const frame of ex.stacktrace?.frames ?? []) {
      if (frame.filename) frame.filename = stripUrl(frame.filename);
      if (frame.abs_path) frame.abs_path = stripUrl(frame.abs_path);
      delete frame.vars;
    }
  }
  if (event.breadcrumbs) {
    const kept: Breadcrumb[] = [];
    for (const b of event.breadcrumbs) {
      const s = scrubBreadcrumb(b);
      if (s) kept.push(s);
    }
    event.breadcrumbs = kept;
  }
  if (event.sdk) event.sdk.settings = { ...event.sdk.settings, infer_ip: "never" };
  return event;
}
