// Sentry envelopes as the tunnel accepts them: the envelope header and each item header have a
// schema (unknown header keys are dropped), and only allow-listed item types pass. Everything
// else (attachments, user feedback and reports, sessions, transactions, replays, and any type
// not named here) is dropped and counted by type.

import { z } from "../zod.ts";
import type { DroppedItemType } from "./names.ts";

/** Item types the tunnel stores or forwards: error events only (all the browser SDK sends as configured). */
export const ALLOWED_ITEM_TYPES: ReadonlySet<string> = new Set(["event"]);

const TOKEN = /^[A-Za-z0-9._-]{1,64}$/;

/** The envelope header: known keys only; the DSN is checked against ours by the tunnel. */
export const envelopeHeaderSchema = z.object({
  event_id: z.string().regex(/^[0-9a-f]{32}$/).optional(),
  dsn: z.string().max(512).optional(),
  sent_at: z.string().max(64).optional(),
  sdk: z.object({ name: z.string().regex(TOKEN), version: z.string().regex(TOKEN) }).optional(),
  // The dynamic sampling context: ids and tokens only (no transaction name, no user segment).
  trace: z
    .object({
      trace_id: z.string().regex(/^[0-9a-f]{32}$/).optional(),
      public_key: z.string().regex(TOKEN).optional(),
      release: z.string().max(200).optional(),
      environment: z.string().regex(TOKEN).optional(),
      sample_rate: z.string().max(32).optional(),
      sampled: z.string().max(8).optional(),
    })
    .optional(),
});

/** An item header: its type, nothing else is kept (lengths are recomputed when re-serialised). */
export const itemHeaderSchema = z.object({ type: z.string().min(1).max(64) });

/** The metric label of a dropped item type. */
export function droppedItemType(type: string): DroppedItemType {
  switch (type) {
    case "attachment":
    case "user_report":
    case "feedback":
    case "transaction":
      return type;
    case "session":
    case "sessions":
      return "session";
    case "replay_event":
    case "replay_recording":
    case "replay_video":
      return "replay";
    default:
      return "other";
  }
}
