// Entry of server worker threads. Node 20 does not apply the parent's --import loader hooks
// to a worker's entry module, so this plain-JS entry registers tsx in the worker itself and
// then imports the TypeScript worker named in workerData.entry. Works under `tsx` and vitest.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.entry);
