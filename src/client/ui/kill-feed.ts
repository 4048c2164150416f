// The kill feed: the last few downs, newest on top, in team colours as this player sees them
// (its team azure, the other red-pink, NPCs violet); lines involving this player stand out.
// Rebuilt only when the model's revision changes; text through textContent only.
import { EntityKind, Team } from "../../shared/protocol/messages.ts";
import type { FeedEntry, HudModel } from "./hud-model.ts";

/** The text class for a name, as seen by a player of team `own`. */
export function whoClass(kind: EntityKind, team: Team, own: Team): string {
  if (kind === EntityKind.Npc) return "who-npc";
  return team !== Team.None && team === own ? "who-ally" : "who-enemy";
}

export class KillFeed {
  private readonly root: HTMLOListElement;
  private revision = -1;

  constructor(parent: HTMLElement = document.body) {
    this.root = parent.ownerDocument.createElement("ol");
    this.root.className = "kill-feed";
    this.root.dataset.testid = "kill-feed";
    this.root.setAttribute("aria-live", "polite");
    this.root.setAttribute("aria-label", "Kill feed");
    this.root.hidden = true;
    parent.append(this.root);
  }

  /** Redraws when the feed changed. */
  render(m: HudModel): void {
    if (m.revision === this.revision) return;
    this.revision = m.revision;
    this.root.replaceChildren(...m.feed.map((e) => this.line(e, m.team)));
    this.root.hidden = m.feed.length === 0;
  }

  private line(e: FeedEntry, own: Team): HTMLLIElement {
    const doc = this.root.ownerDocument;
    const li = doc.createElement("li");
    if (e.mine) li.className = "mine";
    const name = (text: string, kind: EntityKind, team: Team): HTMLSpanElement => {
      const span = doc.createElement("span");
      span.className = whoClass(kind, team, own);
      span.textContent = text || "someone";
      return span;
    };
    const verb = doc.createElement("span");
    verb.className = "verb";
    verb.textContent = "downed";
    li.append(name(e.shooter, e.shooterKind, e.shooterTeam), verb, name(e.target, e.targetKind, e.targetTeam));
    return li;
  }
}
