// What the player is told about the connection. Pure, so the wording for each state is tested
// without a DOM; the page shows it in its message panel.
import { NetStatus } from "./connection.ts";

/** A message for the panel; `error` ones are final (the page must be reloaded). */
export interface StatusText {
  readonly title: string;
  readonly body: string;
  readonly error: boolean;
}

/**
 * The message for a connection state, or null when there is nothing to say (joined).
 * `joinedBefore` tells a first connection from a reconnection; `attempt` counts failed tries
 * and `retryInMs` is the wait before the next one (NaN while an attempt is under way).
 */
export function netStatusText(status: NetStatus, joinedBefore: boolean, attempt: number, retryInMs: number): StatusText | null {
  const when = Number.isFinite(retryInMs) && retryInMs > 0 ? `next try in ${Math.ceil(retryInMs / 1000)} s` : "trying now";
  switch (status) {
    case NetStatus.Playing:
      return null;
    case NetStatus.Connecting:
      return { title: "Connecting", body: "Joining the game server…", error: false };
    case NetStatus.Joining:
      return joinedBefore
        ? { title: "Reconnecting…", body: "Rejoining the game…", error: false }
        : { title: "Connecting", body: "Joining the game…", error: false };
    case NetStatus.Reconnecting:
      return joinedBefore
        ? { title: "Reconnecting…", body: `Connection lost (attempt ${attempt}, ${when}).`, error: false }
        : { title: "Cannot reach the game server", body: `Retrying (attempt ${attempt}, ${when}).`, error: false };
    case NetStatus.Transferring:
      return { title: "Entering zone…", body: "Crossing into the next zone.", error: false };
    case NetStatus.Failed:
      return { title: "This page is out of date", body: "The game server speaks another protocol version. Reload the page to update.", error: true };
    case NetStatus.Closed:
      return { title: "Disconnected", body: "The connection to the game server was closed.", error: false };
  }
}
