// What the message panel says about the connection. Before the game starts, the connection's
// state replaces the loading text while it is not up; afterwards any state but "playing"
// covers the view until it is. A refusal for good (an outdated client) is final: the page
// shows the error and stops connecting.
import { NetStatus } from "../net/connection.ts";
import type { Connection } from "../net/connection.ts";
import { netStatusText } from "../net/status-text.ts";
import type { MessagePanel } from "./message.ts";
import { gameState, GameState, setGameState } from "./state.ts";

/** Keeps the panel in line with the connection status. */
export class ConnectionNotice {
  private started = false;

  constructor(
    private readonly panel: MessagePanel,
    private readonly connection: Connection,
  ) {}

  /** The connection's status changed. */
  readonly status = (status: NetStatus): void => {
    if (gameState() === GameState.Error) return;
    const c = this.connection;
    const text = netStatusText(status, c.stats.joins > 0, c.attempt, c.retryAt - performance.now());
    if (text === null) {
      if (this.started) this.panel.hide();
      else this.panel.show("Loading", "Preparing the world…");
    } else if (text.error) {
      setGameState(GameState.Error);
      this.panel.showError(text.title, text.body);
      c.close();
    } else {
      this.panel.show(text.title, text.body);
    }
  };

  /** The game has started: the panel goes, unless a drop during loading left its message up. */
  gameStarted(): void {
    this.started = true;
    if (this.connection.status === NetStatus.Playing) this.panel.hide();
    else this.status(this.connection.status);
  }
}
