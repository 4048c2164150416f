// A mesh worker that misbehaves on purpose, for the pool's failure tests. The mode comes in the
// module URL's query: "?mode=hang" never answers a job, "?mode=crash" throws on the first one.
import { parentPort } from "node:worker_threads";

const mode = new URL(import.meta.url).searchParams.get("mode");

parentPort?.on("message", () => {
  if (mode === "crash") throw new Error("mesh worker crashed on purpose");
  // "hang": keep the job and never answer.
});
