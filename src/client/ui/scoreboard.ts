// The scoreboard, shown while Tab is held: every player's callsign, team, downs, deaths and
// ping, best first as the server sorted them, this player's row highlighted. Rebuilt only
// when the model's revision changes or it is opened; text through textContent only.
import { EntityKind, Team } from "../../shared/protocol/messages.ts";
import type { HudModel } from "./hud-model.ts";
import { whoClass } from "./kill-feed.ts";

const TEAM_NAMES: Record<number, string> = { [Team.None]: "–", [Team.Alpha]: "Alpha", [Team.Bravo]: "Bravo" };
const COLUMNS = [["Callsign", ""], ["Team", ""], ["Downs", "num"], ["Deaths", "num"], ["Ping", "num"]] as const;

export class Scoreboard {
  private readonly root: HTMLDivElement;
  private readonly body: HTMLTableSectionElement;
  private revision = -1;

  constructor(parent: HTMLElement = document.body) {
    const doc = parent.ownerDocument;
    this.root = doc.createElement("div");
    this.root.className = "scoreboard";
    this.root.dataset.testid = "scoreboard";
    this.root.setAttribute("role", "dialog");
    this.root.setAttribute("aria-label", "Scoreboard");
    this.root.hidden = true;
    const title = doc.createElement("h2");
    title.textContent = "Scoreboard";
    const table = doc.createElement("table");
    const head = doc.createElement("thead");
    const row = doc.createElement("tr");
    for (const [label, cls] of COLUMNS) {
      const th = doc.createElement("th");
      th.scope = "col";
      th.textContent = label;
      if (cls) th.className = cls;
      row.append(th);
    }
    head.append(row);
    this.body = doc.createElement("tbody");
    table.append(head, this.body);
    this.root.append(title, table);
    parent.append(this.root);
  }

  /** Shows or hides it, redrawing the rows when they changed. */
  render(m: HudModel, open: boolean): void {
    if (this.root.hidden === open) this.root.hidden = !open;
    if (!open || m.revision === this.revision) return;
    this.revision = m.revision;
    const doc = this.root.ownerDocument;
    this.body.replaceChildren(...m.scoreboard.map((r) => {
      const tr = doc.createElement("tr");
      if (r.entityId === m.entityId) tr.className = "me";
      const cells: [string, string][] = [
        [r.callsign, whoClass(EntityKind.Player, r.team, m.team)],
        [TEAM_NAMES[r.team] ?? "–", ""],
        [String(r.downs), "num"],
        [String(r.deaths), "num"],
        [r.pingMs === null ? "–" : `${r.pingMs} ms`, "num"],
      ];
      for (const [text, cls] of cells) {
        const td = doc.createElement("td");
        td.textContent = text;
        if (cls) td.className = cls;
        tr.append(td);
      }
      return tr;
    }));
  }
}
