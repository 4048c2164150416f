// Child process of the soak (bench/soak.ts): the game server through the real start sequence
// (startGame: telemetry on, /metrics on a loopback port, the CLI's crash policy), so a crash
// ends this process with the CLI's exit status and the parent counts it. JSON logs go to the
// file the parent names. On request it reports its memory, open handles, the durations of the
// ticks since the last report, and its close/error counters; SIGTERM stops it gracefully.
import { createWriteStream } from "node:fs";
import { startGame } from "../../src/server/bootstrap.ts";

/** Sent to the parent. */
export type ServerReport =
  | { type: "ready"; wsUrl: string; url: string; metricsUrl: string }
  | {
    type: "sample";
    rss: number;
    heapUsed: number;
    /** process.getActiveResourcesInfo().length: sockets, timers, handles. */
    handles: number;
    ticks: number[];
    connected: number;
    playing: number;
    closes: Record<string, number>;
    socketErrors: Record<string, number>;
    refused: Record<string, number>;
    errors: Record<string, number>;
  };

const send = (m: ServerReport): void => {
  process.send?.(m);
};

async function main(): Promise<void> {
  const logFile = process.argv[2];
  const logs = createWriteStream(logFile);
  const running = await startGame(
    { PORT: "0", HOST: "127.0.0.1", METRICS_ADDR: "127.0.0.1:0", JSON_LOGS: "true", LOG_LEVEL: "info", CLIENT_TELEMETRY: "true", STORE: process.env.STORE ?? "memory" },
    {
      telemetry: { logDestination: logs },
      crashPolicy: { exit: (code) => process.exit(code) },
    },
  );
  const game = running.game;
  game.tickStats.recording = [];
  process.on("message", (m: { type: string }) => {
    if (m.type !== "sample") return;
    const ticks = game.tickStats.recording ?? [];
    game.tickStats.recording = [];
    const mem = process.memoryUsage();
    const s = game.stats();
    send({
      type: "sample", rss: mem.rss, heapUsed: mem.heapUsed, handles: process.getActiveResourcesInfo().length, ticks,
      connected: game.sessions.connectedCount(), playing: game.sessions.playing.length,
      closes: s.closes, socketErrors: s.socketErrors, refused: s.refused, errors: s.errors,
    });
  });
  process.once("SIGTERM", () => {
    void running.stop("SIGTERM").then((r) => process.exit(r.timedOut.length + r.failed.length === 0 ? 0 : 1));
  });
  send({ type: "ready", wsUrl: game.wsUrl, url: game.url, metricsUrl: running.telemetry.metricsServer?.url ?? "" });
}

main().catch((err: unknown) => {
  console.error("soak server failed to start:", err);
  process.exit(1);
});
