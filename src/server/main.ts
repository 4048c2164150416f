// CLI entry (`npm start`): a thin wrapper over bootstrap.startGame, which validates every
// setting (a bad one stops startup with a message that names it), starts telemetry, then the
// game server on PORT (default 8080) / HOST (default 127.0.0.1) serving dist/. SIGTERM/SIGINT
// stop accepting players, close every connection, flush telemetry and exit 0.
import { fileURLToPath } from "node:url";
import { startGame } from "./bootstrap.ts";

async function main(): Promise<void> {
  const distDir = fileURLToPath(new URL("../../dist", import.meta.url));
  // The listening URL (the bound port when PORT=0) is logged by the server itself.
  const running = await startGame(process.env, { argv: process.argv.slice(2), server: { distDir } });
  let exiting = false;
  const shutdown = (signal: string): void => {
    if (exiting) return;
    exiting = true;
    running.stop(signal).then(
      () => process.exit(0),
      (err: unknown) => {
        console.error("shutdown failed:", err instanceof Error ? err.message : err);
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
