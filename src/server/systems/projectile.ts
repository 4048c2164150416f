// Projectile integrate: moves every projectile along its straight path for one tick and keeps
// the start of the step, so the raycast system can test exactly the segment travelled. A traced
// projectile gets one projectile.integrate span under its command's trace, from its first step
// to the tick it hits or expires (the raycast system ends it): a span per step would cost the
// server some 100,000 instructions to time a few dozen (`npm run bench:telemetry`).
import { SPAN_NAMES, tracing } from "../telemetry/facade.ts";
import type { Fields } from "../telemetry/facade.ts";
import type { System } from "./types.ts";

const fields: Fields = { zone: "", shard: "", projectile_id: 0, command_id: 0 };

/** Advances projectiles by one tick. */
export const projectileSystem: System = {
  name: "projectile",
  run(game, ctx) {
    const list = game.projectiles.active;
    fields.zone = ctx.zone;
    fields.shard = ctx.shard;
    for (let i = 0; i < list.length; i++) {
      const p = list[i];
      if (p.parent !== undefined && p.integrateSpan === null) {
        fields.projectile_id = p.id;
        fields.command_id = p.commandId;
        p.integrateSpan = tracing.startSpan(SPAN_NAMES.projectileIntegrate, fields, p.parent);
      }
      p.px = p.x;
      p.py = p.y;
      p.pz = p.z;
      p.x += p.vx * ctx.dt;
      p.y += p.vy * ctx.dt;
      p.z += p.vz * ctx.dt;
      p.ticksLeft--;
      p.steps++;
    }
  },
};
