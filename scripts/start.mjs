// `npm start`: builds the client and the server if their sources changed since their last
// build (scripts/build.mjs; a second start with nothing changed builds nothing), then runs the
// compiled server in this process with plain Node. Settings come from the environment
// (README.md); SIGTERM and SIGINT shut the server down cleanly (src/server/main.ts).
import { ensureBuilt } from "./build.mjs";

try {
  await ensureBuilt();
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
// Stack traces name the TypeScript sources (dist-server/ has source maps).
process.setSourceMapsEnabled(true);
await import("../dist-server/server/main.js");
