/** Page states, mirrored to `document.body.dataset.state` for tests and styling. */
export const GameState = { Loading: "loading", Playing: "playing", Error: "error" } as const;
export type GameState = (typeof GameState)[keyof typeof GameState];

/** Sets the page state attribute. */
export function setGameState(state: GameState): void {
  document.body.dataset.state = state;
}

/** The current page state attribute. */
export function gameState(): string {
  return document.body.dataset.state ?? "";
}
