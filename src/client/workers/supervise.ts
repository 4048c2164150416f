// What the mesher pool and the world loader share about their workers: the failure counters
// the game stats, the dev overlay and the breadcrumbs show, the worker shape (what comlink
// needs, plus terminate), and when a failed worker is replaced. A worker "fails" when it fires
// `error` (an exception it did not catch, a script that did not load) or `messageerror`, or
// when it does not answer a job within its deadline (hung, or terminated under us). Its jobs
// go back to the queue and a new worker takes its place: at once the first time, then after a
// growing delay (the reconnect backoff) while it keeps failing.
import type * as Comlink from "comlink";
import { backoffDelay } from "../net/backoff.ts";

/** Worker failures of this page, mutated in place (GameStats.workers; the overlay and breadcrumbs read it). */
export interface WorkerFailures {
  /** Failed workers, crashes and hangs together. */
  failures: number;
  /** Workers that fired `error` or `messageerror`. */
  crashes: number;
  /** Workers that did not answer a job within its deadline. */
  hangs: number;
  /** Replacement workers started. */
  restarts: number;
}

/** A zeroed counter set. */
export function createWorkerFailures(): WorkerFailures {
  return { failures: 0, crashes: 0, hangs: 0, restarts: 0 };
}

/** How a worker failed. */
export type WorkerFailureKind = "crash" | "hang";

/** A module worker as the pool uses it: a comlink endpoint that fires `error` and can be terminated. */
export type SupervisedWorker = Comlink.Endpoint & { terminate(): void };

/** Counts one failure of `kind`. */
export function countFailure(f: WorkerFailures, kind: WorkerFailureKind): void {
  f.failures++;
  if (kind === "crash") f.crashes++;
  else f.hangs++;
}

/**
 * Delay (ms) before replacing a worker after its `consecutive`-th failure in a row (1 for the
 * first): none the first time, then the reconnect backoff (250 ms doubling to 10 s, jittered).
 */
export function replacementDelay(consecutive: number, random: () => number): number {
  return consecutive <= 1 ? 0 : backoffDelay(consecutive - 2, random);
}

/**
 * Subscribes to the events that mean a worker is broken (`error`, `messageerror`); returns the
 * unsubscribe. The error's default handling (a console line, window.onerror) is prevented:
 * the failure is counted and reported by the caller instead.
 */
export function onWorkerBroken(worker: SupervisedWorker, broken: (detail: string) => void): () => void {
  const onError = (e: Event): void => {
    e.preventDefault();
    broken(e.type === "error" ? ((e as ErrorEvent).message || "worker error") : "undecodable message from the worker");
  };
  worker.addEventListener("error", onError);
  worker.addEventListener("messageerror", onError);
  return () => {
    worker.removeEventListener("error", onError);
    worker.removeEventListener("messageerror", onError);
  };
}
