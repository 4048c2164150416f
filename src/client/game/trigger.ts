// The trigger a left click (and the test hook) pulls: a shot along the view when the game
// allows one (playing; online, joined to a world in step with the server's; not downed) and
// the weapon's cooldown has passed.
import { viewDirection } from "../render/mat4.ts";
import { gameState, GameState } from "../ui/state.ts";
import type { OnlineSession } from "../net/online-session.ts";
import type { WorldAuthority } from "./authority.ts";
import type { Feedback } from "./feedback.ts";
import type { PlayerController } from "./player.ts";
import type { WorldStats } from "./stats.ts";

/** What a shot needs. */
export interface TriggerParts {
  readonly player: PlayerController;
  readonly authority: WorldAuthority;
  /** Null offline. */
  readonly online: OnlineSession | null;
  readonly feedback: Feedback;
  readonly world: WorldStats;
}

/** Fires when allowed. */
export class Trigger {
  private lastShot = -Infinity;
  private readonly eye = [0, 0, 0];
  private readonly dir = [0, 0, 0];

  constructor(private readonly p: TriggerParts) {}

  /** Fires along the view; returns the shot's id (online: the command id), or -1 when no shot was made. */
  readonly fire = (): number => {
    const { player, authority, online, feedback } = this.p;
    const now = performance.now() / 1000;
    if (gameState() !== GameState.Playing || (online !== null && !online.playable) || feedback.model.downed || now - this.lastShot < authority.cooldown) return -1;
    player.eye(this.eye);
    viewDirection(this.dir, player.yaw, player.pitch);
    const id = authority.fire(this.eye, this.dir);
    if (id < 0) return -1;
    this.lastShot = now;
    this.p.world.shotsFired++;
    feedback.shot();
    return id;
  };
}
