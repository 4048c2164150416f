// The "Game" section of the settings panel: sliders for mouse sensitivity, field of view,
// view distance and volume, a switch for invert Y and a frame-rate cap. Every control has a
// visible label tied to it (label for=id) and shows its value; all are native inputs, so
// keyboard and screen readers work (Tab between them, arrow keys move a slider). Changes go
// straight to the settings store, which clamps, persists and tells the game.
import { FPS_CAPS, SETTING_RANGES } from "../game/settings.ts";
import type { GameSettings, RangeSetting, SettingsStore } from "../game/settings.ts";

const RANGES: readonly { key: RangeSetting; testid: string; label: string; format: (v: number) => string }[] = [
  { key: "sensitivity", testid: "setting-sensitivity", label: "Mouse sensitivity", format: (v) => `${v.toFixed(2)}×` },
  { key: "fov", testid: "setting-fov", label: "Field of view", format: (v) => `${v}°` },
  { key: "viewDistance", testid: "setting-view-distance", label: "View distance", format: (v) => `${v} chunks (${v * 32} m)` },
  { key: "volume", testid: "setting-volume", label: "Volume", format: (v) => (v === 0 ? "muted" : `${v}%`) },
];

/** The section element and its controls' life cycle. */
export interface GameSettingsSection {
  readonly element: HTMLElement;
  /** Moves keyboard focus to the first control. */
  focusFirst(): void;
  dispose(): void;
}

/** Builds the section for `store`; controls follow the store when it changes elsewhere (another tab). */
export function createGameSettingsSection(doc: Document, store: SettingsStore): GameSettingsSection {
  const section = doc.createElement("section");
  section.className = "vs-game-settings";
  section.setAttribute("aria-labelledby", "vs-settings-game");
  const h3 = doc.createElement("h3");
  h3.id = "vs-settings-game";
  h3.textContent = "Game";
  section.append(h3);

  const refresh: (() => void)[] = [];
  for (const r of RANGES) {
    const spec = SETTING_RANGES[r.key];
    const id = `vs-${r.testid}`;
    const row = doc.createElement("div");
    row.className = "vs-range";
    const label = doc.createElement("label");
    label.htmlFor = id;
    label.textContent = r.label;
    const output = doc.createElement("output");
    output.htmlFor.add(id);
    const input = doc.createElement("input");
    input.type = "range";
    input.id = id;
    input.dataset.testid = r.testid;
    input.min = String(spec.min);
    input.max = String(spec.max);
    input.step = String(spec.step);
    const show = (): void => {
      const v = store.get()[r.key];
      input.value = String(v);
      output.value = r.format(v);
      input.setAttribute("aria-valuetext", output.value);
    };
    input.addEventListener("input", () => {
      store.set(r.key, Number(input.value));
      show();
    });
    show();
    refresh.push(show);
    row.append(label, output, input);
    section.append(row);
  }

  const invertLabel = doc.createElement("label");
  const invert = doc.createElement("input");
  invert.type = "checkbox";
  invert.dataset.testid = "setting-invert-y";
  invert.addEventListener("change", () => store.set("invertY", invert.checked));
  invertLabel.append(invert, "Invert mouse Y");
  section.append(invertLabel);
  refresh.push(() => {
    invert.checked = store.get().invertY;
  });

  const capRow = doc.createElement("div");
  capRow.className = "vs-select";
  const capLabel = doc.createElement("label");
  capLabel.htmlFor = "vs-setting-fps-cap";
  capLabel.textContent = "Frame rate cap";
  const cap = doc.createElement("select");
  cap.id = "vs-setting-fps-cap";
  cap.dataset.testid = "setting-fps-cap";
  for (const c of FPS_CAPS) {
    const option = doc.createElement("option");
    option.value = String(c);
    option.textContent = c === 0 ? "Display rate" : `${c} fps`;
    cap.append(option);
  }
  cap.addEventListener("change", () => store.set("fpsCap", Number(cap.value)));
  capRow.append(capLabel, cap);
  section.append(capRow);
  refresh.push(() => {
    cap.value = String(store.get().fpsCap);
  });

  for (const f of refresh) f();
  const unsubscribe = store.subscribe((_s: Readonly<GameSettings>) => {
    for (const f of refresh) f();
  });
  const first = section.querySelector("input");
  return {
    element: section,
    focusFirst: () => first?.focus({ preventScroll: true }),
    dispose: unsubscribe,
  };
}
