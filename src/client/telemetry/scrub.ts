// Privacy scrubbing for crash reports (Sentry beforeSend / beforeBreadcrumb). Runs on every
// event even though the SDK is configured not to collect user data: defence in depth against
// an integration, a future SDK default or our own code adding something personal. The rules
// live in src/shared/telemetry/scrub.ts: the server's tunnel applies them again.

import type { Breadcrumb, Event } from "@sentry/browser";
import { scrubBreadcrumbJson, scrubEventJson } from "../../shared/telemetry/scrub.ts";

export { redactText, stripUrl } from "../../shared/telemetry/scrub.ts";

/** Scrubs one breadcrumb; returns null for categories that may carry free text (console, ui). */
export function scrubBreadcrumb(crumb: Breadcrumb): Breadcrumb | null {
  return scrubBreadcrumbJson(crumb as Record<string, unknown>) as Breadcrumb | null;
}

/** Scrubs an event in place and returns it: no user, no IP, no headers/cookies/query strings, no free-text crumbs. */
export function scrubEvent<E extends Event>(event: E): E {
  return scrubEventJson(event as Record<string, unknown>) as E;
}
