// The settings panel: a gear button (and Escape) opens it; the game settings (when given),
// two consent switches, both off until the player turns them on, and a button for the dev
// overlay. The switches write straight to the consent store, which stops or starts telemetry
// synchronously. With a pause state the panel is the pause menu: open while paused. Keyboard
// only works throughout: focus moves into the panel when it opens and Tab cycles inside it.

import type { SettingsStore } from "../game/settings.ts";
import { injectStyle } from "./dev-overlay.ts";
import { createGameSettingsSection } from "./game-settings-section.ts";
import type { GameSettingsSection } from "./game-settings-section.ts";
import type { PauseState } from "./pause.ts";

/** The consent API the panel needs (ConsentStore satisfies it). */
export interface ConsentSwitches {
  granted(channel: "performance" | "crash"): boolean;
  set(channel: "performance" | "crash", on: boolean): void;
  subscribe(listener: (channel: "performance" | "crash") => void): () => void;
}

export interface SettingsPanelOptions {
  consent: ConsentSwitches;
  /** Toggles the dev overlay; without it the overlay button is not shown. */
  onToggleOverlay?: () => void;
  /** The game settings: shown as the "Game" section when given. */
  game?: SettingsStore;
  /** The pause state the panel follows (open exactly while paused) and sets. */
  pause?: PauseState;
}

/** Handle returned by installSettingsPanel. */
export interface SettingsPanel {
  toggle(force?: boolean): void;
  readonly open: boolean;
  dispose(): void;
}

const CSS = `
.vs-gear{position:fixed;top:8px;right:8px;z-index:30;width:36px;height:36px;border:0;border-radius:50%;
background:rgba(10,14,20,.6);color:#fff;font-size:20px;line-height:36px;cursor:pointer}
.vs-gear:focus-visible,.vs-settings button:focus-visible,.vs-settings input:focus-visible{outline:2px solid #8fb8e0;outline-offset:2px}
.vs-settings{position:fixed;top:52px;right:8px;z-index:30;width:300px;padding:12px 14px;border-radius:8px;
background:rgba(14,18,26,.94);color:#e8edf3;font:13px/1.4 system-ui,sans-serif;box-shadow:0 6px 24px rgba(0,0,0,.35)}
.vs-settings[hidden]{display:none}
.vs-settings h2{margin:0 0 8px;font-size:15px}
.vs-settings h3{margin:10px 0 4px;font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:#8fb8e0}
.vs-settings label{display:flex;gap:8px;align-items:center;cursor:pointer;margin-top:6px}
.vs-settings p{margin:2px 0 0 26px;color:#aab4c0;font-size:12px}
.vs-settings .vs-actions{display:flex;gap:8px;justify-content:space-between;margin-top:12px}
.vs-settings button{border:0;border-radius:4px;padding:5px 10px;background:#2b3a4d;color:#fff;cursor:pointer}
.vs-settings{max-height:calc(100vh - 64px);overflow:auto}
.vs-settings .vs-range,.vs-settings .vs-select{display:grid;grid-template-columns:1fr auto;gap:2px 8px;align-items:center;margin-top:6px}
.vs-settings .vs-range label,.vs-settings .vs-select label{margin:0}
.vs-settings .vs-range input{grid-column:1 / span 2;width:100%;margin:0}
.vs-settings output{color:#aab4c0;font-variant-numeric:tabular-nums}
.vs-settings select{background:#2b3a4d;color:#fff;border:0;border-radius:4px;padding:3px 6px}
.vs-settings select:focus-visible{outline:2px solid #8fb8e0;outline-offset:2px}
`;

/** An Escape this soon after the panel opened is the one that opened it (see toggle). */
const ESCAPE_GRACE_MS = 250;

const SWITCHES = [
  {
    channel: "performance",
    testid: "consent-performance",
    label: "Share performance statistics",
    hint: "Frame rate, GPU, meshing and network figures, aggregated every 30 s, plus traces of a sample of shots. No names, no IP addresses.",
  },
  {
    channel: "crash",
    testid: "consent-crash",
    label: "Send crash reports",
    hint: "Error reports with stack traces when the game breaks, with personal data removed.",
  },
] as const;

/** Mounts the gear button and the (closed) panel, binds Escape; returns the handle. */
export function installSettingsPanel(ctx: { mount: HTMLElement }, options: SettingsPanelOptions): SettingsPanel {
  const doc = ctx.mount.ownerDocument;
  const win = doc.defaultView;
  const removeStyle = injectStyle(doc, "settings-panel", CSS);

  const gear = doc.createElement("button");
  gear.type = "button";
  gear.className = "vs-gear";
  gear.dataset.testid = "settings-button";
  gear.setAttribute("aria-label", "Settings");
  gear.setAttribute("aria-expanded", "false");
  gear.setAttribute("aria-controls", "vs-settings-panel");
  gear.textContent = "⚙";

  const panel = doc.createElement("div");
  panel.id = "vs-settings-panel";
  panel.className = "vs-settings";
  panel.dataset.testid = "settings-panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", "Settings");
  panel.hidden = true;

  const h2 = doc.createElement("h2");
  h2.textContent = "Settings";
  panel.append(h2);
  const game: GameSettingsSection | null = options.game ? createGameSettingsSection(doc, options.game) : null;
  if (game !== null) panel.append(game.element);
  const h3 = doc.createElement("h3");
  h3.textContent = "Privacy";
  panel.append(h3);

  const inputs = new Map<"performance" | "crash", HTMLInputElement>();
  for (const s of SWITCHES) {
    const label = doc.createElement("label");
    const input = doc.createElement("input");
    input.type = "checkbox";
    input.dataset.testid = s.testid;
    input.checked = options.consent.granted(s.channel);
    input.addEventListener("change", () => options.consent.set(s.channel, input.checked));
    label.append(input, s.label);
    const hint = doc.createElement("p");
    hint.textContent = s.hint;
    panel.append(label, hint);
    inputs.set(s.channel, input);
  }

  const actions = doc.createElement("div");
  actions.className = "vs-actions";
  if (options.onToggleOverlay) {
    const overlayBtn = doc.createElement("button");
    overlayBtn.type = "button";
    overlayBtn.dataset.testid = "toggle-overlay";
    overlayBtn.textContent = "Dev overlay (F3)";
    const onToggleOverlay = options.onToggleOverlay;
    overlayBtn.addEventListener("click", () => onToggleOverlay());
    actions.appendChild(overlayBtn);
  }
  const closeBtn = doc.createElement("button");
  closeBtn.type = "button";
  closeBtn.dataset.testid = "settings-close";
  closeBtn.textContent = "Close";
  closeBtn.addEventListener("click", () => toggle(false));
  actions.appendChild(closeBtn);
  panel.appendChild(actions);

  // Clicks and keys inside the UI must not reach the game (pointer lock, jump on Space).
  const stop = (e: Event): void => e.stopPropagation();
  const stopKey = (e: KeyboardEvent): void => {
    if (e.key !== "Escape") e.stopPropagation();
  };
  const uiElements: HTMLElement[] = [gear, panel];
  for (const el of uiElements) {
    for (const type of ["pointerdown", "mousedown", "click", "keyup"]) el.addEventListener(type, stop);
    el.addEventListener("keydown", stopKey);
  }

  // When Escape releases the pointer lock, the pause opens the panel before the browser may
  // still deliver that same Escape as a keydown: it must not close the panel again.
  let openedAt = Number.NEGATIVE_INFINITY;
  const toggle = (force?: boolean): void => {
    const open = force ?? panel.hidden !== false;
    if (open === !panel.hidden) return;
    panel.hidden = !open;
    if (open) openedAt = performance.now();
    gear.setAttribute("aria-expanded", String(open));
    if (open) {
      // The player needs the cursor to use the switches.
      if (doc.pointerLockElement) doc.exitPointerLock();
      if (game !== null) game.focusFirst();
      else inputs.get("performance")?.focus({ preventScroll: true });
    } else if (panel.contains(doc.activeElement)) {
      // Keys go back to the game, not to a hidden control.
      (doc.activeElement as HTMLElement).blur();
    }
    options.pause?.set(open);
  };
  gear.addEventListener("click", () => toggle());
  const unfollow = options.pause?.subscribe((paused) => toggle(paused)) ?? ((): void => {});

  // Tab and Shift+Tab wrap around inside the open panel.
  panel.addEventListener("keydown", (e) => {
    if (e.key !== "Tab") return;
    const focusable = panel.querySelectorAll<HTMLElement>("input, select, button");
    if (focusable.length === 0) return;
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (e.shiftKey && doc.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && doc.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  });

  const onKey = (e: KeyboardEvent): void => {
    if (e.key !== "Escape" || e.repeat) return;
    if (!panel.hidden && performance.now() - openedAt < ESCAPE_GRACE_MS) return;
    toggle();
  };
  win?.addEventListener("keydown", onKey);

  // Keep the switches in step with changes made elsewhere (another tab, the store itself).
  const unsubscribe = options.consent.subscribe((channel) => {
    const input = inputs.get(channel);
    if (input) input.checked = options.consent.granted(channel);
  });

  ctx.mount.append(gear, panel);

  return {
    toggle,
    get open() {
      return !panel.hidden;
    },
    dispose() {
      unsubscribe();
      unfollow();
      game?.dispose();
      win?.removeEventListener("keydown", onKey);
      gear.remove();
      panel.remove();
      removeStyle();
    },
  };
}
