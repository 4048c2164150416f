// CLI entry (`npm start`): a thin wrapper over bootstrap.startGame, which validates every
// setting (a bad one stops startup with a message that names it), starts telemetry, then the
// game server on PORT (default 8080) / HOST (default 127.0.0.1) serving dist/.
//
// Exit status, for the supervisor (deploy/systemd, deploy/compose.yaml restart it on failure):
//   0   SIGTERM/SIGINT: stopped accepting players, closed every connection, flushed telemetry;
//   1   startup failed (a bad setting, a port in use), or a stop step hung past
//       SHUTDOWN_TIMEOUT_MS and was abandoned (it is logged by name);
//   70  an uncaught exception or unhandled rejection (logged at fatal, counted, reported);
//   75  another server took the zone over (the store fenced this one's writes): it stopped
//       ticking, closed its connections and exited without writing anything more.
// A second SIGTERM/SIGINT during the stop exits at once with 1.
//
// Start order: this file statically imports only the configuration. It starts generating the
// world on a thread at once, and only then loads the rest of the server (telemetry, HTTP, the
// game), which takes about as long as the world does, so the two overlap: that is most of the
// time from a crash to accepting joins again.
import { fileURLToPath } from "node:url";
import { loadServerConfig } from "./config.ts";
import { generateWorldOnThread } from "./game/worldgen-thread.ts";
import type { PendingWorld } from "./game/worldgen-thread.ts";

/** Margin past SHUTDOWN_TIMEOUT_MS after which the process exits even if the stop never reports. */
const HARD_EXIT_MARGIN_MS = 2000;

/** The world of the configured zone, generating on a thread; undefined when the settings are bad (startGame reports them). */
function pregenerate(argv: readonly string[]): PendingWorld | undefined {
  let cfg;
  try {
    cfg = loadServerConfig(process.env, argv);
  } catch {
    return undefined;
  }
  return generateWorldOnThread(cfg);
}

async function main(): Promise<void> {
  const distDir = fileURLToPath(new URL("../../dist", import.meta.url));
  const argv = process.argv.slice(2);
  const world = pregenerate(argv);
  const { startGame } = await import("./bootstrap.ts");
  // The listening URL (the bound port when PORT=0) is logged by the server itself.
  const running = await startGame(process.env, {
    argv,
    server: { distDir, world },
    crashPolicy: { exit: (code) => process.exit(code) },
  });
  let exiting = false;
  const shutdown = (signal: string): void => {
    if (exiting) {
      process.exit(1);
      return;
    }
    exiting = true;
    setTimeout(() => process.exit(1), running.game.config.shutdownTimeoutMs + HARD_EXIT_MARGIN_MS);
    void running.stop(signal).then((report) => process.exit(report.timedOut.length + report.failed.length === 0 ? 0 : 1));
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
