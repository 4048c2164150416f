// Privacy scrubbing of crash reports (Sentry events and breadcrumbs), as plain JSON: the
// browser runs it in beforeSend/beforeBreadcrumb, and the server's tunnel runs the same rules
// again on every envelope it stores or forwards, since an envelope can be crafted without the
// SDK. Masking happens before any cut, so a truncation never leaves part of a secret behind.

import { maskIpAddresses } from "./redact.ts";

type Json = Record<string, unknown>;

/**
 * The Sentry SDKs' (v11) `dataCollection` option, the same in the browser and the server: no
 * user info, cookies, headers, bodies, query strings or local variables are collected at all
 * (the scrubbing below is the second line). A fresh object each call.
 */
export function sentryDataCollection(): {
  userInfo: false; cookies: false; httpHeaders: false; httpBodies: never[]; urlQueryParams: false; stackFrameVariables: false;
} {
  return { userInfo: false, cookies: false, httpHeaders: false, httpBodies: [], urlQueryParams: false, stackFrameVariables: false };
}

/** Contexts kept on events; everything else (user-ish, culture, device, state...) is dropped. */
const KEPT_CONTEXTS = new Set(["trace", "gpu", "app"]);
/** Breadcrumb categories kept (their free-text messages are still removed). */
const KEPT_BREADCRUMB_CATEGORIES = new Set(["fetch", "xhr", "navigation", "sentry.event", "gpu", "game"]);
/** Breadcrumb data keys kept. */
const KEPT_BREADCRUMB_DATA = new Set(["method", "status_code", "url", "from", "to", "class", "reason"]);
const URL_DATA = new Set(["url", "from", "to"]);
/** Tags kept when their value is a short token. */
const TAG_VALUE = /^[a-z0-9._-]{0,64}$/i;
const MAX_DATA_STRING = 32;

const EMAIL = /[A-Z0-9._%+-]+@[A-Z0-9.-]+\.[A-Z]{2,}/gi;
const JWT = /\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
const BEARER = /\b(bearer|token|key|secret|password)([=:\s]+)\S+/gi;

/** Replaces emails, IP addresses and token-looking substrings in free text. */
export function redactText(text: string): string {
  return maskIpAddresses(text.replace(EMAIL, "[email]").replace(JWT, "[token]").replace(BEARER, "$1$2[redacted]"));
}

/** Removes query string, fragment and user info from a URL (relative or absolute); masks what is left. */
export function stripUrl(url: string): string {
  const cut = url.search(/[?#]/);
  const base = cut >= 0 ? url.slice(0, cut) : url;
  return redactText(base.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, "$1"));
}

function asObject(v: unknown): Json | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
}

/** Scrubs one breadcrumb; returns null for categories that may carry free text (console, ui). */
export function scrubBreadcrumbJson(crumb: Json): Json | null {
  const raw = crumb.category ?? crumb.type ?? "";
  const category = typeof raw === "string" ? raw : "";
  if (!KEPT_BREADCRUMB_CATEGORIES.has(category)) return null;
  const out: Json = { category, level: typeof crumb.level === "string" ? crumb.level : undefined, timestamp: typeof crumb.timestamp === "number" ? crumb.timestamp : undefined };
  if (typeof crumb.type === "string") out.type = crumb.type;
  const data = asObject(crumb.data);
  if (data) {
    const kept: Json = {};
    for (const [k, v] of Object.entries(data)) {
      if (!KEPT_BREADCRUMB_DATA.has(k)) continue;
      if (typeof v === "number") kept[k] = v;
      else if (typeof v === "string") kept[k] = URL_DATA.has(k) ? stripUrl(v) : redactText(v).slice(0, MAX_DATA_STRING);
    }
    out.data = kept;
  }
  return out;
}

function scrubException(ex: Json): void {
  if (typeof ex.value === "string") ex.value = redactText(ex.value);
  else delete ex.value;
  if (typeof ex.type === "string") ex.type = redactText(ex.type);
  const mechanism = asObject(ex.mechanism);
  if (mechanism) delete mechanism.data;
  const frames = asObject(ex.stacktrace)?.frames;
  if (!Array.isArray(frames)) return;
  for (const f of frames) {
    const frame = asObject(f);
    if (!frame) continue;
    if (typeof frame.filename === "string") frame.filename = stripUrl(frame.filename);
    if (typeof frame.abs_path === "string") frame.abs_path = stripUrl(frame.abs_path);
    delete frame.vars;
  }
}

function scrubBreadcrumbs(list: unknown): Json[] | undefined {
  const items = Array.isArray(list) ? list : asObject(list)?.values;
  if (!Array.isArray(items)) return undefined;
  const kept: Json[] = [];
  for (const b of items) {
    const crumb = asObject(b);
    const s = crumb ? scrubBreadcrumbJson(crumb) : null;
    if (s) kept.push(s);
  }
  return kept;
}

/**
 * Scrubs a Sentry event in place and returns it: no user, no IP, no headers, cookies or query
 * strings, no identity contexts, no free-text breadcrumbs; e-mails and tokens masked in the
 * message, exception values and breadcrumb data. Works on any JSON (fields of the wrong type go).
 */
export function scrubEventJson(event: Json): Json {
  delete event.user;
  delete event.server_name;
  delete event.extra;
  delete event.modules;
  if (event.request !== undefined) {
    const url = asObject(event.request)?.url;
    event.request = typeof url === "string" ? { url: stripUrl(url) } : {};
  }
  if (typeof event.transaction === "string") event.transaction = stripUrl(event.transaction);
  else delete event.transaction;
  if (typeof event.message === "string") event.message = redactText(event.message);
  else if (event.message !== undefined) {
    const m = asObject(event.message)?.message;
    event.message = typeof m === "string" ? redactText(m) : undefined;
  }
  const logMessage = asObject(event.logentry)?.message;
  if (event.logentry !== undefined) event.logentry = typeof logMessage === "string" ? { message: redactText(logMessage) } : undefined;
  const contexts = asObject(event.contexts);
  if (contexts) for (const key of Object.keys(contexts)) if (!KEPT_CONTEXTS.has(key)) delete contexts[key];
  if (event.contexts !== undefined && !contexts) delete event.contexts;
  const tags = asObject(event.tags);
  if (tags) {
    for (const [k, v] of Object.entries(tags)) {
      if (!(typeof v === "string" && TAG_VALUE.test(v)) && typeof v !== "number" && typeof v !== "boolean") delete tags[k];
    }
  } else if (event.tags !== undefined) delete event.tags;
  const values = asObject(event.exception)?.values;
  if (Array.isArray(values)) for (const ex of values) if (asObject(ex)) scrubException(ex as Json);
  if (event.breadcrumbs !== undefined) event.breadcrumbs = scrubBreadcrumbs(event.breadcrumbs);
  const sdk = asObject(event.sdk);
  if (sdk) sdk.settings = { ...asObject(sdk.settings), infer_ip: "never" };
  return event;
}
